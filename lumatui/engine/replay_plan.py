"""A replay plan as data: its steps, their links, and where the plan is (`replay` builds it).

Kept apart from `replay` (which reads the history, checks the requests and prices them) so
that the store, which saves plans, imports no request schema: the workstation reads its
history before anything needs the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lumatui.api.refs import Loc
    from lumatui.api.schema import GenerationRequest


class PlanState(StrEnum):
    """Where a saved replay plan is."""

    RUNNING = "running"
    """Steps are being sent as their parents complete (or will be, after a restart)."""
    DONE = "done"
    """Every step completed."""
    STOPPED = "stopped"
    """A step failed (or was cancelled, or is uncertain): the steps built on it were not sent."""
    CANCELLED = "cancelled"
    """A person cancelled it: no further step was sent; jobs already accepted ran on."""


@dataclass(frozen=True)
class Link:
    """A reference of a step's request (at `loc`) that points at step `step`'s new output."""

    loc: Loc
    step: int


@dataclass(frozen=True)
class ReplayStep:
    """One step: the old job it re-makes, its request, its links, and its job once recorded.

    `body` is the request as it will be sent, except that each link still holds the old
    generation id (so the body always validates) until `step_request` fills it in.
    """

    n: int
    replaces_job_id: str
    body: dict[str, Any]
    links: tuple[Link, ...] = ()
    job_id: str | None = None

    @property
    def parents(self) -> tuple[int, ...]:
        """The earlier steps this one waits for, each once, in order."""
        return tuple(sorted({link.step for link in self.links}))

    @property
    def request(self) -> GenerationRequest:
        """The request as planned (links holding the old ids)."""
        from lumatui.api.schema import GenerationRequest

        return GenerationRequest.from_stored(self.body)


@dataclass(frozen=True)
class ReplayPlan:
    """A replay of the subtree of `origin_job_id` with a changed request for it (step 0)."""

    id: str
    origin_job_id: str
    steps: tuple[ReplayStep, ...]
    state: PlanState = PlanState.RUNNING
    owner: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    total_usd: float | None = None
    note: str | None = None

    @property
    def short_id(self) -> str:
        """The plan's id as people see it (8 characters)."""
        return self.id[:8]

    @property
    def job_ids(self) -> list[str]:
        """The new jobs recorded so far, in step order."""
        return [step.job_id for step in self.steps if step.job_id is not None]
