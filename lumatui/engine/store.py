"""The durable history: every request as sent, each state change, outputs and lineage edges.

SQLite in WAL mode, shared by every lumatui process on the same LUMATUI_HOME (see `db.py`
for the connections, `claims.py` for which process may act on which job). Every write is
one short transaction that returns the rows it wrote, so callers never read back what they
just wrote; a crash at any moment leaves either the old or the new row, never half of one.
The API key is never written here.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from lumatui.engine.claims import Claims
from lumatui.engine.jobs import POLLED_STATES, Edge, Job, JobState, Orphan
from lumatui.engine.lineage import references
from lumatui.engine.queries import JobQuery, where_clause
from lumatui.engine.rows import job_in, select_jobs, set_state, touch
from lumatui.engine.store_outputs import MAX_OUTPUTS, OutputRecords, store_outputs

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from lumatui.api.schema import Generation, GenerationRequest
    from lumatui.engine.db import Txn


class JobStore(OutputRecords, Claims):
    """The engine's memory of every job, backed by one SQLite file."""

    @classmethod
    def open(cls, path: Path) -> JobStore:
        """Open (creating the folder and schema if needed) the store at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ---------------------------------------------------------------------------

    def record_submission(
        self,
        request: GenerationRequest,
        *,
        state: JobState = JobState.SUBMITTING,
        note: str | None = None,
        owner: str | None = None,
        orphan: Orphan = Orphan.SEND,
        now: float | None = None,
    ) -> Job:
        """Write a request *before* it is sent (`submitting`, or `waiting` behind others)."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            return _insert_job(txn, request, state, note, owner, orphan, now)

    def record_batch(
        self,
        requests: Sequence[GenerationRequest],
        *,
        label: str,
        state: JobState = JobState.WAITING,
        note: str | None = None,
        owner: str | None = None,
        orphan: Orphan = Orphan.SEND,
        now: float | None = None,
    ) -> list[Job]:
        """Write a batch's requests in one transaction (all or none), sharing a new batch id.

        `label` is the prompt as written, alternatives and all.
        """
        now = time.time() if now is None else now
        batch = (str(uuid.uuid4()), label)
        with self.transaction() as txn:
            return [_insert_job(txn, r, state, note, owner, orphan, now, batch) for r in requests]

    def set_star(self, job_id: str, starred: bool) -> Job:
        """Star or unstar a job (a lasting mark); the job as stored. KeyError if there is none."""
        with self.transaction() as txn:
            job_in(txn, job_id)
            txn.execute("UPDATE jobs SET starred = ? WHERE id = ?", (int(starred), job_id))
            touch(txn, job_id)
            return job_in(txn, job_id)

    def batch(self, batch_id: str) -> list[Job]:
        """The jobs of a batch, in the order they were recorded."""
        return self._jobs("WHERE batch_id = ? ORDER BY seq", (batch_id,))

    def mark_submitted(
        self, job_id: str, generation: Generation, *, now: float | None = None
    ) -> Job:
        """The POST answered: the job now has its server id and the server's state.

        An id that another stored job already has is not stored twice (the history would
        lose one of them): this job becomes uncertain, saying which job has that id.
        """
        now = time.time() if now is None else now
        with self.transaction() as txn:
            twin = txn.execute(
                "SELECT id FROM jobs WHERE generation_id = ? AND id != ?", (generation.id, job_id)
            ).fetchone()
            if twin is not None:
                note = (
                    f"the API answered with the id {generation.id}, which job {twin[0][:8]} "
                    "already has; this request may have been created too"
                )
                txn.execute(
                    "UPDATE jobs SET note = ?, submitted_at = ? WHERE id = ?", (note, now, job_id)
                )
                set_state(txn, job_id, JobState.UNCERTAIN, now, detail=note)
                return job_in(txn, job_id)
            txn.execute(
                "UPDATE jobs SET generation_id = ?, server_created_at = ?, submitted_at = ?,"
                " note = NULL, due_at = NULL WHERE id = ?",
                (generation.id, generation.created_at, now, job_id),
            )
            set_state(txn, job_id, local_state(generation.state), now)
            return job_in(txn, job_id)

    def mark_local(
        self,
        job_id: str,
        state: JobState,
        note: str,
        *,
        due_at: float | None = None,
        now: float | None = None,
    ) -> Job:
        """Set a local state (waiting, submitting, uncertain, ...) with the reason why.

        `due_at` is when a waiting job may be sent again (None: as soon as its turn comes).
        """
        now = time.time() if now is None else now
        with self.transaction() as txn:
            txn.execute("UPDATE jobs SET note = ?, due_at = ? WHERE id = ?", (note, due_at, job_id))
            set_state(txn, job_id, state, now, detail=note)
            return job_in(txn, job_id)

    def record_state(
        self, job_id: str, generation: Generation, *, now: float | None = None
    ) -> tuple[Job, bool]:
        """Store what a GET returned; the job as stored, and whether it changed.

        A completed generation's outputs are stored in the same transaction as its state,
        so no crash can leave a completed job without the links to its outputs.
        """
        now = time.time() if now is None else now
        state = local_state(generation.state)
        code = None if generation.failure_code is None else str(generation.failure_code)
        with self.transaction() as txn:
            job = job_in(txn, job_id)
            outputs = list(generation.output or [])[:MAX_OUTPUTS]
            if state is JobState.COMPLETED and outputs:
                store_outputs(txn, job_id, outputs, now)
            if (job.state, job.failure_code, job.failure_reason) == (
                state,
                code,
                generation.failure_reason,
            ):
                return (job_in(txn, job_id) if outputs else job), False
            txn.execute(
                "UPDATE jobs SET failure_code = ?, failure_reason = ? WHERE id = ?",
                (code, generation.failure_reason, job_id),
            )
            set_state(txn, job_id, state, now)
            return job_in(txn, job_id), True

    # -- reads ----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job with local id `job_id` (KeyError if none)."""
        jobs = self._jobs("WHERE id = ?", (job_id,))
        if not jobs:
            raise KeyError(job_id)
        return jobs[0]

    def get_many(self, job_ids: Sequence[str]) -> list[Job]:
        """The stored jobs among `job_ids`, in that order (removed ones left out)."""
        found: dict[str, Job] = {}
        for start in range(0, len(job_ids), 500):
            chunk = list(job_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update((j.id, j) for j in self._jobs(f"WHERE id IN ({marks})", chunk))
        return [found[i] for i in job_ids if i in found]

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
        with self.reading() as db:
            (n,) = db.execute(f"SELECT COUNT(*) FROM jobs {where}", params).fetchone()
        return int(n)

    def counts_by_state(self) -> dict[JobState, int]:
        """How many jobs are in each state."""
        with self.reading() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {JobState(state): n for state, n in rows}

    def state_history(self, job_id: str) -> list[tuple[JobState, float, str | None]]:
        """Every state the job went through, with when and why."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT c.state, c.at, c.detail FROM state_changes c"
                " JOIN jobs j ON j.seq = c.job_seq WHERE j.id = ? ORDER BY c.rowid",
                (job_id,),
            ).fetchall()
        return [(JobState(state), at, detail) for state, at, detail in rows]

    def edges_from(self, job_id: str) -> list[Edge]:
        """The edges from a job to the generations it was made from."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT * FROM edges WHERE child_id = ? ORDER BY rowid", (job_id,)
            ).fetchall()
        return [Edge(*row) for row in rows]

    def edges_to(self, generation_id: str) -> list[Edge]:
        """The edges from jobs made from the generation `generation_id`."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT * FROM edges WHERE parent_generation_id = ? ORDER BY rowid",
                (generation_id,),
            ).fetchall()
        return [Edge(*row) for row in rows]

    def durations(self, model: str, type_: str, *, limit: int = 200) -> list[float]:
        """Seconds from submission to completion of recent finished jobs of this kind."""
        with self.reading() as db:
            rows = db.execute(
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
        with self.reading() as db:
            rows = db.execute(
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
        with self.reading() as db:
            (result,) = db.execute("PRAGMA integrity_check").fetchone()
        return bool(result == "ok")

    def _jobs(self, tail: str, params: Sequence[object] = ()) -> list[Job]:
        with self.reading() as db:
            return select_jobs(db, tail, params)


def _insert_job(
    txn: Txn,
    request: GenerationRequest,
    state: JobState,
    note: str | None,
    owner: str | None,
    orphan: Orphan,
    now: float,
    batch: tuple[str, str] | None = None,
) -> Job:
    """Insert one job row (its first state change and its lineage edges) in `txn`."""
    job_id = str(uuid.uuid4())
    body = json.dumps(request.to_json(), separators=(",", ":"), ensure_ascii=False)
    batch_id, label = batch or (None, None)
    cursor = txn.execute(
        "INSERT INTO jobs (id, type, model, prompt, request_json, state, created_at,"
        " updated_at, note, owner, orphan, rev, batch_id, batch_label)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            owner,
            orphan,
            txn.rev,
            batch_id,
            label,
        ),
    )
    txn.execute(
        "INSERT INTO state_changes VALUES (?, ?, ?, ?)", (cursor.lastrowid, state, now, note)
    )
    txn.db.executemany(
        "INSERT OR IGNORE INTO edges VALUES (?, ?, ?)",
        [(job_id, parent, role) for role, parent in references(request)],
    )
    return job_in(txn, job_id)


def local_state(api_state: object) -> JobState:
    """The local state for an API state; an unknown one is treated as still processing."""
    return _API_STATES.get(str(api_state), JobState.PROCESSING)


_API_STATES = {
    state.value: state
    for state in (JobState.QUEUED, JobState.PROCESSING, JobState.COMPLETED, JobState.FAILED)
}
