"""What can go wrong talking to the Agents API, one class per documented status code.

Every error carries a one-line message for a person, the HTTP status when there was one, the
request id to quote to support (the server's `X-Request-Id`, else the one the client sent),
the field errors of a 400/422 body, and for 429 the `Retry-After` delay. Server text is
cleaned (escape sequences, control characters, length) before it reaches a message.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, ClassVar

from lumatui.api.field_errors import FieldError, from_server_detail
from lumatui.api.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

MAX_FIELD_ERRORS = 50
SHOWN_FIELD_ERRORS = 3


class ApiError(Exception):
    """Base of every error the API client raises."""

    retryable: bool = False
    """True when the same call may succeed later (after Retry-After, or a backoff)."""
    summary: ClassVar[str] = "the Agents API call failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        request_id: str | None = None,
        field_errors: Sequence[FieldError] = (),
        retry_after: float | None = None,
    ) -> None:
        self.message = clean_text(message or self.summary, limit=500)
        self.status = status
        self.request_id = (clean_text(request_id, limit=100) or None) if request_id else None
        self.field_errors = list(field_errors)
        self.retry_after = retry_after
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.request_id:
            return f"{self.message} (request id {self.request_id})"
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"request_id={self.request_id!r})"
        )


class InvalidRequest(ApiError):
    """400: the server refused the request's parameters."""

    summary = "the server refused the request"


class InvalidGenerationId(InvalidRequest, ValueError):
    """A generation id that is not a UUID, refused before it reaches a URL."""

    summary = "not a generation id"


class RejectedCombination(ApiError):
    """422: a parameter combination the model refuses, or media it cannot decode or fetch."""

    summary = "the server rejected this combination of parameters or its media"


class AuthenticationFailed(ApiError):
    """401: the API key is missing or invalid."""

    summary = "the API key was refused; check LUMA_AGENTS_API_KEY"


class InsufficientBalance(ApiError):
    """402: the account has no balance left for this job."""

    summary = "insufficient balance; add funds in the Luma dashboard"


class AccessDenied(ApiError):
    """403: the API client is suspended, deactivated or lacks access."""

    summary = "access denied; the API client may be suspended or lack access to this"


class NotFound(ApiError):
    """404: no such generation (or it belongs to another API client)."""

    summary = "not found"


class MediaTooLarge(ApiError):
    """413: an input image or video exceeds the size limit."""

    summary = "an input image or video is over the size limit"


class RateLimited(ApiError):
    """429: the requests-per-minute or concurrent-jobs limit was reached."""

    retryable = True
    summary = "rate limited: too many requests per minute or too many jobs running"


class UpstreamUnavailable(ApiError):
    """502/503: an upstream service or media ingestion is unavailable; nothing was created."""

    retryable = True
    summary = "Luma's upstream service is unavailable"


class ServerError(ApiError):
    """Any other 5xx."""

    retryable = True
    summary = "the server failed"


class UnexpectedStatus(ServerError):
    """A status the API does not document (a 3xx, or a 4xx such as 418)."""

    retryable = False
    summary = "unexpected reply from the server"


class NetworkError(ApiError):
    """The connection could not be opened, or it dropped."""

    retryable = True
    summary = "could not reach the server"


class RequestTimeout(ApiError):
    """The server did not answer in time (a client timeout or a 408)."""

    retryable = True
    summary = "the server did not answer in time"


class ResponseInvalid(ApiError):
    """A reply that is not what the reference promises: not JSON, a field missing, too big."""

    summary = "the server's reply is not valid"


class OutcomeUncertain(ApiError):
    """A create that may have reached the server: the job may exist, and it was not re-sent."""

    summary = "the job may have been created (and billed); it was not re-sent"

    def __init__(self, cause: ApiError) -> None:
        self.cause = cause
        super().__init__(
            f"{self.summary}: {cause.message}",
            status=cause.status,
            request_id=cause.request_id,
            field_errors=cause.field_errors,
        )


class DownloadError(ApiError):
    """Base of the errors fetching an output file."""

    summary = "the download failed"


class DownloadRefused(DownloadError):
    """A download the client will not make: bad scheme, plain http, cross-origin redirect."""

    summary = "download refused"


class DownloadTooLarge(DownloadRefused):
    """The file is (or grew) over the size cap."""

    summary = "the file is too large to download"


