"""The engine: the one path every request takes, shared by the TUI, the CLI and the tests.

`submit()` writes the request to the store *before* anything is sent, then hands it to
the local submission queue; the queue POSTs it when the API's limits allow; the poller
follows it; on `completed` the downloader fetches and verifies its outputs. Each change
is stored first and published second.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.engine.downloads import DEFAULT_MAX_BYTES, Downloader
from lumatui.engine.events import EventBus, JobChanged
from lumatui.engine.jobs import JobState
from lumatui.engine.poller import Poller
from lumatui.engine.schedule import PollPlan
from lumatui.engine.submitter import Submitter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from lumatui.api.client import AgentsClient
    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job
    from lumatui.engine.media import ThumbnailCache
    from lumatui.engine.store import JobStore


@dataclass(frozen=True)
class EngineOptions:
    """Tuning of the engine. `time_scale` shrinks every wait (a sped-up simulator).

    `rate_limit` GETs per second, counted over every `rate_window` seconds, is held by the
    client's transport. `learn_durations` (a real key) lets finished jobs refine the priors.
    """

    rate_limit: float = 5.0
    rate_window: float = 1.0
    learn_durations: bool = False
    max_in_flight: int = 4
    max_parallel_downloads: int = 2
    max_download_bytes: int = DEFAULT_MAX_BYTES
    time_scale: float = 1.0
    plan: PollPlan | None = None


class Engine:
    """Submits, polls and downloads; owns the background tasks that do it."""

    def __init__(
        self,
        store: JobStore,
        client: AgentsClient,
        outputs_dir: Path,
        *,
        thumbnails: ThumbnailCache | None = None,
        options: EngineOptions | None = None,
    ) -> None:
        opts = options or EngineOptions()
        self.store = store
        self.client = client
        self.bus = EventBus()
        self.options = opts
        plan = opts.plan or PollPlan(time_scale=opts.time_scale)
        client.get_limiter.configure_rate(opts.rate_limit, opts.rate_window)
        self.downloader = Downloader(
            store,
            client,
            self.bus,
            outputs_dir,
            thumbnails=thumbnails,
            max_parallel=opts.max_parallel_downloads,
            max_bytes=opts.max_download_bytes,
            time_scale=opts.time_scale,
        )
        self.poller = Poller(
            store,
            client,
            self.bus,
            on_completed=self.downloader.enqueue,
            plan=plan,
            max_in_flight=opts.max_in_flight,
            learn_durations=opts.learn_durations,
        )
        self.submitter = Submitter(
            store, client, self.bus, on_created=self.poller.follow, time_scale=opts.time_scale
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._lock_fd: int | None = None
        self.is_primary = False

    async def start(self) -> list[Job]:
        """Resume after any stop: returns the jobs a crash left uncertain.

        Only the first engine on a store (an exclusive lock beside the database) recovers
        interrupted submissions and resends waiting jobs; a second lumatui process on the
        same history would otherwise mark the first one's in-flight POSTs uncertain, or
        send its waiting jobs twice. Any engine polls and downloads.
        """
        self.is_primary = self._claim_store()
        uncertain: list[Job] = []
        if self.is_primary:
            uncertain = self.store.recover_interrupted()
            for job in uncertain:
                self.bus.publish(JobChanged(job))
            self.downloader.sweep_partial_files()
            for job in self.store.in_state(JobState.WAITING):
                self.submitter.enqueue(job.id)
        for job in self.store.polled():
            self.poller.follow(job)
        self.downloader.enqueue_pending()
        self._tasks = [
            asyncio.create_task(self.submitter.run(), name="lumatui-submitter"),
            asyncio.create_task(self.poller.run(), name="lumatui-poller"),
        ]
        return uncertain

    def _claim_store(self) -> bool:
        """Take the store's primary lock if no other process holds it."""
        if self._lock_fd is None:
            lock_path = f"{self.store.path}.lock"
            self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    async def stop(self) -> None:
        """Cancel the background work; the store keeps everything for the next start."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the primary lock
            self._lock_fd = None
        self.downloader.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(asyncio.CancelledError):
            await self.downloader.idle()

    def submit(self, request: GenerationRequest) -> Job:
        """Record the request (before any POST) and queue it; returns the stored job."""
        if self.submitter.waiting:
            note = f"in the local queue behind {self.submitter.waiting} job(s)"
            job = self.store.record_submission(request, state=JobState.WAITING, note=note)
        else:
            job = self.store.record_submission(request)
        self.bus.publish(JobChanged(job))
        self.submitter.enqueue(job.id)
        return job

    def select(self, job_id: str | None) -> None:
        """The job the user is looking at: its GETs go first when the rate cap is reached."""
        self.poller.select(job_id)

    def subscribe(self, subscriber: Callable[[Event], None]) -> Callable[[], None]:
        """Receive every engine event; returns a function that unsubscribes."""
        return self.bus.subscribe(subscriber)

    async def wait_for(
        self, job_ids: Iterable[str], *, timeout: float | None = None, downloads: bool = True
    ) -> list[Job]:
        """Wait until every job is finished (and its outputs fetched); returns them."""
        wanted = list(dict.fromkeys(job_ids))
        changed = asyncio.Event()
        unsubscribe = self.bus.subscribe(lambda _event: changed.set())
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                jobs = [self.store.get(job_id) for job_id in wanted]
                if all(self._settled(job, downloads) for job in jobs):
                    return jobs
                changed.clear()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(
                        f"{sum(not j.state.is_finished for j in jobs)} job(s) unfinished"
                    )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining or 1.0, 1.0)):
                        await changed.wait()
        finally:
            unsubscribe()

    def _settled(self, job: Job, downloads: bool) -> bool:
        if not job.state.is_finished:
            return False
        if not downloads or job.state is not JobState.COMPLETED:
            return True
        return all(o.is_downloaded or o.error for o in self.store.outputs(job.id))
