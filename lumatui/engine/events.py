"""What the engine tells its subscribers, always after the store has it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.field_errors import FieldError
    from lumatui.engine.claims import ProcessRow
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.replay_plan import ReplayPlan

log = logging.getLogger("lumatui.engine")


@dataclass(frozen=True)
class JobChanged:
    """A job's stored row changed (state, id, note or failure)."""

    job: Job


@dataclass(frozen=True)
class OutputReady:
    """An output is downloaded, verified and on disk."""

    job: Job
    output: Output


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes of an output received so far (total when the server said)."""

    job_id: str
    index: int
    received: int
    total: int | None


@dataclass(frozen=True)
class JobError:
    """Something went wrong with one job; `message` is one line for a person."""

    job_id: str
    message: str


@dataclass(frozen=True)
class SubmissionRejected:
    """The API refused a request (nothing was created); the errors name its fields."""

    job: Job
    field_errors: list[FieldError]


@dataclass(frozen=True)
class JobRemoved:
    """A finished job was removed from the history."""

    job_id: str


@dataclass(frozen=True)
class SendRefused:
    """The API refused to take jobs from this caller at all: a bad key (401), no access
    (403) or no balance (402). Nothing was created; `kind` is auth, access or balance, and
    `message` quotes the API's reason."""

    job: Job
    kind: str
    message: str


@dataclass(frozen=True)
class RoleChanged:
    """This process became the primary, or learnt which process is (`primary`)."""

    role: str
    primary: ProcessRow | None


@dataclass(frozen=True)
class QueueStatus:
    """The local submission queue: how many wait, and why it is paused if it is."""

    waiting: int
    paused_reason: str | None


@dataclass(frozen=True)
class Connectivity:
    """Whether the API answers; `detail` says what failed when it does not."""

    online: bool
    detail: str | None = None
    answered: bool = False
    """The server answered, refusing for now (502/503): likely to pass, unlike no answer."""


@dataclass(frozen=True)
class PollingStatus:
    """Whether polling runs, and how many jobs it follows."""

    paused: bool
    followed: int


@dataclass(frozen=True)
class ReplayChanged:
    """A replay plan changed: a step was recorded, or the plan finished (done, stopped,
    cancelled). `plan` is a `lumatui.engine.replay.ReplayPlan`, as stored."""

    plan: ReplayPlan


Event = (
    JobChanged
    | OutputReady
    | DownloadProgress
    | JobError
    | SubmissionRejected
    | JobRemoved
    | SendRefused
    | RoleChanged
    | QueueStatus
    | Connectivity
    | PollingStatus
    | ReplayChanged
)


class EventBus:
    """Fan-out of engine events to subscribers; a failing subscriber never stops the engine."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []

    def subscribe(self, subscriber: Callable[[Event], None]) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        """Deliver `event` to every subscriber, in subscription order."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("an event subscriber failed on %s", type(event).__name__)
