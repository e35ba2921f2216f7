"""The local submission queue: this process's jobs wait here, in order, until the API lets them in.

The API answers 429 when the caller's requests-per-minute or concurrent-jobs limit is
reached, 402 when the balance cannot cover a job, 401/403 when the key is refused. None of
them creates anything, and `create` returns them at once (it never sleeps), so the job is
held here as `waiting`, with its reason and the time of the next try (`due_at`) in the
store for every process to show, and sent again by itself: after Retry-After for a 429, a
growing pause for a 402 or an outage, only after `resume()` for a refused key. `resume()`
(the `u` key) cuts any wait short.

A job is sent only after `claim_for_send` finds it, in one transaction, still unsent,
without a generation id and owned by this process. A POST whose outcome is unknown is
never re-sent: the job becomes `uncertain`. If the engine stops while a POST is under
way, `settle()` decides from the send probe: no byte left, so the job waits again; else
it is uncertain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING

from lumatui.api import errors
from lumatui.api.retry import backoff_delay, believed_retry_after
from lumatui.api.schema import GenerationRequest
from lumatui.api.sending import SendProbe
from lumatui.engine.events import (
    Connectivity,
    JobChanged,
    JobError,
    QueueStatus,
    SendRefused,
    SubmissionRejected,
)
from lumatui.engine.jobs import JobState
from lumatui.engine.keyframe_refs import KeyframeRefs

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.client import AgentsClient
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.events import EventBus
    from lumatui.engine.jobs import Job

log = logging.getLogger("lumatui.engine")

# Refusals that say nothing about this one request: hold the whole queue.
_REFUSALS: dict[type[errors.ApiError], str] = {
    errors.InsufficientBalance: "balance",
    errors.AuthenticationFailed: "auth",
    errors.AccessDenied: "access",
}
BALANCE_RETRY_S = (30.0, 60.0, 120.0, 300.0)
KEY_RETRY_S = 600.0
"""A refused key is tried again after ten minutes (or at once with `resume`)."""


class Submitter:
    """Sends this process's jobs one at a time, in order, holding them through refusals."""

    def __init__(
        self,
        store: AsyncJobStore,
        client: AgentsClient,
        bus: EventBus,
        *,
        owner: str,
        on_created: Callable[[Job], None],
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._client = client
        self._bus = bus
        self._owner = owner
        self._on_created = on_created
        self._time_scale = time_scale
        self._clock = clock
        self._queue: deque[str] = deque()
        self._wake = asyncio.Event()
        self._resume = asyncio.Event()
        self._sending: str | None = None
        self._probe: SendProbe | None = None
        self.paused_reason: str | None = None
        self.sent_posts = 0
        self.keyframes = KeyframeRefs.beside(store)  # image ids in keyframes, or their data

    @property
    def waiting(self) -> int:
        """How many jobs are in the local queue."""
        return len(self._queue)

    @property
    def queued_ids(self) -> list[str]:
        """The jobs in the queue, in sending order."""
        return list(self._queue)

    def enqueue(self, job_id: str) -> None:
        """Add a recorded job (owned by this process) to the end of the queue."""
        if job_id in self._queue:
            return
        self._queue.append(job_id)
        self._wake.set()
        self._publish_status()

    def forget(self, job_id: str) -> None:
        """Drop a job from the queue (it was cancelled)."""
        with contextlib.suppress(ValueError):
            self._queue.remove(job_id)
            self._publish_status()

    def resume(self) -> None:
        """Cut any wait short (after adding funds or fixing the key): try the head job now."""
        self._resume.set()
        self._wake.set()

    async def run(self) -> None:
        """Send jobs forever, in order; cancel the task to stop (then call `settle`)."""
        failures = 0
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            job_id = self._queue[0]
            try:
                delay = await self._next(job_id, failures)
            except Exception as exc:  # the store, say: the queue must outlive one surprise
                log.exception("sending %s failed unexpectedly", job_id)
                self._bus.publish(JobError(job_id, f"could not send it yet: {exc!r}"))
                delay = backoff_delay(failures + 1) * self._time_scale
            if delay is None:
                self._pop(job_id)
                failures = 0
            else:
                failures += 1
                await self._hold(delay)

    async def _next(self, job_id: str, failures: int) -> float | None:
        """Claim and send the head job; None when it leaves the queue, else seconds to hold."""
        self._sending, self._probe = job_id, None
        claimed = await self._claim(job_id)
        if claimed is None:  # cancelled, removed or sent by someone else meanwhile
            self._sending = None
            return None
        self._changed(claimed)
        delay = await self._send(claimed, failures)
        self._sending, self._probe = None, None
        return delay

    async def _claim(self, job_id: str) -> Job | None:
        owner = self._owner
        return await self._store.write(lambda s: s.claim_for_send(job_id, owner))

    async def settle(self) -> Job | None:
        """After the task was cancelled: resolve the job it was sending, if any."""
        job_id, probe = self._sending, self._probe
        self._sending, self._probe = None, None
        if job_id is None:
            return None
        sent = probe is not None and probe.may_have_sent
        owner = self._owner
        job = await self._store.write(lambda s: s.settle_send(job_id, owner, may_have_sent=sent))
        if job is not None:
            self._changed(job)
        return job

    def _pop(self, job_id: str) -> None:
        if self._queue and self._queue[0] == job_id:
            self._queue.popleft()
        self._publish_status()

    def _new_probe(self) -> SendProbe:
        """The probe of the next POST, kept for `settle` (the keyframe fallback POSTs twice)."""
        self.sent_posts += 1
        self._probe = SendProbe()
        return self._probe

    async def _send(self, job: Job, failures: int) -> float | None:
        """POST one job; None when it is done with the queue, else seconds to hold it."""
        request = GenerationRequest.from_stored(job.request_json)
        try:
            generation = await self.keyframes.create(self._client, request, self._new_probe)
        except errors.OutcomeUncertain as err:
            message = err.message
            self._changed(
                await self._store.write(lambda s: s.mark_local(job.id, JobState.UNCERTAIN, message))
            )
            self._bus.publish(JobError(job.id, str(err)))
            return None
        except tuple(_REFUSALS) as err:
            return await self._refused(job, err, failures)
        except (
            errors.RateLimited,
            errors.UpstreamUnavailable,
            errors.NetworkError,
            errors.RequestTimeout,
        ) as err:
            return await self._try_later(job, err, failures)
        except errors.ApiError as err:
            note = err.message
            rejected = await self._store.write(
                lambda s: s.mark_local(job.id, JobState.REJECTED, note)
            )
            self._changed(rejected)
            self._bus.publish(SubmissionRejected(rejected, err.field_errors))
            return None
        if self.paused_reason is not None:
            self.paused_reason = None
            self._publish_status()
        stored = await self._store.write(lambda s: s.mark_submitted(job.id, generation))
        self._changed(stored)
        self._bus.publish(Connectivity(online=True))
        if stored.state is JobState.UNCERTAIN:  # the API reused another job's id
            self._bus.publish(JobError(job.id, stored.note or "duplicate generation id"))
        else:
            self._on_created(stored)
        return None

    async def _try_later(self, job: Job, err: errors.ApiError, failures: int) -> float:
        """A refusal that created nothing and will pass: hold the job until its next try."""
        scale = self._time_scale
        if isinstance(err, errors.RateLimited):
            hinted = believed_retry_after(err.retry_after)
            if hinted is not None:
                delay, scale = hinted, 1.0  # the server's seconds are real seconds
            else:
                delay = backoff_delay(failures + 1)
            note = "rate limit or concurrent-job limit reached (HTTP 429); nothing was sent"
        else:
            delay = backoff_delay(failures + 1, base=5.0)
            note = f"the API is unreachable ({err.message}); nothing was created"
            answered = isinstance(err, errors.UpstreamUnavailable)
            self._bus.publish(Connectivity(online=False, detail=err.message, answered=answered))
        await self._wait(job, note, delay * scale)
        return delay * scale

    async def _refused(self, job: Job, err: errors.ApiError, failures: int) -> float:
        """402, 401 or 403: the queue waits for funds or a key; said at once."""
        kind = _REFUSALS.get(type(err), "auth")
        if kind == "balance":
            delay = BALANCE_RETRY_S[min(failures, len(BALANCE_RETRY_S) - 1)]
            reason = f"no balance for the next job (HTTP 402: {_detail(err)}): add funds"
        else:
            delay = KEY_RETRY_S
            what = "refused the key" if kind == "auth" else "denied access"
            reason = f"the API {what} (HTTP {err.status}: {_detail(err)}): fix it, then resume"
        self.paused_reason = reason
        self._publish_status()  # before the job's change, so listeners know why it waits
        delay *= self._time_scale
        stored = await self._wait(job, reason, delay)
        self._bus.publish(SendRefused(stored, kind, reason))
        return delay

    async def _wait(self, job: Job, note: str, delay: float) -> Job:
        due = self._clock() + delay
        stored = await self._store.write(
            lambda s: s.mark_local(job.id, JobState.WAITING, note, due_at=due)
        )
        self._changed(stored)
        return stored

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


def _detail(err: errors.ApiError) -> str:
    """The API's own words for a refusal, without the status prefix the message carries."""
    message = err.message
    head = f"{err.summary} (HTTP {err.status})"
    if message.startswith(head):
        message = message[len(head) :].lstrip(": ").strip()
    return message or err.summary
