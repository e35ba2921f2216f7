"""Running replay plans: each step is sent once every step it builds on has completed.

The engine's API for a replay (the CLI's `lumatui replay`, the workstation's replay dialog):

    plan = await engine.db.read(lambda s: plan_replay(s, job, changed_request))
    prices = plan_prices(plan, settings.prices)       # show every request and the total
    plan = await engine.replays.start(plan, total_usd=total_usd(prices))   # confirmed
    plan = await engine.replays.wait(plan.id)         # or follow `ReplayChanged` events
    plan = await engine.replays.cancel(plan.id)       # nothing half-sent

Money: a step's job is recorded by `JobStore.record_step` (at most once per step) and then
goes the one path every request takes (the submission queue, which sends a POST at most
once). Cancelling marks the plan cancelled first (no step is recorded after that), cancels
the steps still waiting (never sent), and waits for a POST in flight to have its outcome
recorded. A plan whose owner stops is released (or, if it crashed, found dead) and resumed
by the primary process or `lumatui replay --resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from lumatui.engine.events import JobChanged, ReplayChanged
from lumatui.engine.jobs import JobState
from lumatui.engine.owners import owner_alive
from lumatui.engine.replay import finished_badly, step_request
from lumatui.engine.replay_plan import PlanState

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job
    from lumatui.engine.replay_plan import ReplayPlan
    from lumatui.engine.service import Engine
    from lumatui.engine.store import JobStore

log = logging.getLogger("lumatui.engine")


class Replays:
    """This process's replay plans: started, resumed, advanced on job events, cancelled."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        self._steps: dict[str, str] = {}  # step job id -> plan id, for this owner's plans
        self._tasks: set[asyncio.Task[object]] = set()
        self._detached: set[str] = set()
        self._unsubscribe = engine.bus.subscribe(self._on_event)

    async def start(self, plan: ReplayPlan, *, total_usd: float | None = None) -> ReplayPlan:
        """Save a confirmed plan (owned here) and send the steps that are ready (step 0)."""
        import dataclasses

        await self._engine.ownership.registered()  # a plan owned by a registered process
        owner = self._engine.owner
        saved = dataclasses.replace(plan, total_usd=total_usd)
        stored = await self._engine.db.write(lambda s: s.save_plan(saved, owner=owner))
        self._engine.bus.publish(ReplayChanged(stored))
        return await self.advance(stored.id)

    async def resume(self, plan_ids: Sequence[str] | None = None) -> list[ReplayPlan]:
        """Take the running plans nobody (alive) owns, or only these, and advance them."""
        owner = self._engine.owner
        wanted = None if plan_ids is None else list(plan_ids)
        running = await self._engine.db.read(lambda s: s.plans(state=PlanState.RUNNING))
        others = [p for p in running if p.owner != owner and (wanted is None or p.id in wanted)]
        if not others:  # the usual case, checked every second by the primary: one read
            return []
        dead = await self._dead({p.owner for p in others if p.owner is not None})
        if not any(p.owner is None or p.owner in dead for p in others):
            return []
        gone = sorted(dead)
        taken = await self._engine.db.write(lambda s: s.claim_plans(owner, gone, plan_ids=wanted))
        resumed = []
        for plan in taken:
            log.info("resuming replay %s", plan.short_id)
            await self._engine.adopt_jobs(plan.job_ids)  # its steps' jobs, if orphaned too
            resumed.append(await self.advance(plan.id))
        return resumed

    async def _dead(self, owners: set[str]) -> set[str]:
        """Which of these plan owners are gone: a registered process by its lock (or, on
        another host, its heartbeat), an unregistered one by its lock alone."""
        dead = set(await self._engine.ownership.dead())
        database = self._engine.ownership.database
        registered = {r.owner for r in await self._engine.db.read(lambda s: s.processes())}
        unknown = owners - registered - dead
        gone = await asyncio.to_thread(lambda: {o for o in unknown if not owner_alive(database, o)})
        return (dead | gone) & owners

    async def advance(self, plan_id: str) -> ReplayPlan:
        """Record and queue every step whose parents completed; finish the plan when it is.

        Only the plan's owner records steps (the store checks it in the same transaction).
        """
        async with self._lock:
            engine = self._engine
            plan = await engine.db.read(lambda s: s.plan(plan_id))
            if (
                plan.state is not PlanState.RUNNING
                or plan.owner != engine.owner
                or plan.id in self._detached
            ):
                self._forget(plan)
                return plan
            ids = plan.job_ids
            jobs = {j.id: j for j in await engine.db.read(lambda s: s.get_many(ids))}
            for step in plan.steps:
                if step.job_id is not None:
                    self._steps[step.job_id] = plan.id
            new_ids = {
                s.n: jobs[s.job_id].generation_id
                for s in plan.steps
                if s.job_id in jobs and jobs[s.job_id].state is JobState.COMPLETED
            }
            recorded = False
            for step in plan.steps:
                if step.job_id is not None or not all(p in new_ids for p in step.parents):
                    continue
                request = step_request(step, {n: gid for n, gid in new_ids.items() if gid})
                job = await engine.db.write(
                    _recorder(plan_id, step.n, request, engine.owner, engine.options.origin)
                )
                if job is None:  # cancelled, or taken by another process, meanwhile
                    continue
                recorded = True
                self._steps[job.id] = plan.id
                engine.bus.publish(JobChanged(job))
                engine.submitter.enqueue(job.id)
            plan = await engine.db.read(lambda s: s.plan(plan_id))
            step_ids = plan.job_ids
            jobs = {j.id: j for j in await engine.db.read(lambda s: s.get_many(step_ids))}
            final = _outcome(plan, jobs)
            if final is not None:
                state, note = final
                plan = await engine.db.write(lambda s: s.finish_plan(plan_id, state, note))
                self._forget(plan)
            if recorded or final is not None:
                engine.bus.publish(ReplayChanged(plan))
            return plan

    def detach(self, plan_id: str) -> None:
        """Record no further step of this plan here; it goes back to the history when this
        process stops, for the primary or `lumatui replay --resume` to carry on."""
        self._detached.add(plan_id)
        self._steps = {job: plan for job, plan in self._steps.items() if plan != plan_id}

    async def cancel(self, plan_id: str, *, timeout: float | None = None) -> ReplayPlan:
        """Cancel a plan (any process's): nothing more is recorded, waiting steps are
        cancelled (never sent), and a POST in flight is waited for until its outcome is
        recorded. Jobs the API accepted run on and are followed as usual."""
        engine = self._engine
        note = "cancelled; no further step was sent"
        plan = await engine.db.write(lambda s: s.finish_plan(plan_id, PlanState.CANCELLED, note))
        self._forget(plan)
        for step in plan.steps:
            if step.job_id is not None:
                await engine.cancel(step.job_id)  # refuses (harmlessly) once it was sent
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            jobs = await engine.db.read(lambda s: s.get_many(plan.job_ids))
            if not any(j.state is JobState.SUBMITTING for j in jobs):
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            await next_event(engine, 0.5)
        engine.bus.publish(ReplayChanged(plan))
        return plan

    async def wait(self, plan_id: str, *, timeout: float | None = None) -> ReplayPlan:
        """Wait until the plan is no longer running (done, stopped or cancelled); the plan."""
        engine = self._engine
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            plan = await engine.db.read(lambda s: s.plan(plan_id))
            if plan.state is not PlanState.RUNNING:
                return plan
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"replay {plan.short_id} is still running")
            if plan.owner is None:
                await self.resume([plan.id])
            elif plan.owner == engine.owner:
                await self.advance(plan.id)  # its jobs may be another process's to follow
            await next_event(engine, min(remaining or 0.5, 0.5))

    async def stop(self) -> list[ReplayPlan]:
        """At exit: give this process's running plans back to the history (to be resumed)."""
        self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        owner = self._engine.owner
        return await self._engine.db.write(lambda s: s.release_plans(owner))

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, JobChanged) or not event.job.state.is_finished:
            return
        plan_id = self._steps.get(event.job.id)
        if plan_id is None:
            return
        task = asyncio.get_running_loop().create_task(self._advance_quietly(plan_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _advance_quietly(self, plan_id: str) -> None:
        try:
            await self.advance(plan_id)
        except Exception:  # a locked store: the next event, or the next start, advances it
            log.exception("advancing replay %s failed", plan_id[:8])

    def _forget(self, plan: ReplayPlan) -> None:
        for job_id in plan.job_ids:
            self._steps.pop(job_id, None)


def _recorder(
    plan_id: str, n: int, request: GenerationRequest, owner: str, origin: str
) -> Callable[[JobStore], Job | None]:
    """The write that records step `n`'s job (a function, so each step binds its own)."""
    return lambda s: s.record_step(plan_id, n, request, owner=owner, origin=origin)


def _outcome(plan: ReplayPlan, jobs: dict[str, Job]) -> tuple[PlanState, str | None] | None:
    """(done or stopped, why) once nothing more can happen to the plan's steps, else None."""
    blocked: set[int] = set()
    bad: list[str] = []
    for step in plan.steps:
        job = jobs.get(step.job_id or "")
        if job is not None and finished_badly(job):
            blocked.add(step.n)
            bad.append(f"step {step.n + 1} ({job.short_id}) {job.state}")
        elif job is None and step.job_id is not None:  # `rm` took it out of the history
            blocked.add(step.n)
            bad.append(f"step {step.n + 1} was removed from the history")
        elif job is None and any(p in blocked for p in step.parents):
            blocked.add(step.n)
        elif job is None or not job.state.is_finished:
            return None  # still to be sent, or on its way
    if not bad:
        return PlanState.DONE, None
    skipped = len(blocked) - len(bad)
    return PlanState.STOPPED, "; ".join(bad) + (
        f"; {skipped} step(s) built on it not sent" if skipped else ""
    )


async def next_event(engine: Engine, timeout: float) -> None:
    """Wait for the engine's next event, at most `timeout` seconds (other processes' changes
    are not events here: the caller reads the history again)."""
    seen = asyncio.Event()
    unsubscribe = engine.bus.subscribe(lambda _e: seen.set())
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await seen.wait()
    finally:
        unsubscribe()
