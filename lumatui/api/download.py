"""Fetch an output file from its presigned URL, safely.

Output URLs point at another origin (an object store), so downloads go through their own
`httpx.AsyncClient` that never carries the API key or any other API header. Only http(s)
is fetched, plain http only to loopback, redirects are followed by hand and only within
the same origin, and the size is capped before and while reading. A failed download leaves
no partial file behind.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from typing import TYPE_CHECKING, BinaryIO

import httpx

from lumatui.api.errors import (
    DownloadExpired,
    DownloadFailed,
    DownloadRefused,
    DownloadTooLarge,
    DownloadTruncated,
)
from lumatui.api.hosts import is_loopback
from lumatui.api.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

log = logging.getLogger("lumatui.api")

DEFAULT_MAX_BYTES = 2 * 1024**3
# Caps on what one output may write to disk, by its `type`. A 2048 px PNG is about 5-12 MB
# and a 10 s 1080p MP4 tens of MB; these leave a wide margin (16-bit stills, EXR exports)
# while an endless or inflating body stops long before it fills a disk.
OUTPUT_CAPS = {"image": 256 * 1024**2, "video": DEFAULT_MAX_BYTES}
UNKNOWN_OUTPUT_CAP = 256 * 1024**2
# A body the server compressed despite `Accept-Encoding: identity` is inflated with care:
# past this size, more than this many bytes per byte on the wire is a decompression bomb.
INFLATE_FREE_BYTES = 16 * 1024**2
MAX_INFLATION = 50
# Every download has an overall deadline besides httpx's per-read timeout (a body dripping a
# byte a second would never trip that): a minute, plus a second per MiB of its size cap.
DEADLINE_BASE_S = 60.0
DEADLINE_BYTES_PER_S = 1024**2
MAX_REDIRECTS = 5
WRITE_CHUNK = 1024 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: httpx.URL) -> tuple[str, str, int]:
    """Scheme, host and port (default ports filled in): what same-origin compares."""
    return url.scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme, 0)


def output_cap(media_type: str | None) -> int:
    """The most bytes an output of this `type` ("image", "video") may write to disk."""
    return OUTPUT_CAPS.get(media_type or "", UNKNOWN_OUTPUT_CAP)


def output_folder(outputs_dir: Path, name: str) -> Path:
    """`outputs_dir/name`, made if missing; DownloadRefused if it is a symbolic link.

    A link there (planted, or left by a restore) would send downloads anywhere on disk.
    """
    folder = outputs_dir / name
    if folder.is_symlink():
        raise DownloadRefused(f"download refused: {folder} is a symbolic link, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink() or not folder.is_dir():  # replaced between the check and mkdir
        raise DownloadRefused(f"download refused: {folder} is not a plain folder")
    return folder


def checked_download_url(url: str | httpx.URL, *, allow_insecure_http: bool = False) -> httpx.URL:
    """The URL parsed, or DownloadRefused if it is not one the client will fetch."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        raise DownloadRefused("download refused: not a valid URL") from None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = clean_text(scheme, 20) or "none"
        raise DownloadRefused(f"download refused: only http(s) URLs are fetched (scheme {shown})")
    if not parsed.host:
        raise DownloadRefused("download refused: the URL has no host")
    if parsed.userinfo:
        raise DownloadRefused("download refused: the URL carries credentials")
    if scheme == "http" and not is_loopback(parsed.host) and not allow_insecure_http:
        raise DownloadRefused(
            f"download refused: plain http to {_host(parsed)} (only https, or http to loopback)"
        )
    return parsed


async def download(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_progress: Callable[[int, int | None], None] | None = None,
    allow_insecure_http: bool = False,
    deadline: float | None = None,
) -> int:
    """Stream `url` into `dest` and return the number of bytes written.

    `http` must be a client that carries no API headers. Raises a DownloadError subclass;
    after any failure `dest` does not exist (if this call created it). The whole download
    must finish within `deadline` seconds (default: `download_deadline(max_bytes)`).
    """
    limit = download_deadline(max_bytes) if deadline is None else deadline
    received = [0]

    def progress(done: int, total: int | None) -> None:
        received[0] = done
        if on_progress is not None:
            on_progress(done, total)

    try:
        async with asyncio.timeout(limit):
            return await _download(http, url, dest, max_bytes, progress, allow_insecure_http)
    except TimeoutError:
        raise DownloadTruncated(
            f"the download was cut off after {received[0]} bytes: it did not finish "
            f"within {limit:g} s"
        ) from None


def download_deadline(max_bytes: int) -> float:
    """Seconds a download capped at `max_bytes` may take, start to finish."""
    return DEADLINE_BASE_S + max_bytes / DEADLINE_BYTES_PER_S


