"""Engine events in, one Textual message out: the one place the engine meets the widgets.

The engine publishes synchronously from its own tasks on the app's event loop, after the
store has the change. The bridge posts each event, as the engine made it, inside one message
(`EngineBridge.EngineEvent`) to one target (the main screen), whose handler calls `dispatch`:
the only place events are told apart, each going to the `EngineView` method named after it
(the screen's `LiveView`, where the history's other processes' changes arrive too).
Job changes are coalesced: they travel as one `JobChanges` holding the newest version of
each job only, at most once per `JOB_CHANGES_EVERY_S` (a change after a quiet spell goes at
the next turn of the event loop), so a hundred jobs polled several times a second cost the
screen a few list updates a second, not one per poll, and the frames showing typed keys do
not queue behind them. The poller's `PollingStatus` (after every poll) goes with them, the
newest only. Any other event first flushes what is pending, so events arrive in order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, assert_never

from textual.message import Message

from lumatui.engine.events import (
    Connectivity,
    DownloadProgress,
    Event,
    JobChanged,
    JobError,
    JobRemoved,
    OutputReady,
    PollingStatus,
    QueueStatus,
    ReplayChanged,
    RoleChanged,
    SendRefused,
    SubmissionRejected,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.message_pump import MessagePump

    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine


JOB_CHANGES_EVERY_S = 0.1
"""Job changes reach the widgets at most this often (ten list updates a second look live)."""


@dataclass(frozen=True)
class JobChanges:
    """Job changes coalesced by the bridge: the newest version of each job that changed."""

    jobs: list[Job] = field(default_factory=list)


class EngineView(Protocol):
    """What shows the engine's news (the main screen's `LiveView`): a method per event, named
    after it."""

    def jobs_changed(self, jobs: list[Job]) -> None:
        """Jobs' stored rows changed (state, id, note or failure)."""

    def jobs_removed(self, job_ids: list[str]) -> None:
        """Jobs were removed from the history (by this process or another)."""

    def role_changed(self, event: RoleChanged) -> None:
        """This process became primary, or learnt which process is."""

    def send_refused(self, event: SendRefused) -> None:
        """The API refused this caller (401, 403 or 402)."""

    def output_ready(self, event: OutputReady) -> None:
        """An output is on disk and verified."""

    def download_progress(self, event: DownloadProgress) -> None:
        """Bytes of an output arrived."""

    def job_error(self, event: JobError) -> None:
        """Something went wrong with one job."""

    def submission_rejected(self, event: SubmissionRejected) -> None:
        """The API refused a request; its errors name the fields."""

    def queue_status(self, event: QueueStatus) -> None:
        """The local submission queue paused, resumed or changed size."""

    def connectivity(self, event: Connectivity) -> None:
        """The API stopped or started answering."""

    def polling_status(self, event: PollingStatus) -> None:
        """Polling paused or resumed, or follows another number of jobs."""

    def replay_changed(self, event: ReplayChanged) -> None:
        """A replay plan recorded a step, or finished (done, stopped, cancelled)."""


def dispatch(view: EngineView, event: Event | JobChanges) -> None:
    """Hand one engine event to the view's method for it (mypy checks that none is missed)."""
    match event:
        case JobChanges():
            view.jobs_changed(event.jobs)
        case JobChanged():  # the bridge coalesces these; one on its own is a batch of one
            view.jobs_changed([event.job])
        case JobRemoved():
            view.jobs_removed([event.job_id])
        case RoleChanged():
            view.role_changed(event)
        case SendRefused():
            view.send_refused(event)
        case OutputReady():
            view.output_ready(event)
        case DownloadProgress():
            view.download_progress(event)
        case JobError():
            view.job_error(event)
        case SubmissionRejected():
            view.submission_rejected(event)
        case QueueStatus():
            view.queue_status(event)
        case Connectivity():
            view.connectivity(event)
        case PollingStatus():
            view.polling_status(event)
        case ReplayChanged():
            view.replay_changed(event)
        case _:
            assert_never(event)


class EngineBridge:
    """Subscribes to an engine and posts its events to `target` inside one kind of message."""

    @dataclass
    class EngineEvent(Message):
        """An engine event as the engine published it, or the bridge's coalesced job changes."""

        event: Event | JobChanges

    def __init__(self, target: MessagePump, *, every: float = JOB_CHANGES_EVERY_S) -> None:
        """`every`: the least time between two posts of job changes (seconds)."""
        self.target = target
        self.every = every
        self._pending: dict[str, Job] = {}
        self._status: PollingStatus | None = None
        self._flush_at: asyncio.TimerHandle | asyncio.Handle | None = None
        self._last_flush = float("-inf")
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, engine: Engine) -> None:
        """Start receiving `engine`'s events."""
        self.detach()
        self._unsubscribe = engine.subscribe(self.on_event)

    def detach(self) -> None:
        """Stop receiving events (the target is going away)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._pending.clear()
        self._status = None
        self._cancel_flush()

    def on_event(self, event: Event) -> None:
        """Pass one engine event on (called by the engine's event bus)."""
        if isinstance(event, JobChanged):
            self._pending[event.job.id] = event.job
            self._schedule_flush()
            return
        if isinstance(event, PollingStatus):
            self._status = event
            self._schedule_flush()
            return
        self.flush()
        self.target.post_message(self.EngineEvent(event))

    def _schedule_flush(self) -> None:
        """Flush at the next turn of the loop, or when the interval since the last is up."""
        if self._flush_at is not None:
            return
        loop = asyncio.get_running_loop()
        due = self._last_flush + self.every
        if due <= loop.time():
            self._flush_at = loop.call_soon(self.flush)
        else:
            self._flush_at = loop.call_at(due, self.flush)

    def _cancel_flush(self) -> None:
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None

    def flush(self) -> None:
        """Post the pending job changes as one message (and the newest polling status)."""
        self._cancel_flush()
        status, self._status = self._status, None
        if self._pending:
            self._last_flush = asyncio.get_running_loop().time()
            jobs = list(self._pending.values())
            self._pending.clear()
            self.target.post_message(self.EngineEvent(JobChanges(jobs)))
        if status is not None:
            self.target.post_message(self.EngineEvent(status))
