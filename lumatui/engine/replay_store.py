"""Replay plans in the history: saved when confirmed, resumed after a restart (a part of JobStore).

A plan has one owner at a time (the process that sends its steps), like a job. A step's job
is recorded only inside `record_step`'s transaction, which first checks that the plan is
still running, still this owner's, and that the step has no job yet: so a step is recorded
(and sent) at most once, whichever processes start, stop or crash meanwhile. A cancelled
plan records nothing more. The lineage reads `replay_origin` to show a replayed job beside
the one it re-made.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from lumatui.engine.db import Database
from lumatui.engine.jobs import JobState, Orphan
from lumatui.engine.replay_plan import Link, PlanState, ReplayPlan, ReplayStep
from lumatui.engine.rows import insert_job, job_in

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.db import Txn
    from lumatui.engine.jobs import Job

_PLAN_COLUMNS = "id, origin_job_id, state, owner, created_at, updated_at, total_usd, note"


class ReplayRecords(Database):
    """Saved replay plans and their steps."""

    def save_plan(
        self, plan: ReplayPlan, *, owner: str | None, now: float | None = None
    ) -> ReplayPlan:
        """Store a confirmed plan, running and owned by `owner`; the plan as stored."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            txn.execute(
                f"INSERT INTO replay_plans ({_PLAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    plan.id,
                    plan.origin_job_id,
                    PlanState.RUNNING,
                    owner,
                    now,
                    now,
                    plan.total_usd,
                    None,
                ),
            )
            txn.db.executemany(
                "INSERT INTO replay_steps VALUES (?, ?, ?, ?, ?, NULL)",
                [
                    (
                        plan.id,
                        step.n,
                        step.replaces_job_id,
                        json.dumps(step.body, separators=(",", ":"), ensure_ascii=False),
                        json.dumps([[list(link.loc), link.step] for link in step.links]),
                    )
                    for step in plan.steps
                ],
            )
            return _plan_in(txn.db, plan.id)

    def record_step(
        self,
        plan_id: str,
        n: int,
        request: GenerationRequest,
        *,
        owner: str,
        orphan: Orphan = Orphan.SEND,
        origin: str | None = None,
        now: float | None = None,
    ) -> Job | None:
        """Record step `n`'s job (waiting to be sent), unless the step has one already, the
        plan is no longer running, or it is not `owner`'s: then None, and nothing is written."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            row = txn.execute(
                "SELECT s.job_id, p.state, p.owner FROM replay_steps s JOIN replay_plans p"
                " ON p.id = s.plan_id WHERE s.plan_id = ? AND s.n = ?",
                (plan_id, n),
            ).fetchone()
            if row is None or row[0] is not None or row[1] != PlanState.RUNNING or row[2] != owner:
                return None
            note = f"replay {plan_id[:8]} step {n + 1}: about to be sent"
            job_id = insert_job(
                txn,
                request,
                state=JobState.WAITING,
                note=note,
                owner=owner,
                orphan=orphan,
                now=now,
                origin=origin,
            )
            txn.execute(
                "UPDATE replay_steps SET job_id = ? WHERE plan_id = ? AND n = ?",
                (job_id, plan_id, n),
            )
            _touch(txn, plan_id, now)
            return job_in(txn, job_id)

    def finish_plan(
        self,
        plan_id: str,
        state: PlanState,
        note: str | None,
        *,
        only_from: Sequence[PlanState] = (PlanState.RUNNING,),
        now: float | None = None,
    ) -> ReplayPlan:
        """Move a plan to `state` (done, stopped, cancelled) if it is in one of `only_from`."""
        now = time.time() if now is None else now
        marks = ",".join("?" * len(only_from))
        with self.transaction() as txn:
            txn.execute(
                "UPDATE replay_plans SET state = ?, note = ?, updated_at = ?, owner = NULL"
                f" WHERE id = ? AND state IN ({marks})",
                (state, note, now, plan_id, *only_from),
            )
            return _plan_in(txn.db, plan_id)

    def claim_plans(
        self, owner: str, dead: Sequence[str], *, plan_ids: Sequence[str] | None = None
    ) -> list[ReplayPlan]:
        """Take the running plans that have no owner, or a dead one; returns the plans taken."""
        with self.transaction() as txn:
            marks = ",".join("?" * len(dead))
            rows = txn.execute(
                "SELECT id FROM replay_plans WHERE state = ? AND (owner IS NULL"
                + (f" OR owner IN ({marks})" if dead else "")
                + ")",
                (PlanState.RUNNING, *dead),
            ).fetchall()
            wanted = [pid for (pid,) in rows if plan_ids is None or pid in plan_ids]
            for plan_id in wanted:
                txn.execute("UPDATE replay_plans SET owner = ? WHERE id = ?", (owner, plan_id))
            return [_plan_in(txn.db, plan_id) for plan_id in wanted]

    def release_plans(self, owner: str) -> list[ReplayPlan]:
        """At exit: this owner's running plans go back to the history, for the next to resume."""
        with self.transaction() as txn:
            rows = txn.execute(
                "SELECT id FROM replay_plans WHERE owner = ? AND state = ?",
                (owner, PlanState.RUNNING),
            ).fetchall()
            txn.execute("UPDATE replay_plans SET owner = NULL WHERE owner = ?", (owner,))
            return [_plan_in(txn.db, plan_id) for (plan_id,) in rows]

    def plan(self, plan_id: str) -> ReplayPlan:
        """The plan with this id (or a unique prefix of it); KeyError if none."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT id FROM replay_plans WHERE id >= ? AND id < ? LIMIT 2",
                (plan_id, plan_id + "\uffff"),
            ).fetchall()
            if len(rows) != 1:
                raise KeyError(plan_id)
            return _plan_in(db, rows[0][0])

    def plans(self, *, state: PlanState | None = None) -> list[ReplayPlan]:
        """Every plan (or those in `state`), oldest first."""
        with self.reading() as db:
            where, params = ("WHERE state = ?", (state,)) if state else ("", ())
            rows = db.execute(f"SELECT id FROM replay_plans {where} ORDER BY created_at", params)
            return [_plan_in(db, plan_id) for (plan_id,) in rows.fetchall()]

    def replay_origin(self, job_id: str) -> tuple[str, str] | None:
        """(plan id, the old job it re-made) when the job is a replay step, else None."""
        with self.reading() as db:
            row = db.execute(
                "SELECT plan_id, replaces_job_id FROM replay_steps WHERE job_id = ?", (job_id,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def replays_of(self, job_id: str) -> list[tuple[str, str | None]]:
        """(plan id, new job id or None while unsent) for each replay that re-made `job_id`."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT plan_id, job_id FROM replay_steps WHERE replaces_job_id = ? ORDER BY rowid",
                (job_id,),
            ).fetchall()
        return [(plan_id, new_id) for plan_id, new_id in rows]


