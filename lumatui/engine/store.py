"""The durable history: every request as sent, each state change, outputs and lineage edges.

SQLite in WAL mode, one connection guarded by a lock (the TUI reads from its own thread,
the engine writes from the event loop). Every write is one short transaction, so a crash
at any moment leaves either the old or the new row, never half of one. The API key is
never written here.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lumatui.engine.jobs import POLLED_STATES, Edge, Job, JobState, Output
from lumatui.engine.lineage import references
from lumatui.engine.migrations import migrate
from lumatui.engine.queries import JobQuery, where_clause

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest

_JOB_COLUMNS = (
    "id, seq, generation_id, type, model, prompt, request_json, state, created_at, updated_at,"
    " submitted_at, finished_at, server_created_at, failure_code, failure_reason, note"
)


class JobStore:
    """The engine's memory of every job, backed by one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA busy_timeout = 5000")
        migrate(self._db)

    @classmethod
    def open(cls, path: Path) -> JobStore:
        """Open (creating the folder and schema if needed) the store at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def close(self) -> None:
        """Flush and close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- writes ---------------------------------------------------------------------------

    def record_submission(
        self,
        request: GenerationRequest,
        *,
        state: JobState = JobState.SUBMITTING,
        note: str | None = None,
        now: float | None = None,
    ) -> Job:
        """Write a request *before* it is sent (`submitting`, or `waiting` behind others)."""
        now = time.time() if now is None else now
        job_id = str(uuid.uuid4())
        body = json.dumps(request.to_json(), separators=(",", ":"), ensure_ascii=False)
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO jobs (id, type, model, prompt, request_json, state, created_at,"
                " updated_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    str(request.effective_type),
                    str(request.effective_model),
                    request.prompt,
                    body,
                    state,
                    now,
                    now,
                    note,
                ),
            )
            seq = cursor.lastrowid
            db.execute("INSERT INTO state_changes VALUES (?, ?, ?, ?)", (seq, state, now, note))
            db.executemany(
                "INSERT OR IGNORE INTO edges VALUES (?, ?, ?)",
                [(job_id, parent, role) for role, parent in references(request)],
            )
        return self.get(job_id)

    def mark_submitted(
        self, job_id: str, generation: Generation, *, now: float | None = None
    ) -> Job:
        """The POST answered: the job now has its server id and the server's state."""
        now = time.time() if now is None else now
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET generation_id = ?, server_created_at = ?, submitted_at = ?,"
                " note = NULL WHERE id = ?",
                (generation.id, generation.created_at, now, job_id),
            )
            self._set_state(db, job_id, _local_state(generation.state), now)
        return self.get(job_id)

    def mark_local(
        self, job_id: str, state: JobState, note: str, *, now: float | None = None
    ) -> Job:
        """Set a local state (waiting, submitting, uncertain, rejected) with the reason why."""
        now = time.time() if now is None else now
        with self._transaction() as db:
            db.execute("UPDATE jobs SET note = ? WHERE id = ?", (note, job_id))
            self._set_state(db, job_id, state, now, detail=note)
        return self.get(job_id)

    def record_state(
        self,
        job_id: str,
        generation: Generation,
        *,
        now: float | None = None,
    ) -> bool:
        """Store what a GET returned; True when the state or failure changed."""
        now = time.time() if now is None else now
        state = _local_state(generation.state)
        code = None if generation.failure_code is None else str(generation.failure_code)
        with self._transaction() as db:
            row = db.execute(
                "SELECT state, failure_code, failure_reason FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise KeyError(job_id)
            if tuple(row) == (state, code, generation.failure_reason):
                return False
            db.execute(
                "UPDATE jobs SET failure_code = ?, failure_reason = ? WHERE id = ?",
                (code, generation.failure_reason, job_id),
            )
            self._set_state(db, job_id, state, now)
        return True

    def _set_state(
        self,
        db: sqlite3.Connection,
        job_id: str,
        state: JobState,
        now: float,
        detail: str | None = None,
    ) -> None:
        finished = now if state.is_finished else None
        row = db.execute(
            "UPDATE jobs SET state = ?, updated_at = ?, finished_at = ? WHERE id = ? AND state != ?"
            " RETURNING seq",
            (state, now, finished, job_id, state),
        ).fetchone()
        if row is not None:
            db.execute(
                "INSERT INTO state_changes VALUES (?, ?, ?, ?)", (row[0], state, now, detail)
            )

    def record_outputs(
        self, job_id: str, outputs: Sequence[GenerationOutput], *, now: float | None = None
    ) -> None:
        """Store (or refresh) the presigned output URLs of a completed job."""
        now = time.time() if now is None else now
        with self._transaction() as db:
            for n, out in enumerate(outputs):
                db.execute(
                    "INSERT INTO outputs (job_id, n, media_type, url, url_fetched_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id, n) DO UPDATE SET"
                    " media_type = excluded.media_type, url = excluded.url,"
                    " url_fetched_at = excluded.url_fetched_at",
                    (job_id, n, out.type, out.url, now),
                )

    def record_download(
        self,
        job_id: str,
        index: int,
        local_path: str,
        size_bytes: int,
        sha256: str,
        *,
        now: float | None = None,
    ) -> None:
        """An output is on disk and verified."""
        now = time.time() if now is None else now
        with self._transaction() as db:
            db.execute(
                "UPDATE outputs SET local_path = ?, size_bytes = ?, sha256 = ?, downloaded_at = ?,"
                " error = NULL WHERE job_id = ? AND n = ?",
                (local_path, size_bytes, sha256, now, job_id, index),
            )

    def record_download_error(self, job_id: str, index: int, message: str) -> None:
        """An output could not be downloaded or verified; `message` says why."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outputs SET error = ? WHERE job_id = ? AND n = ?", (message, job_id, index)
            )

    def recover_interrupted(self, *, now: float | None = None) -> list[Job]:
        """After a crash: a job left `submitting` may exist at the API, so it becomes uncertain."""
        stuck = self._jobs("WHERE state = ? ORDER BY seq", (JobState.SUBMITTING,))
        return [
            self.mark_local(
                job.id,
                JobState.UNCERTAIN,
                "lumatui stopped while sending this request; it may have been created",
                now=now,
            )
            for job in stuck
        ]

    # -- reads ----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job with local id `job_id` (KeyError if none)."""
        jobs = self._jobs("WHERE id = ?", (job_id,))
        if not jobs:
            raise KeyError(job_id)
        return jobs[0]

    def find(self, any_id: str) -> Job | None:
        """The job whose local or server id is `any_id`, or whose server id starts with it."""
        jobs = self._jobs("WHERE id = ? OR generation_id = ?", (any_id, any_id))
        if not jobs and len(any_id) >= 4:
            jobs = self._jobs(
                "WHERE generation_id >= ? AND generation_id < ? LIMIT 2",
                (any_id, any_id + "\uffff"),
            )
            return jobs[0] if len(jobs) == 1 else None
        return jobs[0] if jobs else None

    def polled(self) -> list[Job]:
        """Jobs the API is working on (queued or processing), oldest first."""
        marks = ",".join("?" * len(POLLED_STATES))
        return self._jobs(f"WHERE state IN ({marks}) ORDER BY seq", tuple(POLLED_STATES))

    def in_state(self, state: JobState) -> list[Job]:
        """Every job in `state`, oldest first."""
        return self._jobs("WHERE state = ? ORDER BY seq", (state,))

    def page(self, query: JobQuery, *, offset: int = 0, limit: int = 200) -> list[Job]:
        """One page of jobs matching `query`, in its order."""
        where, params = where_clause(query)
        return self._jobs(f"{where} {query.order_by()} LIMIT ? OFFSET ?", (*params, limit, offset))

    def count(self, query: JobQuery) -> int:
        """How many jobs match `query`."""
        where, params = where_clause(query)
        with self._lock:
            (n,) = self._db.execute(f"SELECT COUNT(*) FROM jobs {where}", params).fetchone()
        return int(n)

    def counts_by_state(self) -> dict[JobState, int]:
        """How many jobs are in each state."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {JobState(state): n for state, n in rows}

    def outputs(self, job_id: str) -> list[Output]:
        """The outputs of a job, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, n, media_type, url, url_fetched_at, local_path, size_bytes, sha256,"
                " error FROM outputs WHERE job_id = ? ORDER BY n",
                (job_id,),
            ).fetchall()
        return [Output(*row) for row in rows]

    def pending_downloads(self) -> list[Output]:
        """Outputs of completed jobs not yet on disk and not given up on."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, n, media_type, url, url_fetched_at, local_path, size_bytes, sha256,"
                " error FROM outputs WHERE local_path IS NULL AND error IS NULL ORDER BY rowid"
            ).fetchall()
        return [Output(*row) for row in rows]

    def state_history(self, job_id: str) -> list[tuple[JobState, float, str | None]]:
        """Every state the job went through, with when and why."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.state, c.at, c.detail FROM state_changes c"
                " JOIN jobs j ON j.seq = c.job_seq WHERE j.id = ? ORDER BY c.rowid",
                (job_id,),
            ).fetchall()
        return [(JobState(state), at, detail) for state, at, detail in rows]

    def edges_from(self, job_id: str) -> list[Edge]:
        """The edges from a job to the generations it was made from."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM edges WHERE child_id = ? ORDER BY rowid", (job_id,)
            ).fetchall()
        return [Edge(*row) for row in rows]

    def edges_to(self, generation_id: str) -> list[Edge]:
        """The edges from jobs made from the generation `generation_id`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM edges WHERE parent_generation_id = ? ORDER BY rowid",
                (generation_id,),
            ).fetchall()
        return [Edge(*row) for row in rows]

    def durations(self, model: str, type_: str, *, limit: int = 200) -> list[float]:
        """Seconds from submission to completion of recent finished jobs of this kind."""
        with self._lock:
            rows = self._db.execute(
                "SELECT finished_at - submitted_at FROM jobs WHERE model = ? AND type = ?"
                " AND state = ? AND submitted_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
                (model, type_, JobState.COMPLETED, limit),
            ).fetchall()
        return [float(d) for (d,) in rows if d is not None and d >= 0]

    def finished_runs(
        self, model: str, type_: str, *, limit: int = 200
    ) -> list[tuple[float, Any, Any, Any]]:
        """Seconds from submission to completion of recent finished jobs of this model and
        type, with the video resolution, duration and hdr they asked for (None if unset)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT finished_at - submitted_at,"
                " json_extract(request_json, '$.video.resolution'),"
                " json_extract(request_json, '$.video.duration'),"
                " json_extract(request_json, '$.video.hdr') FROM jobs WHERE model = ? AND type = ?"
                " AND state = ? AND submitted_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
                (model, type_, JobState.COMPLETED, limit),
            ).fetchall()
        return [(float(row[0]), *row[1:]) for row in rows if row[0] is not None and row[0] >= 0]

    def integrity_ok(self) -> bool:
        """True when SQLite's integrity check passes."""
        with self._lock:
            (result,) = self._db.execute("PRAGMA integrity_check").fetchone()
        return bool(result == "ok")

    def _jobs(self, tail: str, params: Sequence[Any] = ()) -> list[Job]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs {tail}", params).fetchall()
        return [_job(row) for row in rows]


def _job(row: Sequence[Any]) -> Job:
    values = list(row)
    values[7] = JobState(values[7])
    return Job(*values)


def _local_state(api_state: object) -> JobState:
    """The local state for an API state; an unknown one is treated as still processing."""
    return _API_STATES.get(str(api_state), JobState.PROCESSING)


_API_STATES = {
    state.value: state
    for state in (JobState.QUEUED, JobState.PROCESSING, JobState.COMPLETED, JobState.FAILED)
}
