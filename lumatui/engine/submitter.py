"""The local submission queue: jobs wait here, in order, until the API's limits let them in.

The API answers 429 when the caller's requests-per-minute or concurrent-jobs limit is
reached, and 402 when the balance cannot cover a job. Neither creates anything, so the
job is held locally (state `waiting`) and sent again by itself: after Retry-After for a
429, after a growing pause (or the user's resume) for a 402. A POST whose outcome is
unknown is never re-sent: the job becomes `uncertain`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import TYPE_CHECKING

from lumatui.api import errors
from lumatui.api.schema import GenerationRequest
from lumatui.engine.events import (
    Connectivity,
    JobChanged,
    JobError,
    QueueStatus,
    SubmissionRejected,
)
from lumatui.engine.jobs import JobState
from lumatui.engine.keyframe_refs import KeyframeRefs

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.client import AgentsClient
    from lumatui.engine.events import EventBus
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore

log = logging.getLogger("lumatui.engine")

# Refusals that say nothing about this one request: hold the whole queue.
_QUEUE_STOPPERS = (errors.InsufficientBalance, errors.AuthenticationFailed, errors.AccessDenied)
# Failures where provably nothing was created: try the same job again later.
_TRY_AGAIN = (
    errors.RateLimited,
    errors.UpstreamUnavailable,
    errors.NetworkError,
    errors.RequestTimeout,
)
BALANCE_RETRY_S = (30.0, 60.0, 120.0, 300.0)
MAX_RETRY_AFTER_S = 120.0


class Submitter:
    """Sends queued jobs one at a time, in order, holding them through rate limits."""

    def __init__(
        self,
        store: JobStore,
        client: AgentsClient,
        bus: EventBus,
        *,
        on_created: Callable[[Job], None],
        time_scale: float = 1.0,
    ) -> None:
        self._store = store
        self._client = client
        self._bus = bus
        self._on_created = on_created
        self._time_scale = time_scale
        self._queue: deque[str] = deque()
        self._wake = asyncio.Event()
        self._resume = asyncio.Event()
        self.paused_reason: str | None = None
        self.sent_posts = 0
        self.keyframes = KeyframeRefs.beside(store)  # image ids in keyframes, or their data

    @property
    def waiting(self) -> int:
        """How many jobs are in the local queue."""
        return len(self._queue)

    def enqueue(self, job_id: str) -> None:
        """Add a recorded job to the end of the queue."""
        self._queue.append(job_id)
        self._wake.set()
        self._publish_status()

    def resume(self) -> None:
        """Lift a pause (after adding funds or fixing the key): try the head job now."""
        self._resume.set()

    async def run(self) -> None:
        """Send jobs forever, in order; cancel the task to stop."""
        failures = 0
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            job = self._store.get(self._queue[0])
            delay = await self._send(job, failures)
            if delay is None:
                self._queue.popleft()
                failures = 0
                self._publish_status()
            else:
                failures += 1
                await self._hold(delay)

    async def _send(self, job: Job, failures: int) -> float | None:
        """POST one job; None when it is done with the queue, else seconds to hold it."""
        request = GenerationRequest.model_validate_json(job.request_json)
        if job.state is not JobState.SUBMITTING:
            self._changed(self._store.mark_local(job.id, JobState.SUBMITTING, "sending"))
        try:
            self.sent_posts += 1
            generation = await self.keyframes.create(self._client, request)
        except asyncio.CancelledError:
            note = "lumatui stopped while sending this request; it may have been created"
            self._changed(self._store.mark_local(job.id, JobState.UNCERTAIN, note))
            raise
        except errors.OutcomeUncertain as err:
            self._changed(self._store.mark_local(job.id, JobState.UNCERTAIN, err.message))
            self._bus.publish(JobError(job.id, str(err)))
            return None
        except _QUEUE_STOPPERS as err:
            return self._pause(job, err, failures)
        except _TRY_AGAIN as err:
            return self._wait(job, err, failures)
        except errors.ApiError as err:
            rejected = self._store.mark_local(job.id, JobState.REJECTED, err.message)
            self._changed(rejected)
            self._bus.publish(SubmissionRejected(rejected, err.field_errors))
            return None
        self.paused_reason = None
        self._changed(self._store.mark_submitted(job.id, generation))
        self._bus.publish(Connectivity(online=True))
        self._on_created(self._store.get(job.id))
        return None

    def _wait(self, job: Job, err: errors.ApiError, failures: int) -> float:
        scale = self._time_scale
        if isinstance(err, errors.RateLimited):
            # A Retry-After beyond MAX_RETRY_AFTER_S is not believed: it would freeze the queue.
            hinted = err.retry_after
            if hinted is not None and hinted <= MAX_RETRY_AFTER_S:
                delay, scale = hinted, 1.0
            else:
                delay = min(2.0 * 2 ** min(failures, 16), MAX_RETRY_AFTER_S)
            note = f"rate limit reached (HTTP 429); sending again in {delay:.0f} s"
        else:
            # Clamped before the power: 5.0 * 2**1024 overflows a float (a day and a half off).
            delay = min(5.0 * 2 ** min(failures, 16), 120.0)
            note = f"the API is unreachable ({err.message}); trying again in {delay:.0f} s"
            self._bus.publish(Connectivity(online=False, detail=err.message))
        self._changed(self._store.mark_local(job.id, JobState.WAITING, note))
        return delay * scale

    def _pause(self, job: Job, err: errors.ApiError, failures: int) -> float:
        if isinstance(err, errors.InsufficientBalance):
            delay = BALANCE_RETRY_S[min(failures, len(BALANCE_RETRY_S) - 1)]
            reason = (
                "the balance cannot cover the next job (HTTP 402): add funds; the queue "
                f"tries again in {delay:.0f} s, or resume it now"
            )
        else:
            delay = 600.0
            reason = f"the API refused the key ({err.message}): fix it, then resume the queue"
        self.paused_reason = reason
        self._changed(self._store.mark_local(job.id, JobState.WAITING, reason))
        self._publish_status()
        return delay * self._time_scale

    async def _hold(self, delay: float) -> None:
        """Wait `delay` seconds, or less if the user resumes the queue."""
        self._resume.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(delay, 0.0)):
                await self._resume.wait()

    def _changed(self, job: Job) -> None:
        self._bus.publish(JobChanged(job))

    def _publish_status(self) -> None:
        self._bus.publish(QueueStatus(self.waiting, self.paused_reason))