def _touch(txn: Txn, plan_id: str, now: float) -> None:
    txn.execute("UPDATE replay_plans SET updated_at = ? WHERE id = ?", (now, plan_id))


def _plan_in(db: sqlite3.Connection, plan_id: str) -> ReplayPlan:
    row = db.execute(
        f"SELECT {_PLAN_COLUMNS} FROM replay_plans WHERE id = ?", (plan_id,)
    ).fetchone()
    if row is None:
        raise KeyError(plan_id)
    steps = db.execute(
        "SELECT n, replaces_job_id, body_json, links_json, job_id FROM replay_steps"
        " WHERE plan_id = ? ORDER BY n",
        (plan_id,),
    ).fetchall()
    return ReplayPlan(
        id=row[0],
        origin_job_id=row[1],
        state=PlanState(row[2]),
        owner=row[3],
        created_at=row[4],
        updated_at=row[5],
        total_usd=row[6],
        note=row[7],
        steps=tuple(_step(*s) for s in steps),
    )


def _step(n: int, replaces: str, body_json: str, links_json: str, job_id: str | None) -> ReplayStep:
    body: dict[str, Any] = json.loads(body_json)
    links = tuple(Link(tuple(loc), step) for loc, step in json.loads(links_json))
    return ReplayStep(n, replaces, body, links, job_id)
