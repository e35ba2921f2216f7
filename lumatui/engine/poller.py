"""One asyncio scheduler that polls every unfinished job on its own adaptive schedule.

Each job has a due time from its kind's schedule (`schedule.Schedules`). Of the jobs due,
the selected one goes first, then those past their kind's typical duration, then the
earliest due; the rate cap itself is held on the wire by the client's GET limiter, which
queues requests by the same priority. A semaphore bounds how many GETs are in flight,
a 429's Retry-After holds every job, and repeated network failures mark the API offline
and back off without failing any job: only the API's own `failed` state fails a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from typing import TYPE_CHECKING

from lumatui.api import errors
from lumatui.api.limiter import Priority, priority
from lumatui.api.retry import MAX_RETRY_AFTER_S
from lumatui.engine.durations import Kind
from lumatui.engine.events import Connectivity, JobChanged, JobError, PollingStatus
from lumatui.engine.jobs import JobState
from lumatui.engine.schedule import PollPlan, Schedules, backoff_delay

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from lumatui.api.client import AgentsClient
    from lumatui.api.schema import Generation
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.events import EventBus
    from lumatui.engine.jobs import Job

log = logging.getLogger("lumatui.engine")
OFFLINE_AFTER_FAILURES = 2
# A generation has one output, a layering job one per layer; a reply listing more than
# this is cut short.
MAX_OUTPUTS = 16
MAX_COUNTED_FAILURES = 32
_TRANSIENT = (
    errors.NetworkError,
    errors.RequestTimeout,
    errors.UpstreamUnavailable,
    errors.ServerError,
)


class Poller:
    """Polls this process's followed jobs, writes each change to the store, then publishes it."""

    def __init__(
        self,
        store: AsyncJobStore,
        client: AgentsClient,
        bus: EventBus,
        *,
        on_completed: Callable[[Job], None],
        plan: PollPlan | None = None,
        max_in_flight: int = 4,
        learn_durations: bool = False,
    ) -> None:
        self._store = store
        self._client = client
        self._bus = bus
        self._on_completed = on_completed
        self.plan = plan or PollPlan()
        self.schedules = Schedules(self.plan, learn=learn_durations)
        self._slots = asyncio.Semaphore(max_in_flight)
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}
        self._ready: set[str] = set()
        self._typical_at: dict[str, float] = {}  # loop time a job passes its typical duration
        self._kinds: dict[str, Kind] = {}
        self._selected: str | None = None
        self._reading: dict[tuple[str, str], asyncio.Task[None]] = {}  # history reads
        self._errors: dict[str, int] = {}
        self._jobs: dict[str, Job] = {}
        self._counter = itertools.count()
        self._wake = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._hold_until = 0.0
        self._network_failures = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.gets_sent = 0

    # -- control --------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while polling is paused by the user."""
        return not self._running.is_set()

    @property
    def followed(self) -> int:
        """How many jobs are being polled."""
        return len(self._due)

    def follow(self, job: Job) -> None:
        """Start polling a job the API knows (queued or processing)."""
        if job.generation_id is None or job.state.is_finished:
            return
        self._jobs[job.id] = job
        self._schedule(job.id, self._delay_for(job))
        self._publish_status()

    def select(self, job_id: str | None) -> None:
        """The job the user is looking at: its GETs go first when the cap is reached."""
        self._selected = job_id

    def forget(self, job_id: str) -> None:
        """Stop polling a job (it was removed, finished, or is no longer this process's)."""
        self._jobs.pop(job_id, None)
        self._due.pop(job_id, None)
        self._errors.pop(job_id, None)
        self._ready.discard(job_id)
        self._typical_at.pop(job_id, None)
        self._kinds.pop(job_id, None)

    def poll_now(self, job_id: str) -> None:
        """Poll this job as soon as the rate cap allows."""
        if job_id in self._due:
            self._schedule(job_id, 0.0)

    async def wait_turn(self) -> None:
        """Wait out a 429's or an outage's hold before another GET (the downloader's link
        refreshes); the rate cap itself is held on the wire by the client's GET limiter."""
        loop = asyncio.get_running_loop()
        while self._hold_until > loop.time():
            await asyncio.sleep(self._hold_until - loop.time())

    def pause(self) -> None:
        """Stop sending GETs until `resume`; schedules are kept."""
        self._running.clear()
        self._publish_status()

    def resume(self) -> None:
        """Start polling again."""
        self._running.set()
        self._wake.set()
        self._publish_status()

    # -- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll forever; cancel the task to stop (in-flight GETs are cancelled too)."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self._slots.acquire()  # a free slot first, so the pick is made late
                try:
                    job_id = await self._next_job(loop)
                except BaseException:
                    self._slots.release()
                    raise
                task = asyncio.create_task(self._poll(job_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            for task in [*self._tasks, *self._reading.values()]:
                task.cancel()

    async def _next_job(self, loop: asyncio.AbstractEventLoop) -> str:
        """Wait until a job is due (and polling neither paused nor held); the best of them."""
        while True:
            await self._running.wait()
            now = loop.time()
            until: float | None = self._hold_until if self._hold_until > now else None
            if until is None:
                job_id = self._pick(now)
                if job_id is not None:
                    return job_id
                until = self._next_due()
            self._wake.clear()
            await self._wait_for_wake(None if until is None else max(until - now, 0.0))

    def _pick(self, now: float) -> str | None:
        """Of the jobs due, the selected one, then the overdue (or long due), then the earliest."""
        while self._heap and self._heap[0][0] <= now:
            popped, _, job_id = heapq.heappop(self._heap)
            if self._due.get(job_id) == popped:
                self._ready.add(job_id)
        best: tuple[tuple[int, float], str] | None = None
        for job_id in list(self._ready):
            due = self._due.get(job_id)
            if due is None or due > now:  # no longer followed, or rescheduled for later
                self._ready.discard(job_id)
                continue
            level = self._priority(job_id, now)
            if now - due >= self.plan.dense_interval * self.plan.time_scale:
                level = max(level, Priority.OVERDUE)  # aging: no job starves behind the rest
            key = (level, -due)
            if best is None or key > best[0]:
                best = (key, job_id)
        if best is None:
            return None
        job_id = best[1]
        self._ready.discard(job_id)
        del self._due[job_id]
        return job_id

    def _priority(self, job_id: str, now: float) -> Priority:
        if job_id == self._selected:
            return Priority.SELECTED
        if now >= self._typical_at.get(job_id, float("inf")):
            return Priority.OVERDUE
        return Priority.ROUTINE

    def _next_due(self) -> float | None:
        while self._heap:
            due, _, job_id = self._heap[0]
            if self._due.get(job_id) == due:
                return due
            heapq.heappop(self._heap)  # superseded by a newer schedule
        return None

    async def _wait_for_wake(self, timeout: float | None) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()

    def _schedule(self, job_id: str, delay: float) -> None:
        due = asyncio.get_running_loop().time() + max(delay, 0.0)
        self._due[job_id] = due
        heapq.heappush(self._heap, (due, next(self._counter), job_id))
        self._wake.set()

    async def plan_for(self, jobs: Iterable[Job]) -> None:
        """Plan the schedules of the kinds of these jobs (those to be polled) before they are
        followed, one kind at a time with the event loop free between two (each takes a
        CPU-bound moment)."""
        for job in jobs:
            if job.generation_id is None or job.state.is_finished:
                continue
            kind = self._kind_of(job)
            if not self.schedules.planned(kind):
                await asyncio.sleep(0)
                self.schedules.for_kind(kind)

    def _kind_of(self, job: Job) -> Kind:
        kind = self._kinds.get(job.id)
        if kind is None:  # parsed once: a request may carry megabytes of inline images
            kind = self._kinds[job.id] = Kind.of(job.model, job.type, job.request_json)
        return kind

    def _delay_for(self, job: Job) -> float:
        kind = self._kind_of(job)
        if self.schedules.needs_history(kind) and kind.family not in self._reading:
            # Read off the loop; the polls planned after it use what it learns.
            self._reading[kind.family] = asyncio.create_task(self._learn(kind.family))
        scale = self.plan.time_scale
        elapsed = time.time() - (job.submitted_at or job.created_at)
        typical = self.schedules.for_kind(kind).typical * scale
        self._typical_at[job.id] = asyncio.get_running_loop().time() + typical - elapsed
        return self.schedules.delay(kind, elapsed)

    async def _learn(self, family: tuple[str, str]) -> None:
        """Refine a family's prior from its finished jobs in the history."""
        model, type_ = family
        scale = self.plan.time_scale
        try:
            runs = await self._store.read(lambda s: s.finished_runs(model, type_))
            history = [
                (Kind.video(model, type_, *settings), seconds / scale)
                for seconds, *settings in runs
            ]
            self.schedules.learn_from(family, history)
        except Exception:  # the prior still holds; try again on the next finish
            log.exception("reading the durations of %s/%s failed", model, type_)
        finally:
            self._reading.pop(family, None)

    async def learnt(self) -> None:
        """Wait until the history reads in flight have refined their families' schedules."""
        while self._reading:
            await asyncio.gather(*self._reading.values())

    # -- one GET ----------------------------------------------------------------------------

    async def _poll(self, job_id: str) -> None:
        try:
            job = self._jobs.get(job_id)
            if job is None:  # forgotten meanwhile
                return
            assert job.generation_id is not None
            self.gets_sent += 1
            level = self._priority(job_id, asyncio.get_running_loop().time())
            try:
                with priority(level):
                    generation = await self._client.get(job.generation_id)
            except errors.ApiError as err:
                self._failed(job, err)
                return
            await self._succeeded(job, generation)
        except KeyError:  # removed from the history meanwhile
            self.forget(job_id)
        except Exception as exc:  # one job's surprise must never stop the poller
            log.exception("polling %s failed unexpectedly", job_id)
            self._bus.publish(JobError(job_id, f"polling failed unexpectedly: {exc!r}"))
            self._schedule(job_id, self.plan.max_interval * self.plan.time_scale)
        finally:
            self._slots.release()

    async def _succeeded(self, job: Job, generation: Generation) -> None:
        if self._network_failures:
            self._network_failures = 0
            self._bus.publish(Connectivity(online=True))
        if generation.id != job.generation_id:
            self._bus.publish(JobError(job.id, "the API answered with another generation's id"))
            self._schedule(job.id, self._backoff(3))
            return
        if str(generation.state) == JobState.COMPLETED and not generation.output:
            # Completed with nothing to download: not stored as completed, asked again later.
            failures = self._errors[job.id] = self._errors.get(job.id, 0) + 1
            message = "the API says the job completed but lists no output; asking again"
            self._bus.publish(JobError(job.id, message))
            self._schedule(job.id, self._backoff(failures))
            return
        self._errors.pop(job.id, None)
        stored, changed = await self._store.write(lambda s: s.record_state(job.id, generation))
        if job.id in self._jobs:
            self._jobs[job.id] = stored
        if changed:
            self._bus.publish(JobChanged(stored))
        if stored.state.is_finished:
            self.schedules.finished((stored.model, stored.type))
        if stored.state is JobState.COMPLETED:
            outputs = generation.output or []
            if len(outputs) > MAX_OUTPUTS:
                message = (
                    f"the API listed {len(outputs)} outputs; only the first {MAX_OUTPUTS} are kept"
                )
                self._bus.publish(JobError(job.id, message))
            self.forget(job.id)
            self._on_completed(stored)
        elif not stored.state.is_finished:
            if job.id in self._jobs:
                self._schedule(job.id, self._delay_for(stored))
        else:
            self.forget(job.id)
        self._publish_status()

    def _failed(self, job: Job, err: errors.ApiError) -> None:
        loop = asyncio.get_running_loop()
        failures = self._errors.get(job.id, 0) + 1
        self._errors[job.id] = failures
        if isinstance(err, errors.RateLimited):
            hinted = err.retry_after
            if hinted is not None and hinted <= MAX_RETRY_AFTER_S:
                wait = hinted
            else:
                wait = self._backoff(failures)
            self._hold_until = max(self._hold_until, loop.time() + wait)
            self._schedule(job.id, wait)
            return
        if isinstance(err, _TRANSIENT) and err.retryable:  # not an UnexpectedStatus (3xx, 418)
            self._network_failures += 1
            wait = self._backoff(self._network_failures)
            if self._network_failures >= OFFLINE_AFTER_FAILURES:
                self._hold_until = max(self._hold_until, loop.time() + wait)
                self._bus.publish(Connectivity(online=False, detail=err.message))
            self._schedule(job.id, wait)
            return
        if isinstance(err, errors.AuthenticationFailed | errors.AccessDenied):
            self.pause()
        self._bus.publish(JobError(job.id, f"polling: {err}"))
        self._schedule(job.id, self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        """The backoff after `failures` in a row (clamped: 2.0 ** 1025 overflows a float)."""
        return backoff_delay(min(failures, MAX_COUNTED_FAILURES), self.plan)

    def _publish_status(self) -> None:
        self._bus.publish(PollingStatus(paused=self.paused, followed=self.followed))
