"""Which process may act on which job: owners, claims, adoption, cancel and remove.

Every job that may be sent, is in flight, or has outputs to fetch has one owner: the
process (a row in `processes`) that sends, polls and downloads it. Ownership only changes
inside `BEGIN IMMEDIATE` transactions, which SQLite runs one at a time across processes,
so two processes never both believe they own a job:

- a process owns the jobs it records; it releases them when it exits (a one-shot submit
  cancels its waiting jobs instead, unless they were handed to the queue);
- the primary adopts jobs whose owner is gone (see `owners.py` for how death is known);
- a job is sent only after `claim_for_send` finds it still waiting, still without a
  generation id and still owned by the sender, in the same transaction that marks it sent.

Whether a process is alive is not the store's business: callers pass the dead owners in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.engine.db import Database, Txn
from lumatui.engine.jobs import POLLED_STATES, UNSENT_STATES, JobState, Orphan
from lumatui.engine.rows import (
    JOB_COLUMNS,
    MISSING_OUTPUT,
    job_from_row,
    job_in,
    select_jobs,
    select_outputs,
    set_state,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from lumatui.engine.jobs import Job, Output

_ACTIVE = sorted(UNSENT_STATES | POLLED_STATES)


@dataclass(frozen=True)
class ProcessRow:
    """A lumatui process working on the history: who, where, since when, doing what."""

    owner: str
    pid: int
    host: str
    started_at: float
    kind: str
    """workstation, submit, wait, queue-run, ..."""
    role: str
    """primary, viewer or one-shot."""
    heartbeat_at: float

    def describe(self) -> str:
        """`workstation (pid 4242)`, with the host when it is another machine's."""
        import socket

        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"{self.kind} (pid {self.pid}{where})"


@dataclass(frozen=True)
class Changes:
    """What changed in the history after a change-counter value."""

    jobs: list[Job]
    removed: list[str]
    rev: int


