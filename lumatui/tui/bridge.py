"""Engine events in, Textual messages out: the one place the engine meets the widgets.

The engine publishes synchronously from its own tasks on the app's event loop, after the
store has the change. The bridge turns each event into a message posted to one target
(the main screen), which hands it to the widgets that draw it. Job changes are coalesced:
every change before the next turn of the event loop travels in one `JobsChanged`, the
newest version of each job only, so a burst of a thousand polls is one message. Any other
event first flushes the pending changes, so messages arrive in the order events happened.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from lumatui.engine.events import (
    Connectivity,
    DownloadProgress,
    JobChanged,
    JobError,
    JobRemoved,
    OutputReady,
    PollingStatus,
    QueueStatus,
    RoleChanged,
    SendRefused,
    SubmissionRejected,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.message_pump import MessagePump

    from lumatui.api.field_errors import FieldError
    from lumatui.engine.claims import ProcessRow
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.service import Engine


class EngineBridge:
    """Subscribes to an engine and posts its events to `target` as messages."""

    @dataclass
    class JobsChanged(Message):
        """Jobs whose stored rows changed (state, id, note or failure), newest version each."""

        jobs: list[Job] = field(default_factory=list)

    @dataclass
    class OutputDownloaded(Message):
        """An output of `job` is on disk and verified."""

        job: Job
        output: Output

    @dataclass
    class DownloadProgressed(Message):
        """Bytes of an output received so far (`total` when the server said)."""

        job_id: str
        index: int
        received: int
        total: int | None

    @dataclass
    class JobErrored(Message):
        """Something went wrong with one job; `message` is one line for a person."""

        job_id: str
        message: str

    @dataclass
    class SubmissionRefused(Message):
        """The API refused a request (nothing created); the errors name its fields."""

        job: Job
        field_errors: list[FieldError]

    @dataclass
    class JobsRemoved(Message):
        """Jobs removed from the history (by this process or another)."""

        job_ids: list[str] = field(default_factory=list)

    @dataclass
    class SendingRefused(Message):
        """The API refused this caller (401, 403 or 402): `kind` auth, access or balance."""

        job: Job
        kind: str
        message: str

    @dataclass
    class RoleChanged(Message):
        """This process became primary, or learnt which process is (`primary`)."""

        role: str
        primary: ProcessRow | None

    @dataclass
    class QueueChanged(Message):
        """The local submission queue: how many wait, and why it is paused if it is."""

        waiting: int
        paused_reason: str | None

    @dataclass
    class ConnectivityChanged(Message):
        """The API answers (`online`) or not, and what failed when it does not."""

        online: bool
        detail: str | None

    @dataclass
    class PollingChanged(Message):
        """Polling was paused or resumed, or the number of followed jobs changed."""

        paused: bool
        followed: int

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self._pending: dict[str, Job] = {}
        self._flush_scheduled = False
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

    def on_event(self, event: Event) -> None:
        """Translate one engine event (called by the engine's event bus)."""
        if isinstance(event, JobChanged):
            self._pending[event.job.id] = event.job
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self.flush)
            return
        self.flush()
        message = self._message_for(event)
        if message is not None:
            self.target.post_message(message)

    def flush(self) -> None:
        """Post the pending job changes as one message."""
        self._flush_scheduled = False
        if not self._pending:
            return
        jobs = list(self._pending.values())
        self._pending.clear()
        self.target.post_message(self.JobsChanged(jobs))

    def _message_for(self, event: Event) -> Message | None:
        if isinstance(event, OutputReady):
            return self.OutputDownloaded(event.job, event.output)
        if isinstance(event, DownloadProgress):
            return self.DownloadProgressed(event.job_id, event.index, event.received, event.total)
        if isinstance(event, JobError):
            return self.JobErrored(event.job_id, event.message)
        if isinstance(event, SubmissionRejected):
            return self.SubmissionRefused(event.job, list(event.field_errors))
        if isinstance(event, QueueStatus):
            return self.QueueChanged(event.waiting, event.paused_reason)
        if isinstance(event, Connectivity):
            return self.ConnectivityChanged(event.online, event.detail)
        if isinstance(event, PollingStatus):
            return self.PollingChanged(event.paused, event.followed)
        if isinstance(event, JobRemoved):
            return self.JobsRemoved([event.job_id])
        if isinstance(event, SendRefused):
            return self.SendingRefused(event.job, event.kind, event.message)
        if isinstance(event, RoleChanged):
            return self.RoleChanged(event.role, event.primary)
        return None
