"""Reading and cleaning the API's replies: size caps, and server text made safe to keep."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lumatui.api.errors import ResponseInvalid
from lumatui.api.text import MIN_SECRET_LENGTH, clean_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from lumatui.api.schema import Generation

MAX_REASON_CHARS = 2000
MAX_NAME_CHARS = 100
MAX_TIME_CHARS = 64
URL_REDACTED = "REDACTED"


def clean_generation(generation: Generation, *, hide: Sequence[str] = ()) -> Generation:
    """The reply with its free text made safe to store and show (escapes, controls, length).

    The failure reason, `created_at`, and values of the enum fields this client does not
    know are server text like any other: cleaned of escapes, C0/C1 controls and bidi
    overrides, with every secret in `hide` (the key) redacted. A URL keeps its characters
    (the downloader refuses unsafe ones) but loses any secret the server echoed into it.
    """

    def clean(value: str, limit: int = MAX_NAME_CHARS) -> str:
        return clean_text(value, limit, hide=hide)

    updates: dict[str, Any] = {}
    reason = generation.failure_reason
    if reason is not None and clean(reason, MAX_REASON_CHARS) != reason:
        updates["failure_reason"] = clean(reason, MAX_REASON_CHARS)
    created = clean(generation.created_at, MAX_TIME_CHARS)
    if created != generation.created_at:
        updates["created_at"] = created
    for name in ("failure_code", "state", "model", "type"):
        value = getattr(generation, name)
        if type(value) is str and clean(value) != value:  # unknown values only
            updates[name] = clean(value)
    outputs = generation.output or []
    cleaned = [
        o.model_copy(update={"type": clean(o.type), "url": redact_url(o.url, hide)})
        for o in outputs
    ]
    if any(new != old for new, old in zip(cleaned, outputs, strict=True)):
        updates["output"] = cleaned
    return generation.model_copy(update=updates) if updates else generation


async def read_capped(
    response: httpx.Response, cap: int, request_id: str, *, truncate: bool = False
) -> bytes:
    """The body, at most `cap` bytes: cut there (`truncate`) or ResponseInvalid."""
    length = response.headers.get("content-length", "").strip()
    if not truncate and length.isdigit() and int(length) > cap:
        raise too_large(response.status_code, cap, request_id)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        if size + len(chunk) > cap:
            if truncate:
                chunks.append(chunk[: cap - size])
                break
            raise too_large(response.status_code, cap, request_id)
        size += len(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(status: int, cap: int, request_id: str) -> ResponseInvalid:
    """The error for a reply over the size cap."""
    return ResponseInvalid(
        f"server reply too large (over {cap // 1024} KB)", status=status, request_id=request_id
    )


def redact_url(url: str, hide: Sequence[str]) -> str:
    """`url` with every secret in `hide` replaced, however its characters are %-encoded."""
    for secret in hide:
        if len(secret) >= MIN_SECRET_LENGTH and secret.isascii():
            # Each character as itself or as %XX (either case): what a server may echo.
            pattern = "".join(f"(?:{re.escape(c)}|%{ord(c):02x})" for c in secret)
            url = re.sub(pattern, URL_REDACTED, url, flags=re.IGNORECASE)
    return url
