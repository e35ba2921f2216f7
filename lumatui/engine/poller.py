"""One asyncio scheduler that polls every unfinished job on its own adaptive schedule.

Each job has a due time (see `schedule.next_delay`). A global rate cap spaces GETs out,
a semaphore bounds how many are in flight, a 429's Retry-After holds every job, and
repeated network failures mark the API offline and back off without failing any job:
only the API's own `failed` state fails a job.
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
from lumatui.api.retry import MAX_RETRY_AFTER_S
from lumatui.engine.events import Connectivity, JobChanged, JobError, PollingStatus
from lumatui.engine.jobs import JobState
from lumatui.engine.schedule import PollPlan, backoff_delay, expectation, next_delay

if TYPE_CHECKING:
    from collections.abc import Callable

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
HISTORY_TTL_S = 30.0
"""How long the durations of a kind of job are reused before they are read again."""
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
        rate_limit: float = 5.0,
        max_in_flight: int = 4,
    ) -> None:
        self._store = store
        self._client = client
        self._bus = bus
        self._on_completed = on_completed
        self.plan = plan or PollPlan()
        self._spacing = 1.0 / rate_limit
        self._slots = asyncio.Semaphore(max_in_flight)
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}
        self._errors: dict[str, int] = {}
        self._jobs: dict[str, Job] = {}
        self._history: dict[tuple[str, str], tuple[float, list[float]]] = {}
        self._counter = itertools.count()
        self._wake = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._next_start = 0.0
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

    def forget(self, job_id: str) -> None:
        """Stop polling a job (it was removed, or is no longer this process's)."""
        self._jobs.pop(job_id, None)
        self._due.pop(job_id, None)
        self._errors.pop(job_id, None)

    def poll_now(self, job_id: str) -> None:
        """Poll this job as soon as the rate cap allows."""
        if job_id in self._due:
            self._schedule(job_id, 0.0)

    async def wait_turn(self) -> None:
        """Wait until another GET fits the rate cap, and take that turn (the downloader's
        link refreshes use it, so the cap holds for every GET this process sends)."""
        loop = asyncio.get_running_loop()
        while (start := max(self._next_start, self._hold_until)) > loop.time():
            await asyncio.sleep(start - loop.time())
        self._next_start = loop.time() + self._spacing

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
                await self._running.wait()
                job_id = self._next_due()
                if job_id is None:
                    self._wake.clear()
                    await self._wait_for_wake(None)
                    continue
                start = max(self._due[job_id], self._next_start, self._hold_until)
                if start > loop.time():
                    self._wake.clear()
                    await self._wait_for_wake(start - loop.time())
                    continue
                heapq.heappop(self._heap)
                del self._due[job_id]
                self._next_start = loop.time() + self._spacing
                await self._slots.acquire()
                task = asyncio.create_task(self._poll(job_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            for task in self._tasks:
                task.cancel()

    def _next_due(self) -> str | None:
        while self._heap:
            due, _, job_id = self._heap[0]
            if self._due.get(job_id) == due:
                return job_id
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

    def _delay_for(self, job: Job) -> float:
        history = self._durations(job.model, job.type)
        expected = expectation(job.model, job.type, history).scaled(self.plan.time_scale)
        elapsed = time.time() - (job.submitted_at or job.created_at)
        return next_delay(elapsed, expected, self.plan)

    def _durations(self, model: str, type_: str) -> list[float]:
        """Recent durations of this kind (read at most every HISTORY_TTL_S, off the loop)."""
        kind = (model, type_)
        read_at, durations = self._history.get(kind, (float("-inf"), []))
        if time.monotonic() - read_at > HISTORY_TTL_S:
            self._history[kind] = (time.monotonic(), durations)
            task = asyncio.create_task(self._read_durations(kind))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return durations

    async def _read_durations(self, kind: tuple[str, str]) -> None:
        durations = await self._store.read(lambda s: s.durations(*kind))
        self._history[kind] = (time.monotonic(), durations)

    # -- one GET ----------------------------------------------------------------------------

    async def _poll(self, job_id: str) -> None:
        try:
            job = self._jobs.get(job_id)
            if job is None:  # forgotten meanwhile
                return
            assert job.generation_id is not None
            self.gets_sent += 1
            try:
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
        if stored.state is JobState.COMPLETED:
            outputs = generation.output or []
            if len(outputs) > MAX_OUTPUTS:
                message = (
                    f"the API listed {len(outputs)} outputs; only the first {MAX_OUTPUTS} are kept"
                )
                self._bus.publish(JobError(job.id, message))
            self.forget(job.id)
            self._history.pop((stored.model, stored.type), None)
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
