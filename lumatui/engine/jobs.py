"""What the engine knows about a job: local states, the job row, its outputs and edges."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    """A job's state as lumatui tracks it: the API's four plus the local ones."""

    SUBMITTING = "submitting"
    WAITING = "waiting"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        """True when nothing more will happen to the job by itself."""
        return self in FINISHED_STATES

    @property
    def is_running(self) -> bool:
        """True while the job is on its way (locally or at the server)."""
        return self in RUNNING_STATES

    @property
    def explanation(self) -> str:
        """One sentence saying what the state means for the user."""
        return EXPLANATIONS[self]


FINISHED_STATES = frozenset(
    {JobState.COMPLETED, JobState.FAILED, JobState.UNCERTAIN, JobState.REJECTED, JobState.CANCELLED}
)
RUNNING_STATES = frozenset(
    {JobState.SUBMITTING, JobState.WAITING, JobState.QUEUED, JobState.PROCESSING}
)
POLLED_STATES = frozenset({JobState.QUEUED, JobState.PROCESSING})
UNSENT_STATES = frozenset({JobState.SUBMITTING, JobState.WAITING})

EXPLANATIONS = {
    JobState.SUBMITTING: "being sent to the API",
    JobState.WAITING: "held in the local queue until the rate or concurrency limit lets it through",
    JobState.QUEUED: "accepted by the API, waiting for a worker",
    JobState.PROCESSING: "being generated",
    JobState.COMPLETED: "finished; outputs are ready",
    JobState.FAILED: "the API reports the generation failed",
    JobState.UNCERTAIN: "the request may have reached the API but no answer came back; "
    "it was not re-sent, so no second charge",
    JobState.REJECTED: "the API refused the request; nothing was created or charged",
    JobState.CANCELLED: "cancelled before it was sent; nothing was created or charged",
}


class Orphan(StrEnum):
    """What becomes of a waiting job whose owner stopped before sending it."""

    SEND = "send"
    """The history's queue sends it (the primary, or `lumatui queue run`)."""
    CANCEL = "cancel"
    """It is cancelled: a one-shot `lumatui submit` never leaves a job to be sent later."""


@dataclass(frozen=True)
class Job:
    """One generation request and what became of it, as stored."""

    id: str
    seq: int
    generation_id: str | None
    type: str
    model: str
    prompt: str
    request_json: str
    state: JobState
    created_at: float
    updated_at: float
    submitted_at: float | None = None
    finished_at: float | None = None
    server_created_at: str | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    note: str | None = None
    owner: str | None = None
    """The process that sends, polls or downloads it now (None once nothing is left to do)."""
    orphan: Orphan = Orphan.SEND
    due_at: float | None = None
    """A waiting job is not sent before this time (a 429's Retry-After, a backoff)."""
    rev: int = 0
    """The history's change counter when this row last changed (newer rows have higher)."""
    batch_id: str | None = None
    """Jobs sent together (alternatives x runs) share this id; None for a single job."""
    batch_label: str | None = None
    """The batch's prompt as written, alternatives and all."""
    starred: bool = False
    """A lasting mark a person put on the job (`*`, `lumatui star`)."""

    @property
    def short_id(self) -> str:
        """The first 8 characters of the server id, or of the local id before there is one."""
        return (self.generation_id or self.id)[:8]

    @property
    def elapsed_s(self) -> float | None:
        """Seconds from submission to finish (or to the last update while running)."""
        start = self.submitted_at or self.created_at
        end = self.finished_at or self.updated_at
        return max(0.0, end - start)


@dataclass(frozen=True)
class Output:
    """One output of a completed job: where it was, and where it is now."""

    job_id: str
    index: int
    media_type: str
    url: str
    url_fetched_at: float
    local_path: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    error: str | None = None
    """Why the last attempt failed (while it is retried), or why it was given up (`final`)."""
    attempts: int = 0
    """Failed attempts so far (the backoff grows with them)."""
    next_try_at: float | None = None
    final: bool = False
    """Given up for good: a download lumatui refuses to make, or the generation is gone."""
    layer_json: str | None = None
    """A layering job's output: its layer (index, label, description, alpha_hint) as JSON."""

    @property
    def layer(self) -> dict[str, Any] | None:
        """The layer this output is (index 0 front-most, the last the background), or None."""
        if not self.layer_json:
            return None
        try:
            value = json.loads(self.layer_json)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def is_downloaded(self) -> bool:
        """True once the file is on disk and verified."""
        return self.local_path is not None

    @property
    def is_settled(self) -> bool:
        """True when nothing more will happen: on disk, or given up for good."""
        return self.local_path is not None or self.final

    @property
    def is_missing(self) -> bool:
        """Not on disk yet, and still being tried."""
        return not self.is_settled


@dataclass(frozen=True)
class Edge:
    """A lineage edge: `child` was made from the generation `parent_generation_id`."""

    child_id: str
    parent_generation_id: str
    role: str
