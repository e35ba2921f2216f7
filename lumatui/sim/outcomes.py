"""How each job ends, decided when it is created, and how to make every failure happen.

Every `failure_code` of the reference can be produced on purpose:

| failure_code         | trigger (prompt marker, or the real cause)               | fails        |
|----------------------|-----------------------------------------------------------|--------------|
| `content_moderated`  | `[moderate]`                                              | 10% in       |
| `generation_failed`  | `[fail]`; or the simulator could not render the output    | 60% in       |
| `budget_exhausted`   | `[budget]`; or the key's `budget_usd` (`sim --budget`) is | 50% in       |
|                      | spent: jobs draw on it in creation order, and the first   |              |
|                      | one the rest of the budget cannot pay for fails           |              |
| `output_not_found`   | `[lost]`                                                  | at the end   |
| `image_too_large`    | `[too-large]`; or an inline image (data or loopback URL)  | 5% in        |
|                      | over `max_image_pixels` (50 megapixels by default)        |              |
| `unsupported_format` | `[unsupported]`; or inline data in no image or video      | 5% in        |
|                      | format at all (text, HTML, a zip...)                      |              |
| `corrupt_input`      | `[corrupt]`; or inline data that looks like an image or   | 5% in        |
|                      | video (right magic bytes) but cannot be decoded           |              |
| `invalid_request`    | `[invalid]`                                               | at the start |
| `rate_limited`       | `[ratelimited]`                                           | while queued |

"Fails" says how far into processing the job turns `failed` ("10% in": after a tenth of
its processing time). Markers are matched case-insensitively anywhere in the prompt. A
failed job is refunded when it fails, so a key pays only for jobs that complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from lumatui.api.enums import FailureCode

MARKERS: dict[str, FailureCode] = {
    "[moderate]": FailureCode.CONTENT_MODERATED,
    "[fail]": FailureCode.GENERATION_FAILED,
    "[budget]": FailureCode.BUDGET_EXHAUSTED,
    "[lost]": FailureCode.OUTPUT_NOT_FOUND,
    "[too-large]": FailureCode.IMAGE_TOO_LARGE,
    "[unsupported]": FailureCode.UNSUPPORTED_FORMAT,
    "[corrupt]": FailureCode.CORRUPT_INPUT,
    "[invalid]": FailureCode.INVALID_REQUEST,
    "[ratelimited]": FailureCode.RATE_LIMITED,
}
"""Prompt markers and the failure each one causes."""

REASONS: dict[FailureCode, str] = {
    FailureCode.CONTENT_MODERATED: "The prompt or an input was flagged by content moderation.",
    FailureCode.GENERATION_FAILED: "The model failed to produce an output. Try again.",
    FailureCode.BUDGET_EXHAUSTED: "The account's budget ran out while the job was running.",
    FailureCode.OUTPUT_NOT_FOUND: "The output could not be retrieved. Try again.",
    FailureCode.IMAGE_TOO_LARGE: "An input image is larger than the model accepts.",
    FailureCode.UNSUPPORTED_FORMAT: "An input is not in a supported image or video format.",
    FailureCode.CORRUPT_INPUT: "An input could not be decoded.",
    FailureCode.INVALID_REQUEST: "The request could not be processed as given.",
    FailureCode.RATE_LIMITED: "The job was dropped because an upstream rate limit was hit.",
}
"""The failure_reason sent with each code."""

FAIL_POINT: dict[FailureCode, float | None] = {
    FailureCode.CONTENT_MODERATED: 0.1,
    FailureCode.GENERATION_FAILED: 0.6,
    FailureCode.BUDGET_EXHAUSTED: 0.5,
    FailureCode.OUTPUT_NOT_FOUND: 1.0,
    FailureCode.IMAGE_TOO_LARGE: 0.05,
    FailureCode.UNSUPPORTED_FORMAT: 0.05,
    FailureCode.CORRUPT_INPUT: 0.05,
    FailureCode.INVALID_REQUEST: 0.0,
    FailureCode.RATE_LIMITED: None,
}
"""How far into processing each failure happens; None fails while still queued."""


@dataclass(frozen=True)
class Outcome:
    """How a job ends: completed (no code) or failed with a code and a reason."""

    failure_code: FailureCode | None = None
    failure_reason: str | None = None

    @property
    def failed(self) -> bool:
        """True when the job ends in `failed`."""
        return self.failure_code is not None


COMPLETES = Outcome()


def failure(code: FailureCode, detail: str | None = None) -> Outcome:
    """A failed outcome with the standard reason, plus a detail when there is one."""
    reason = REASONS[code] if detail is None else f"{REASONS[code]} ({detail})"
    return Outcome(code, reason)


def marker_outcome(prompt: str) -> Outcome | None:
    """The failure a marker word in the prompt asks for, if any."""
    lowered = prompt.lower()
    for marker, code in MARKERS.items():
        if marker in lowered:
            return failure(code)
    return None


def timeline(
    created_at: float, queued_s: float, processing_s: float, outcome: Outcome
) -> tuple[float, float]:
    """When processing starts and when the job ends, for its outcome."""
    started = created_at + queued_s
    if outcome.failure_code is None:
        return started, started + processing_s
    point = FAIL_POINT[outcome.failure_code]
    if point is None:
        return created_at + queued_s * 0.9, created_at + queued_s * 0.9
    return started, started + processing_s * point
