"""What to do next about a failed, rejected, uncertain or waiting job: one sentence each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.api.enums import FailureCode
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lumatui.engine.jobs import Job

FAILURE_ADVICE: Mapping[str, str] = {
    FailureCode.CONTENT_MODERATED: (
        "The prompt or an input broke the content policy: edit the prompt (b branches it "
        "into the composer) and send it again."
    ),
    FailureCode.BUDGET_EXHAUSTED: (
        "The account ran out of funds: add funds, then re-run (r). The queue pauses until then."
    ),
    FailureCode.GENERATION_FAILED: (
        "The model failed on Luma's side: re-run (r) the same request."
    ),
    FailureCode.OUTPUT_NOT_FOUND: (
        "The output could not be retrieved: re-run (r) the same request."
    ),
    FailureCode.IMAGE_TOO_LARGE: (
        "An input image is over the size limit: resize or compress it, then send again."
    ),
    FailureCode.UNSUPPORTED_FORMAT: (
        "An input is in a format Luma does not take: convert it (PNG, JPEG or WebP; MP4 "
        "for video), then send again."
    ),
    FailureCode.CORRUPT_INPUT: (
        "An input could not be decoded: re-encode or re-export it, then send again."
    ),
    FailureCode.INVALID_REQUEST: (
        "Luma refused the request as invalid: check the request (b branches it into the "
        "composer to fix it)."
    ),
    FailureCode.RATE_LIMITED: (
        "Luma was too busy for this job: it will be retried, or re-run (r) it later."
    ),
}
"""The suggested next step for each documented failure code."""

UNKNOWN_FAILURE_ADVICE = (
    "Luma gave no known reason: check the reason above, then re-run (r) or branch (b)."
)


def failure_advice(code: str | None) -> str:
    """The next step for a failure code (a general one for a code lumatui does not know)."""
    return FAILURE_ADVICE.get(code or "", UNKNOWN_FAILURE_ADVICE)


def state_advice(job: Job) -> str | None:
    """The next step for a job that is not simply running or done, or None."""
    if job.state is JobState.FAILED:
        return failure_advice(job.failure_code)
    if job.state is JobState.UNCERTAIN:
        return "Check Luma's dashboard before re-running (r): a second run is a second charge."
    if job.state is JobState.REJECTED:
        return "Fix the request (b branches it into the composer) and send it again."
    if job.state is JobState.WAITING:
        return "It is sent automatically when the limit allows (u: try now; C: cancel it)."
    if job.state is JobState.CANCELLED:
        return "Nothing was sent or charged; r runs the same request as a new job."
    return None
