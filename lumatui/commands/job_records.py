"""How the subcommands describe jobs: times, output files, JSON records, result lines and
the exit code a set of jobs makes (`common.EXIT_CODES` lists the codes)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lumatui.commands.common import EXIT_JOB_FAILED, EXIT_OK, UNSUCCESSFUL
from lumatui.commands.outputs import output_files, output_paths
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore


def iso_time(timestamp: float | None) -> str | None:
    """A Unix time as ISO-8601 in UTC, or None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def local_time(timestamp: float | None) -> str:
    """A Unix time as local `YYYY-MM-DD HH:MM:SS` for people ("-" when unknown)."""
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def job_record(store: JobStore, job: Job) -> dict[str, Any]:
    """A job as a JSON object: ids, kind, state, prompt, times, parents, outputs, failure."""
    from lumatui.api.text import clean_text  # server text stored by an older version, too

    return {
        "id": job.generation_id or job.id,
        "local_id": job.id,
        "generation_id": job.generation_id,
        "type": job.type,
        "model": job.model,
        "state": str(job.state),
        "prompt": job.prompt,
        "created_at": iso_time(job.created_at),
        "updated_at": iso_time(job.updated_at),
        "submitted_at": iso_time(job.submitted_at),
        "finished_at": iso_time(job.finished_at),
        "server_created_at": clean_text(job.server_created_at, 64)
        if job.server_created_at
        else None,
        "parents": list(dict.fromkeys(e.parent_generation_id for e in store.edges_from(job.id))),
        "outputs": output_paths(store, job),
        "output_files": output_files(store, job),
        "failure_code": job.failure_code,
        "failure_reason": job.failure_reason,
        "note": job.note,
        "starred": job.starred,
        "batch_id": job.batch_id,
        "batch_label": job.batch_label,
    }


def jobs_exit_code(store: JobStore, jobs: Iterable[Job]) -> int:
    """1 when any job failed, was rejected, is uncertain or cancelled, or an output was given
    up for good; else 0."""
    for job in jobs:
        if job.state in UNSUCCESSFUL:
            return EXIT_JOB_FAILED
        if job.state is JobState.COMPLETED and any(o.final for o in store.outputs(job.id)):
            return EXIT_JOB_FAILED
    return EXIT_OK


def job_problem(store: JobStore, job: Job) -> str | None:
    """One cleaned line saying what went wrong with a job, or None when nothing did."""
    from lumatui.api.text import clean_text

    if job.state is JobState.FAILED:
        code = job.failure_code or "failed"
        return clean_text(f"{code}: {job.failure_reason or 'no reason given'}")
    if job.state in UNSUCCESSFUL:
        return clean_text(f"{job.state}: {job.note or job.state.explanation}")
    outputs = store.outputs(job.id)
    given_up = [o for o in outputs if o.final]
    if given_up:
        return clean_text(f"output {given_up[0].index} not downloaded: {given_up[0].error}")
    missing = [o for o in outputs if o.is_missing]
    if job.state is JobState.COMPLETED and missing:
        first, left = missing[0], max((missing[0].next_try_at or 0.0) - time.time(), 0.0)
        why = f": {first.error}; next try in {left:.0f} s" if first.error else " (not yet)"
        return clean_text(f"missing output {first.index}{why}")
    return None


def result_line(store: JobStore, job: Job) -> str:
    """`state  short-id  type  outputs-or-problem`, one line for a person."""
    from lumatui.api.text import clean_text

    paths = output_paths(store, job)
    problem = job_problem(store, job)
    tail = problem if problem else " ".join(clean_text(p, 500) for p in paths)
    if not tail and not job.state.is_finished:
        tail = job.state.explanation
    return f"{job.state!s:<10}  {job.short_id}  {job.type:<13}  {tail}".rstrip()