async def _download(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    max_bytes: int,
    on_progress: Callable[[int, int | None], None],
    allow_insecure_http: bool,
) -> int:
    first = checked_download_url(url, allow_insecure_http=allow_insecure_http)
    current = first
    for _hop in range(MAX_REDIRECTS + 1):
        response = await _open(http, current)
        try:
            if response.is_redirect:
                current = _redirect_target(current, response, first, allow_insecure_http)
                continue
            return await _save(response, current, dest, max_bytes, on_progress)
        finally:
            await response.aclose()
    raise DownloadRefused(f"download refused: more than {MAX_REDIRECTS} redirects")


def _host(url: httpx.URL) -> str:
    return clean_text(url.host, 100)


async def _open(http: httpx.AsyncClient, url: httpx.URL) -> httpx.Response:
    # identity: Content-Length then counts the bytes written, and no decompression bomb.
    request = http.build_request("GET", url, headers={"Accept-Encoding": "identity"})
    started = time.perf_counter()
    outcome = "-"
    try:
        response = await http.send(request, stream=True)
        outcome = str(response.status_code)
        return response
    except httpx.TimeoutException as exc:
        outcome = type(exc).__name__
        raise DownloadFailed(f"the file server {_host(url)} did not answer in time") from exc
    except httpx.RequestError as exc:
        outcome = type(exc).__name__
        reason = clean_text(str(exc), 120) or type(exc).__name__
        raise DownloadFailed(f"could not reach the file server {_host(url)}: {reason}") from exc
    finally:
        # The query string of a presigned URL is its signature: log host and path only.
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("download GET %s%s -> %s %.0f ms", url.host, url.path, outcome, elapsed)


def _redirect_target(
    current: httpx.URL, response: httpx.Response, first: httpx.URL, allow_insecure_http: bool
) -> httpx.URL:
    try:
        target = current.join(response.headers["location"])
    except (httpx.InvalidURL, KeyError, TypeError):
        raise DownloadRefused("download refused: the redirect's target is not a URL") from None
    target = checked_download_url(target, allow_insecure_http=allow_insecure_http)
    if origin(target) != origin(first):
        raise DownloadRefused(
            f"download refused: {_host(first)} redirected to another origin ({_host(target)})"
        )
    return target


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


async def _save(
    response: httpx.Response,
    url: httpx.URL,
    dest: Path,
    max_bytes: int,
    on_progress: Callable[[int, int | None], None] | None,
) -> int:
    status = response.status_code
    if status == 403:
        raise DownloadExpired(status=status)
    if not 200 <= status < 300:
        raise DownloadFailed(
            f"the download failed (HTTP {status} from {_host(url)})", status=status
        )
    length = _content_length(response)
    if length is not None and length > max_bytes:
        raise DownloadTooLarge(
            f"the file is too large: {length} bytes, over the {max_bytes}-byte limit",
            status=status,
        )
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    total = None if encoded else length
    handle = await asyncio.to_thread(_open_for_writing, dest)
    try:
        written = await _stream(response, handle, max_bytes, total, on_progress)
        # Content-Length counts the bytes on the wire, which differ from `written` only
        # when the server compressed the body despite Accept-Encoding: identity.
        received = response.num_bytes_downloaded if encoded else written
        if length is not None and received < length:
            raise DownloadTruncated(
                f"the download was cut off after {received} of {length} bytes", status=status
            )
        await asyncio.to_thread(_finish, handle)
    except BaseException:
        # Synchronous on purpose: this must also run when the task is being cancelled.
        handle.close()
        dest.unlink(missing_ok=True)
        raise
    return written


async def _stream(
    response: httpx.Response,
    handle: BinaryIO,
    max_bytes: int,
    total: int | None,
    on_progress: Callable[[int, int | None], None] | None,
) -> int:
    written = 0
    buffer = bytearray()
    if on_progress is not None:
        on_progress(0, total)
    try:
        async for chunk in response.aiter_bytes():
            written += len(chunk)
            if written > max_bytes:
                raise DownloadTooLarge(
                    f"the file is too large: over the {max_bytes}-byte limit",
                    status=response.status_code,
                )
            wire = response.num_bytes_downloaded
            if written > INFLATE_FREE_BYTES and written > MAX_INFLATION * max(wire, 1):
                raise DownloadTooLarge(
                    f"refused: {wire} compressed bytes inflate past {written} bytes "
                    "(a decompression bomb)",
                    status=response.status_code,
                )
            buffer += chunk
            if len(buffer) >= WRITE_CHUNK:
                await asyncio.to_thread(handle.write, bytes(buffer))
                buffer.clear()
            if on_progress is not None:
                on_progress(written, total)
    except httpx.RequestError as exc:
        raise DownloadTruncated(
            f"the download was cut off after {written} bytes", status=response.status_code
        ) from exc
    if buffer:
        await asyncio.to_thread(handle.write, bytes(buffer))
    return written


def _open_for_writing(path: Path) -> BinaryIO:
    # Never through a link: one planted at the destination would write anywhere on disk.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.fdopen(os.open(path, flags, 0o666), "wb")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DownloadRefused(f"download refused: {path} is a symbolic link") from None
        raise


def _finish(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