class Claims(Database):
    """Process rows and job ownership (a part of JobStore)."""

    # -- processes ------------------------------------------------------------------------

    def register_process(self, row: ProcessRow) -> None:
        """Add (or replace) this process's row."""
        with self.transaction() as txn:
            txn.execute(
                "INSERT OR REPLACE INTO processes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.owner,
                    row.pid,
                    row.host,
                    row.started_at,
                    row.kind,
                    row.role,
                    row.heartbeat_at,
                ),
            )

    def heartbeat(self, owner: str, *, role: str, now: float | None = None) -> None:
        """Say this process is alive, and in which role."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            txn.execute(
                "UPDATE processes SET heartbeat_at = ?, role = ? WHERE owner = ?",
                (now, role, owner),
            )

    def unregister_process(self, owner: str) -> None:
        """Remove this process's row (it is exiting)."""
        with self.transaction() as txn:
            txn.execute("DELETE FROM processes WHERE owner = ?", (owner,))

    def processes(self) -> list[ProcessRow]:
        """Every registered process, oldest first."""
        with self.reading() as db:
            rows = db.execute("SELECT * FROM processes ORDER BY started_at").fetchall()
        return [ProcessRow(*row) for row in rows]

    # -- claims ---------------------------------------------------------------------------

    def claim_for_send(self, job_id: str, owner: str, *, now: float | None = None) -> Job | None:
        """Mark the job `submitting` if this process may send it now, else None.

        It may when it is still unsent (waiting or submitting), has no generation id and
        is owned by `owner`: a job cancelled, adopted or sent by anyone else is left alone.
        """
        now = time.time() if now is None else now
        with self.transaction() as txn:
            try:
                job = job_in(txn, job_id)
            except KeyError:
                return None
            if job.owner != owner or job.generation_id is not None:
                return None
            if job.state not in UNSENT_STATES:
                return None
            txn.execute("UPDATE jobs SET note = ?, due_at = NULL WHERE id = ?", ("sending", job_id))
            set_state(txn, job_id, JobState.SUBMITTING, now, detail="sending")
            return job_in(txn, job_id)

    def settle_send(
        self, job_id: str, owner: str, *, may_have_sent: bool, now: float | None = None
    ) -> Job | None:
        """A send was interrupted: uncertain if bytes may have left, else waiting again.

        Only a job still `submitting` for `owner` without an id changes (an answer that
        was stored meanwhile stands); returns it, or None when nothing changed.
        """
        now = time.time() if now is None else now
        with self.transaction() as txn:
            try:
                job = job_in(txn, job_id)
            except KeyError:
                return None
            if job.state is not JobState.SUBMITTING or job.owner != owner or job.generation_id:
                return None
            if may_have_sent:
                state = JobState.UNCERTAIN
                note = "lumatui stopped while sending this request; it may have been created"
            else:
                state = JobState.WAITING
                note = "not sent: lumatui stopped before the request left this machine"
            txn.execute("UPDATE jobs SET note = ?, due_at = NULL WHERE id = ?", (note, job_id))
            set_state(txn, job_id, state, now, detail=note)
            return job_in(txn, job_id)

    def owned(self, owner: str) -> list[Job]:
        """The jobs `owner` works on, oldest first."""
        with self.reading() as db:
            return select_jobs(db, "WHERE owner = ? ORDER BY seq", (owner,))

    def adopt(
        self,
        owner: str,
        dead: Sequence[str],
        *,
        job_ids: Sequence[str] | None = None,
        cancel_note: str | None = None,
        unowned: bool = True,
        now: float | None = None,
    ) -> list[Job]:
        """Take every job with work left whose owner is gone (or none); returns them.

        `dead` are owners known to be dead; their process rows are removed. Of the jobs
        taken, one left `submitting` may have been sent, so it becomes uncertain (never
        re-sent); a waiting job of a one-shot command that asked for nothing to be left
        behind is cancelled; the rest are now `owner`'s to send, poll or download.
        `job_ids` limits adoption to those jobs (`lumatui wait ID`). An empty `owner`
        leaves the jobs to nobody (see `release`).
        """
        now = time.time() if now is None else now
        dead = list(dead)
        with self.transaction() as txn:
            who = _describe_owners(txn, dead)
            default = "a lumatui process"
            if dead:
                txn.execute(
                    f"DELETE FROM processes WHERE owner IN ({','.join('?' * len(dead))})", dead
                )
            orphaned = _orphaned(txn, dead, job_ids, unowned=unowned)
            taken: list[Job] = []
            for job in orphaned:
                gone = who.get(job.owner or "", default)
                if job.state is JobState.SUBMITTING:
                    note = f"{gone} stopped while sending this request; it may have been created"
                    txn.execute("UPDATE jobs SET note = ? WHERE id = ?", (note, job.id))
                    set_state(txn, job.id, JobState.UNCERTAIN, now, detail=note)
                elif job.state is JobState.WAITING and job.orphan is Orphan.CANCEL:
                    note = (
                        cancel_note
                        or f"not sent: {gone} stopped before sending it; nothing was created"
                    )
                    txn.execute(
                        "UPDATE jobs SET note = ?, due_at = NULL WHERE id = ?", (note, job.id)
                    )
                    set_state(txn, job.id, JobState.CANCELLED, now, detail=note)
                else:
                    txn.execute(
                        "UPDATE jobs SET owner = ?, rev = ? WHERE id = ?",
                        (owner or None, txn.rev, job.id),
                    )
                taken.append(job_in(txn, job.id))
            return taken

    def release(
        self, owner: str, *, cancel_note: str | None = None, now: float | None = None
    ) -> list[Job]:
        """At a clean exit: give back every job `owner` holds; returns the jobs changed.

        Waiting jobs of a one-shot command (orphan `cancel`) are cancelled: nothing is left
        to be sent behind the user's back. The rest lose their owner, for the primary (or
        `lumatui queue run`) to adopt. The caller resolves its own sends before this.
        """
        if not owner:
            return []
        return self.adopt("", [owner], cancel_note=cancel_note, unowned=False, now=now)

    def job_owners(self) -> list[str]:
        """Every owner named by a job."""
        with self.reading() as db:
            rows = db.execute("SELECT DISTINCT owner FROM jobs WHERE owner IS NOT NULL")
            return [owner for (owner,) in rows]

    def has_orphans(self, dead: Sequence[str], *, job_ids: Sequence[str] | None = None) -> bool:
        """True when some job with work left has no live owner (a read: no write lock)."""
        with self.reading() as db:
            return bool(_orphaned(db, dead, job_ids, limit=1))

    def hand_to_queue(self, job_ids: Sequence[str], owner: str) -> list[Job]:
        """`--queue`: these waiting jobs of `owner` are for the history's queue to send."""
        with self.transaction() as txn:
            handed: list[Job] = []
            for job_id in job_ids:
                txn.execute(
                    "UPDATE jobs SET orphan = ?, rev = ? WHERE id = ? AND owner = ?",
                    (Orphan.SEND, txn.rev, job_id, owner),
                )
                handed.append(job_in(txn, job_id))
            return handed

    # -- cancel and remove ----------------------------------------------------------------

    def cancel(self, job_id: str, note: str, *, now: float | None = None) -> tuple[Job, str | None]:
        """Cancel a job that was never sent; the job, and why not when it cannot be."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            job = job_in(txn, job_id)
            if job.state is JobState.WAITING and job.generation_id is None:
                txn.execute("UPDATE jobs SET note = ?, due_at = NULL WHERE id = ?", (note, job_id))
                set_state(txn, job_id, JobState.CANCELLED, now, detail=note)
                return job_in(txn, job_id), None
        return job, cannot_cancel(job)

    def remove(self, job_id: str) -> tuple[Job, list[Output]]:
        """Remove a finished job from the history (a tombstone tells other processes).

        Returns the job and its outputs (the caller deletes files if asked); ValueError when
        the job is still on its way.
        """
        with self.transaction() as txn:
            job = job_in(txn, job_id)
            if not job.state.is_finished:
                raise ValueError(
                    f"{job.short_id} is {job.state}: only a finished job can be removed"
                    + (" (cancel it first)" if job.state is JobState.WAITING else "")
                )
            outputs = select_outputs(txn.db, "WHERE job_id = ? ORDER BY n", (job_id,))
            txn.execute("DELETE FROM outputs WHERE job_id = ?", (job_id,))
            txn.execute("DELETE FROM state_changes WHERE job_seq = ?", (job.seq,))
            txn.execute("DELETE FROM edges WHERE child_id = ?", (job_id,))
            txn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            txn.execute("INSERT OR REPLACE INTO removed VALUES (?, ?)", (job_id, txn.rev))
            return job, outputs

    # -- what changed ---------------------------------------------------------------------

    def current_rev(self) -> int:
        """The history's change counter now."""
        with self.reading() as db:
            (rev,) = db.execute("SELECT value FROM counters WHERE name = 'rev'").fetchone()
        return int(rev)

    def changes_since(self, rev: int) -> Changes:
        """Jobs written and jobs removed after `rev`, read at one instant."""
        with self.reading(snapshot=True) as db:
            jobs = select_jobs(db, "WHERE rev > ? ORDER BY rev", (rev,))
            removed = [
                job_id
                for (job_id,) in db.execute("SELECT job_id FROM removed WHERE rev > ?", (rev,))
            ]
            (now_rev,) = db.execute("SELECT value FROM counters WHERE name = 'rev'").fetchone()
        return Changes(jobs, removed, int(now_rev))


