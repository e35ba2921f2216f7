"""Sending a file's bytes: the presigned PUT (another origin, never the key) and its errors.

A presigned upload URL points at an object store, like an output URL: the PUT goes through
the client's download pool, which carries no Authorization or API header, only to https
(or http on loopback), with exactly the headers the upload envelope names plus
Content-Length, streamed from disk in chunks with progress. An object store's XML error is
read for its code and message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING

import httpx

from lumatui.api.download import checked_download_url
from lumatui.api.errors import ApiError
from lumatui.api.text import clean_text

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

log = logging.getLogger("lumatui.api")

CHUNK_BYTES = 1024 * 1024


class FilesUnsupported(ApiError):
    """The API answered `POST /files` with 404 or 405: it has no Files API (yet)."""

    summary = "this API has no Files API; media is sent inline instead"


class UploadFailed(ApiError):
    """The file was uploaded but ingest failed (or the upload could not be made)."""

    summary = "the upload failed"


class UploadRefused(UploadFailed):
    """The object store refused the PUT (signature, size, or another 4xx)."""

    summary = "the file store refused the upload"


class UploadExpired(UploadRefused):
    """The presigned PUT link expired before the bytes arrived: create the file again."""

    summary = "the upload link expired before the bytes were sent"


class UploadInterrupted(UploadFailed):
    """The connection dropped or timed out during the PUT; sending again may work."""

    retryable = True
    summary = "the upload was interrupted"


_XML_FIELD = re.compile(r"<(Code|Message)>(.*?)</\1>", re.DOTALL)


def store_error(status: int, body: bytes) -> UploadFailed:
    """The error for an object store's non-2xx reply, its XML code and message cleaned."""
    text = body[:4096].decode("utf-8", errors="replace")
    found = dict(_XML_FIELD.findall(text))
    code = clean_text(found.get("Code", ""), 60)
    message = clean_text(found.get("Message", ""), 200)
    said = ": ".join(part for part in (code, message) if part) or f"HTTP {status}"
    if status == 403 and ("expired" in message.lower() or code == "ExpiredToken"):
        return UploadExpired(f"{UploadExpired.summary} ({said})", status=status)
    if 400 <= status < 500:
        return UploadRefused(f"{UploadRefused.summary} (HTTP {status}, {said})", status=status)
    return UploadInterrupted(f"the file store failed (HTTP {status}, {said})", status=status)


async def read_chunks(
    path: Path, size: int, on_progress: Callable[[int, int], None] | None
) -> AsyncIterator[bytes]:
    """The file's bytes in chunks read off the event loop; exactly `size` bytes or an error."""
    sent = 0
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while sent < size:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK_BYTES, size - sent))
            if not chunk:
                raise UploadFailed(f"{path.name} shrank while it was being uploaded")
            sent += len(chunk)
            if on_progress is not None:
                on_progress(sent, size)
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


async def put_file(
    http: httpx.AsyncClient,
    url: str,
    headers: dict[str, str] | None,
    path: Path,
    size: int,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    allow_insecure_http: bool = False,
) -> None:
    """PUT `size` bytes of `path` to a presigned URL with exactly the headers it asks for.

    `http` must carry no API headers. Raises an UploadFailed subclass.
    """
    target = checked_download_url(url, allow_insecure_http=allow_insecure_http)
    sent_headers = {
        str(k): str(v) for k, v in (headers or {}).items() if k.lower() != "authorization"
    }
    sent_headers["Content-Length"] = str(size)
    request = http.build_request(
        "PUT", target, headers=sent_headers, content=read_chunks(path, size, on_progress)
    )
    started = time.perf_counter()
    outcome = "-"
    try:
        response = await http.send(request)
        outcome = str(response.status_code)
    except httpx.TimeoutException as exc:
        outcome = type(exc).__name__
        raise UploadInterrupted(f"the file store {target.host} did not answer in time") from exc
    except httpx.RequestError as exc:
        outcome = type(exc).__name__
        reason = clean_text(str(exc), 120) or type(exc).__name__
        raise UploadInterrupted(f"the upload to {target.host} was cut off: {reason}") from exc
    finally:
        # The query string of a presigned URL is its signature: log host and path only.
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("upload PUT %s%s -> %s %.0f ms", target.host, target.path, outcome, elapsed)
    if not 200 <= response.status_code < 300:
        raise store_error(response.status_code, response.content)
