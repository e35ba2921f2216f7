"""The engine: the one path every request takes, shared by the TUI, the CLI and the tests.

`submit()` writes the request to the store *before* anything is sent, owned by this
process, then hands it to the local submission queue; the queue POSTs it when the API's
limits allow; the poller follows it; on `completed` the downloader fetches and verifies
its outputs. Each change is stored first and published second. Several processes share
one history: each works only on the jobs it owns, the primary adopts the jobs of processes
that are gone (`ownership.py`, `claims.py`). The store is used through `AsyncJobStore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.engine.astore import AsyncJobStore
from lumatui.engine.downloads import DEFAULT_MAX_BYTES, LINK_TTL_S, Downloader
from lumatui.engine.events import EventBus, JobChanged, JobRemoved, RoleChanged
from lumatui.engine.jobs import ORIGIN_API, POLLED_STATES, JobState, Orphan
from lumatui.engine.owners import owner_alive
from lumatui.engine.ownership import Ownership, Role
from lumatui.engine.poller import Poller
from lumatui.engine.replays import Replays
from lumatui.engine.schedule import PollPlan
from lumatui.engine.submitter import Submitter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from lumatui.api.client import AgentsClient
    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.claims import ProcessRow
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

log = logging.getLogger("lumatui.engine")


@dataclass(frozen=True)
class EngineOptions:
    """Tuning of the engine. `time_scale` shrinks every wait (a sped-up simulator).

    `rate_limit` GETs per second, counted over every `rate_window` seconds, is held by the
    client's transport. `learn_durations` (a real key) lets finished jobs refine the priors.
    `kind` names the process to the others (workstation, submit, wait, ...); `may_lead`
    lets it take the primary role; `orphan` says what becomes of its waiting jobs if it
    stops before sending them (sent by the queue, or cancelled).
    """

    rate_limit: float = 5.0
    rate_window: float = 1.0
    learn_durations: bool = False
    max_in_flight: int = 4
    max_parallel_downloads: int = 2
    max_download_bytes: int = DEFAULT_MAX_BYTES
    time_scale: float = 1.0
    plan: PollPlan | None = None
    kind: str = "workstation"
    may_lead: bool = True
    orphan: Orphan = Orphan.SEND
    adopt_interval: float = 1.0
    link_ttl_s: float = LINK_TTL_S
    origin: str = ORIGIN_API
    """Which API the jobs it records are for: `simulator` (the built-in one) or `api`."""


class Engine:
    """Submits, polls and downloads this process's jobs; owns the tasks that do it."""

    def __init__(
        self,
        store: JobStore | AsyncJobStore,
        client: AgentsClient,
        outputs_dir: Path,
        *,
        thumbnails: ThumbnailCache | None = None,
        options: EngineOptions | None = None,
    ) -> None:
        opts = options or EngineOptions()
        self.db = store if isinstance(store, AsyncJobStore) else AsyncJobStore(store)
        self.store = self.db.sync
        self.client = client
        self.bus = EventBus()
        self.options = opts
        self.thumbnails = thumbnails
        """The process's one thumbnail cache (the workstation's preview reads the same one)."""
        self.ownership = Ownership(self.db, kind=opts.kind, may_lead=opts.may_lead)
        owner = self.ownership.owner
        plan = opts.plan or PollPlan(time_scale=opts.time_scale)
        client.get_limiter.configure_rate(opts.rate_limit, opts.rate_window)
        self.downloader = Downloader(
            self.db,
            client,
            self.bus,
            outputs_dir,
            owner=owner,
            thumbnails=thumbnails,
            max_parallel=opts.max_parallel_downloads,
            max_bytes=opts.max_download_bytes,
            time_scale=opts.time_scale,
            link_ttl_s=opts.link_ttl_s,
        )
        self.poller = Poller(
            self.db,
            client,
            self.bus,
            on_completed=self.downloader.enqueue,
            plan=plan,
            max_in_flight=opts.max_in_flight,
            learn_durations=opts.learn_durations,
        )
        self.downloader._before_get = self.poller.wait_turn
        self.submitter = Submitter(
            self.db,
            client,
            self.bus,
            owner=owner,
            on_created=self.poller.follow,
            time_scale=opts.time_scale,
        )
        self.replays = Replays(self)
        """Replay plans (see `replays.py`): start, resume, cancel, wait."""
        self._tasks: list[asyncio.Task[None]] = []
        self.primary_process: ProcessRow | None = None
        self.stopped = False

    @property
    def owner(self) -> str:
        """This process's owner id in the history."""
        return self.ownership.owner

    @property
    def is_primary(self) -> bool:
        """True while this process holds the primary role."""
        return self.ownership.is_primary

    @property
    def role(self) -> Role:
        """Primary, viewer or one-shot."""
        return self.ownership.role

    async def start(self) -> list[Job]:
        """Register, take the primary role if free, adopt; returns jobs found uncertain.

        Only the primary adopts what dead processes left: a job a crash left `submitting`
        becomes uncertain (returned, for the caller to announce), the rest are sent, polled
        or downloaded here. A viewer or a one-shot command works on its own jobs only.
        """
        await self.ownership.start()
        uncertain: list[Job] = []
        if self.is_primary:  # only the primary sweeps dead writers' partial files
            await self._sweep()
            taken = await self._adopt()
            uncertain = [job for job in taken if job.state is JobState.UNCERTAIN]
        await self._announce_role()
        if self.is_primary:  # replays a stopped process left are carried on here
            await self.replays.resume()
        self._tasks = [
            asyncio.create_task(self.submitter.run(), name="lumatui-submitter"),
            asyncio.create_task(self.poller.run(), name="lumatui-poller"),
            asyncio.create_task(self._keep(), name="lumatui-keeper"),
        ]
        return uncertain

    async def stop(self, *, why: str | None = None) -> list[Job]:
        """Stop the work and give every job this process holds back to the history.

        A POST under way is settled (waiting again if no byte left, else uncertain);
        waiting jobs of a one-shot command are cancelled (saying `why`), the rest are left
        for the primary. Returns the jobs that changed.
        """
        if self.stopped:
            return []
        self.stopped = True
        self.downloader.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(asyncio.CancelledError):
            await self.downloader.idle()
        await self.replays.stop()
        changed: list[Job] = []
        settled = await self.submitter.settle()
        if settled is not None:
            changed.append(settled)
        note = None if why is None else f"not sent: {why}; nothing was created or charged"
        released = await self.ownership.stop(cancel_note=note)
        for job in released:
            if job.state is JobState.CANCELLED:
                self.bus.publish(JobChanged(job))
        return changed + released

    def close(self) -> None:
        """Close the store (after `stop`)."""
        self.db.close()

    async def submit(self, request: GenerationRequest) -> Job:
        """Record the request (before any POST), owned here, and queue it; the stored job."""
        ahead = self.submitter.waiting
        note = f"in the local queue behind {ahead} job(s)" if ahead else "about to be sent"
        (job,) = await self._record(lambda s, mine: [s.record_submission(request, **mine)], note)
        return job

    async def submit_batch(self, requests: Sequence[GenerationRequest], *, label: str) -> list[Job]:
        """Record a batch (`api.batches.plan_batch`) at once under one id; its queued jobs."""
        return await self._record(lambda s, mine: s.record_batch(requests, label=label, **mine))

    async def _record(
        self, write: Callable[[JobStore, dict[str, Any]], list[Job]], note: str = "about to be sent"
    ) -> list[Job]:
        """Run a store write recording jobs waiting here, then publish and queue each."""
        await self.ownership.registered()  # never a job owned by an unregistered process
        mine: dict[str, Any] = {"state": JobState.WAITING, "note": note, "owner": self.owner}
        mine |= {"orphan": self.options.orphan, "origin": self.options.origin}
        jobs = await self.db.write(lambda s: write(s, mine))
        for job in jobs:
            self.bus.publish(JobChanged(job))
            self.submitter.enqueue(job.id)
        return jobs

    async def set_star(self, job_id: str, starred: bool) -> Job:
        """Star or unstar a job (a lasting mark in the history); the job as stored."""
        job = await self.db.write(lambda s: s.set_star(job_id, starred))
        self.bus.publish(JobChanged(job))
        return job

    def select(self, job_id: str | None) -> None:
        """The job the user is looking at: its GETs go first when the rate cap is reached."""
        self.poller.select(job_id)

    async def cancel(self, job_id: str) -> tuple[Job, str | None]:
        """Cancel a job that was never sent (any process's); the job, and why not if not."""
        job, why_not = await self.db.write(
            lambda s: s.cancel(job_id, "cancelled before it was sent; nothing was created")
        )
        if why_not is None:
            self.submitter.forget(job_id)
            self.bus.publish(JobChanged(job))
        return job, why_not

    async def remove(
        self, job_id: str, *, delete_outputs: bool = False
    ) -> tuple[Job, list[Output]]:
        """Remove a finished job from the history (its files too when asked)."""
        job, outputs = await self.db.write(lambda s: s.remove(job_id))
        self.poller.forget(job_id)
        if delete_outputs:
            await asyncio.to_thread(delete_output_files, self.downloader.outputs_dir, job, outputs)
        self.bus.publish(JobRemoved(job_id))
        return job, outputs

    async def retry_now(self, job: Job) -> str:
        """Do what is pending on a job now: poll it, fetch its outputs, or send it."""
        if job.state in POLLED_STATES and job.owner == self.owner:
            self.poller.poll_now(job.id)
            return "polling"
        if job.state is JobState.COMPLETED and job.owner in (None, self.owner):
            if job.owner is None:
                await self.adopt_jobs([job.id])
            count = await self.downloader.retry_now(job.id)
            return f"fetching {count} output(s)" if count else "every output is on disk"
        if job.state is JobState.WAITING and job.owner == self.owner:
            self.submitter.resume()
            return "sending"
        return ""

    async def adopt_jobs(self, job_ids: Sequence[str]) -> list[Job]:
        """Take these jobs if their owner is gone (`lumatui wait ID`); the jobs that changed."""
        return await self._adopt(job_ids)

    def subscribe(self, subscriber: Callable[[Event], None]) -> Callable[[], None]:
        """Receive every engine event; returns a function that unsubscribes."""
        return self.bus.subscribe(subscriber)

    async def wait_for(
        self, job_ids: Iterable[str], *, timeout: float | None = None, downloads: bool = True
    ) -> list[Job]:
        """Wait until every job is settled (finished, outputs on disk); returns them.

        Jobs other processes work on are followed through the history, so this also
        waits for them (checked twice a second, and on every event of this engine).
        """
        wanted = list(dict.fromkeys(job_ids))
        changed = asyncio.Event()
        unsubscribe = self.bus.subscribe(lambda _event: changed.set())
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                jobs = await self.db.read(lambda s: s.get_many(wanted))
                if len(jobs) == len(wanted) and all(
                    await asyncio.gather(*(self._settled(job, downloads) for job in jobs))
                ):
                    return jobs
                changed.clear()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"{sum(not j.state.is_finished for j in jobs)} unfinished")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining or 0.5, 0.5)):
                        await changed.wait()
        finally:
            unsubscribe()

    async def _settled(self, job: Job, downloads: bool) -> bool:
        if not job.state.is_finished:
            return False
        if not downloads or job.state is not JobState.COMPLETED:
            return True
        outputs = await self.db.read(lambda s: s.outputs(job.id))
        return bool(outputs) and all(o.is_settled for o in outputs)

    # -- ownership ------------------------------------------------------------------------

    async def _keep(self) -> None:
        """Every adopt_interval: heartbeat, take the primary role if it fell free, adopt."""
        while True:
            await asyncio.sleep(self.options.adopt_interval)
            try:
                await self._keep_once()
            except Exception:  # a locked or unreadable store: try again on the next tick
                log.exception("keeping this process's place in the history failed")

    async def _keep_once(self) -> None:
        if await self.ownership.tick():
            await self._sweep()
            await self._announce_role()
        if self.is_primary:
            await self._adopt()
            await self.replays.resume()
        elif self.ownership.may_lead:
            primary = await self.ownership.primary()
            known = self.primary_process
            if (primary and primary.owner) != (known and known.owner):
                await self._announce_role()  # another process took the role

    async def _adopt(self, job_ids: Sequence[str] | None = None) -> list[Job]:
        """Adopt orphaned jobs and put each to work; returns every job that changed.

        Those left uncertain or cancelled (a dead process's sends and one-shot jobs) are
        no one's any more; the rest are this process's now.
        """
        await self.ownership.registered()
        taken = await self.ownership.adopt(job_ids)
        await self.poller.plan_for(taken)
        swept = False
        for job in taken:
            self.bus.publish(JobChanged(job))
            if job.owner != self.owner:
                continue
            if not swept:
                await self._sweep()
                swept = True
            if job.state is JobState.WAITING:
                self.submitter.enqueue(job.id)
            elif job.state in POLLED_STATES:
                self.poller.follow(job)
            elif job.state is JobState.COMPLETED:
                self.downloader.enqueue(job)
        return taken

    async def _sweep(self) -> None:
        alive = functools.partial(owner_alive, Path(str(self.store.path)))
        await asyncio.to_thread(self.downloader.sweep_partial_files, alive)

    async def _announce_role(self) -> None:
        primary = await self.ownership.primary()
        self.primary_process = primary
        self.bus.publish(RoleChanged(str(self.role), primary))


def delete_output_files(outputs_dir: Path, job: Job, outputs: Sequence[Output]) -> int:
    """Delete a removed job's output files (and their folder when it is empty); how many."""
    removed = 0
    for output in outputs:
        if output.local_path:
            path = Path(output.local_path)
            if outputs_dir in path.parents:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
    if job.generation_id:
        folder = outputs_dir / job.generation_id
        with contextlib.suppress(OSError):
            if folder.is_dir() and not any(folder.iterdir()):
                shutil.rmtree(folder)
    return removed