def cannot_cancel(job: Job) -> str:
    """Why a job cannot be cancelled, for a person."""
    if job.state is JobState.SUBMITTING:
        return f"{job.short_id} is being sent right now; it can no longer be cancelled"
    if job.state in POLLED_STATES:
        return (
            f"{job.short_id} is {job.state} at the API, which has no cancel: it runs to the "
            "end and is charged"
        )
    return f"{job.short_id} is already {job.state}"


def _describe_owners(txn: Txn, owners: Sequence[str]) -> dict[str, str]:
    if not owners:
        return {}
    marks = ",".join("?" * len(owners))
    rows = txn.execute(f"SELECT * FROM processes WHERE owner IN ({marks})", list(owners))
    return {row[0]: "lumatui " + ProcessRow(*row).describe() for row in rows}


def _orphaned(
    db: Txn | sqlite3.Connection,
    dead: Sequence[str],
    job_ids: Sequence[str] | None,
    *,
    unowned: bool = True,
    limit: int | None = None,
) -> list[Job]:
    """Jobs with work left whose owner is in `dead` (or is nobody), oldest first.

    Two index-driven halves (jobs on their way, by state; jobs with outputs missing, by
    the partial index), so a history of 100,000 finished jobs costs nothing to ask.
    """
    owners = [f"owner IN ({','.join('?' * len(dead))})"] if dead else []
    if unowned:
        owners.append("owner IS NULL")
    if not owners:
        return []
    whose = "(" + " OR ".join(owners) + ")"
    only = ""
    only_params: list[object] = []
    if job_ids is not None:
        only = f" AND id IN ({','.join('?' * len(job_ids))})"
        only_params = list(job_ids)
    states = ",".join("?" * len(_ACTIVE))
    sql = (
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ({states}) AND {whose}{only}"
        f" UNION SELECT {JOB_COLUMNS} FROM jobs"
        f" WHERE id IN (SELECT job_id FROM outputs WHERE {MISSING_OUTPUT}) AND {whose}{only}"
        " ORDER BY seq" + ("" if limit is None else f" LIMIT {int(limit)}")
    )
    params = [*_ACTIVE, *dead, *only_params, *dead, *only_params]
    connection = db.db if isinstance(db, Txn) else db
    return [job_from_row(row) for row in connection.execute(sql, params).fetchall()]