class DownloadExpired(DownloadError):
    """403 from the object store: the presigned URL expired; GET the generation again."""

    summary = "the download link has expired; fetch the generation again for fresh links"


class DownloadTruncated(DownloadError):
    """The connection dropped, or fewer bytes arrived than Content-Length promised."""

    retryable = True
    summary = "the download was cut off"


class DownloadFailed(DownloadError):
    """Any other download failure: an unexpected status or a network error."""

    summary = "the download failed"

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message, status=status)
        # A network error or a 5xx/408/429 may go away; other statuses will not.
        self.retryable = status is None or status >= 500 or status in (408, 429)


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    402: InsufficientBalance,
    403: AccessDenied,
    404: NotFound,
    408: RequestTimeout,
    413: MediaTooLarge,
    422: RejectedCombination,
    429: RateLimited,
    502: UpstreamUnavailable,
    503: UpstreamUnavailable,
}


def error_class(status: int) -> type[ApiError]:
    """The error class for an HTTP status that is not a success."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if 500 <= status <= 599 else UnexpectedStatus


def error_from_response(
    status: int,
    body: bytes,
    *,
    content_type: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
    hide: Iterable[str] = (),
) -> ApiError:
    """The error for a non-success reply, its message built from whatever the body says."""
    hide = list(hide)
    detail, fields = describe_body(status, body, content_type, hide=hide)
    cls = error_class(status)
    message = f"{cls.summary} (HTTP {status})"
    if detail:
        message += f": {detail}"
    if retry_after is not None:
        message += f"; retry after {retry_after:.0f} s"
    return cls(
        message,
        status=status,
        request_id=request_id,
        field_errors=fields,
        retry_after=retry_after,
    )


def describe_body(
    status: int, body: bytes, content_type: str | None = None, *, hide: Iterable[str] = ()
) -> tuple[str, list[FieldError]]:
    """A short, clean description of an error body and the field errors it lists.

    Understands `{"detail": "..."}` and `{"detail": [{"loc": [...], "msg": "..."}]}`, a few
    other common JSON shapes, plain text, and HTML (summarised, never quoted in full).
    """
    hide = list(hide)
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "", []
    kind = (content_type or "").split(";")[0].strip().lower()
    if "html" in kind or _looks_like_html(text):
        title = _html_title(text, hide)
        page = f"HTTP {status} with an HTML page"
        return (f"{page} ({title})" if title else page), []
    if "json" in kind or text[:1] in ("{", "[", '"'):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            parsed = _NOT_JSON
        if parsed is not _NOT_JSON:
            return _describe_json(parsed, hide)
    return clean_text(text, limit=200, hide=hide), []


_NOT_JSON = object()
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _looks_like_html(text: str) -> bool:
    head = text[:200].lower()
    return head.startswith("<") and ("<html" in head or "<!doctype" in head or "<head" in head)


def _html_title(text: str, hide: list[str]) -> str:
    match = _TITLE.search(text[:10_000])
    return clean_text(match.group(1), limit=80, hide=hide) if match else ""


def _describe_json(parsed: object, hide: list[str]) -> tuple[str, list[FieldError]]:
    detail = parsed.get("detail") if isinstance(parsed, dict) else parsed
    if isinstance(parsed, dict) and detail is None:
        detail = parsed.get("message") or parsed.get("error") or parsed.get("errors")
    if isinstance(detail, dict):
        detail = detail.get("message") or detail.get("msg") or detail.get("detail")
    if isinstance(detail, str):
        return clean_text(detail, limit=300, hide=hide), []
    if isinstance(detail, list):
        fields = [
            FieldError(clean_text(f.path, 100, hide=hide), clean_text(f.message, 200, hide=hide))
            for f in from_server_detail(detail)[:MAX_FIELD_ERRORS]
        ]
        if fields:
            return _fields_summary(fields), fields
        strings = [clean_text(s, 100, hide=hide) for s in detail if isinstance(s, str)]
        return "; ".join(strings[:SHOWN_FIELD_ERRORS]), []
    return "", []


def _fields_summary(fields: list[FieldError]) -> str:
    shown = "; ".join(str(f) for f in fields[:SHOWN_FIELD_ERRORS])
    more = len(fields) - SHOWN_FIELD_ERRORS
    return f"{shown} (and {more} more)" if more > 0 else shown


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date; else None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
