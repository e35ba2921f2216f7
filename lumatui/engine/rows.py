"""Rows to dataclasses, and the few statements every part of the store shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.engine.jobs import FINISHED_STATES, Job, JobState, Orphan, Output

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from lumatui.engine.db import Txn

JOB_COLUMNS = (
    "id, seq, generation_id, type, model, prompt, request_json, state, created_at, updated_at,"
    " submitted_at, finished_at, server_created_at, failure_code, failure_reason, note,"
    " owner, orphan, due_at, rev, batch_id, batch_label, starred"
)
OUTPUT_COLUMNS = (
    "job_id, n, media_type, url, url_fetched_at, local_path, size_bytes, sha256, error,"
    " attempts, next_try_at, final, layer_json"
)
MISSING_OUTPUT = "local_path IS NULL AND final = 0"
"""An output still to be fetched (the partial index `outputs_missing` covers it)."""


def job_from_row(row: Sequence[Any]) -> Job:
    """A Job from a row of JOB_COLUMNS."""
    values = list(row)
    values[7] = JobState(values[7])
    values[17] = Orphan(values[17])
    values[22] = bool(values[22])
    return Job(*values)


def output_from_row(row: Sequence[Any]) -> Output:
    """An Output from a row of OUTPUT_COLUMNS."""
    values = list(row)
    values[11] = bool(values[11])
    return Output(*values)


def select_jobs(
    db: sqlite3.Connection, tail: str, params: Sequence[Any] | tuple[Any, ...] = ()
) -> list[Job]:
    """The jobs `SELECT ... FROM jobs <tail>` finds."""
    rows = db.execute(f"SELECT {JOB_COLUMNS} FROM jobs {tail}", tuple(params)).fetchall()
    return [job_from_row(row) for row in rows]


def select_outputs(
    db: sqlite3.Connection, tail: str, params: Sequence[Any] | tuple[Any, ...] = ()
) -> list[Output]:
    """The outputs `SELECT ... FROM outputs <tail>` finds."""
    rows = db.execute(f"SELECT {OUTPUT_COLUMNS} FROM outputs {tail}", tuple(params)).fetchall()
    return [output_from_row(row) for row in rows]


def job_in(txn: Txn, job_id: str) -> Job:
    """The job as this transaction sees it (KeyError if there is none)."""
    jobs = select_jobs(txn.db, "WHERE id = ?", (job_id,))
    if not jobs:
        raise KeyError(job_id)
    return jobs[0]


def touch(txn: Txn, job_id: str) -> None:
    """Stamp the job with this transaction's change counter (its outputs changed)."""
    txn.execute("UPDATE jobs SET rev = ? WHERE id = ?", (txn.rev, job_id))


def set_state(
    txn: Txn, job_id: str, state: JobState, now: float, detail: str | None = None
) -> None:
    """Move a job to `state` (a history row when it changes); stamp it; settle its owner."""
    finished = now if state.is_finished else None
    row = txn.execute(
        "UPDATE jobs SET state = ?, updated_at = ?, finished_at = ? WHERE id = ? AND state != ?"
        " RETURNING seq",
        (state, now, finished, job_id, state),
    ).fetchone()
    if row is not None:
        txn.execute("INSERT INTO state_changes VALUES (?, ?, ?, ?)", (row[0], state, now, detail))
    touch(txn, job_id)
    settle_owner(txn, job_id)


def settle_owner(txn: Txn, job_id: str) -> None:
    """A finished job with every output on disk (or given up) needs no owner any more."""
    marks = ",".join("?" * len(FINISHED_STATES))
    txn.execute(
        f"UPDATE jobs SET owner = NULL WHERE id = ? AND owner IS NOT NULL AND state IN ({marks})"
        f" AND NOT EXISTS (SELECT 1 FROM outputs WHERE job_id = ? AND {MISSING_OUTPUT})",
        (job_id, *sorted(FINISHED_STATES), job_id),
    )
