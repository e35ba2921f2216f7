"""A `Job` value as the engine's events carry it, never stored (shared test helper)."""

from __future__ import annotations

from lumatui.engine.jobs import Job, JobState


def job_value(n: int, state: JobState = JobState.QUEUED, generation_id: str | None = None) -> Job:
    """Job `job-<n>`, an image of uni-1 with prompt "p", in `state`."""
    return Job(
        id=f"job-{n}",
        seq=n,
        generation_id=generation_id,
        type="image",
        model="uni-1",
        prompt="p",
        request_json="{}",
        state=state,
        created_at=0.0,
        updated_at=0.0,
    )
