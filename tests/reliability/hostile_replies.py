"""The makings of bad server replies: HTML pages, bombs, cut streams, edited generations."""

from __future__ import annotations

import functools
import gzip
import json
import struct
import zlib
from typing import TYPE_CHECKING, Any

import httpx

from tests.reliability.hostile_server import (
    DroppedStream,
    completed_with,
    edited,
    json_reply,
    raw_reply,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.reliability.hostile_server import Ctx

MB = 1024 * 1024
TEN_GB = str(10 * 1024**3)
HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway \x1b[31m[red]evil[/red]</title></head>"
    b"<body><h1>\x1b]0;pwned\x07Bad Gateway</h1>" + b"<p>x</p>" * 500 + b"</body></html>"
)
VIDEO = {"type": "video", "video": {"duration": "5s"}}
MARKUP = "[bold red]x[/] [link=file:///etc/passwd]click[/link]"


class ChunkedStream(httpx.AsyncByteStream):
    """`count` chunks of `chunk` with no Content-Length."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk, self.count = chunk, count

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            yield self.chunk


def html(status: int) -> httpx.Response:
    """An HTML error page (its title carries escapes and markup)."""
    return raw_reply(status, HTML, "text/html; charset=utf-8")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@functools.cache
def png_bomb() -> bytes:
    """A tiny PNG whose header claims 50000 x 50000 pixels (2.5 gigapixels)."""
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 50_001 * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed to a few kilobytes."""
    return gzip.compress(b"\x00" * size, 9)


@functools.cache
def json_bomb(size: int) -> bytes:
    """A JSON object padded with `size` spaces, gzip-compressed."""
    return gzip.compress(b"{" + b" " * size + b"}", 9)


def fake_mp4() -> bytes:
    """An ISO media header (sniffs as video/mp4) followed by junk."""
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 8


def with_field(name: str, value: object) -> Any:
    """A get case: the real reply with one field set."""
    return edited(lambda d: d.__setitem__(name, value))


def without(name: str) -> Any:
    """A get case: the real reply with one field removed."""
    return edited(lambda d: d.pop(name, None))


def output_url(url: str) -> Any:
    """A get case: completed, its one output at `url`."""
    return completed_with([{"type": "image", "url": url}])


def dropped_reply(ctx: Ctx) -> httpx.Response:
    body = json.dumps(ctx.real or {}).encode()
    return httpx.Response(
        201,
        headers={"content-type": "application/json", "content-length": str(len(body))},
        stream=DroppedStream(body[: len(body) // 2]),
    )


def dropped_get() -> httpx.Response:
    return httpx.Response(200, headers={"content-length": "400"}, stream=DroppedStream(b'{"id": "'))


def truncated_file(ctx: Ctx) -> httpx.Response:
    body = ctx.real_body
    return httpx.Response(
        200,
        headers={"content-type": "image/png", "content-length": str(len(body))},
        stream=DroppedStream(body[: len(body) // 2]),
    )


def huge_length(content_type: str) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"content-type": content_type, "content-length": TEN_GB},
        stream=ChunkedStream(b"{", 1),
    )


def many_outputs(data: dict[str, Any]) -> None:
    data["output"] = list(data["output"]) * 5000


def type_lie(data: dict[str, Any]) -> None:
    data["output"] = [{**data["output"][0], "type": "image"}]


def unknown_output_type(data: dict[str, Any]) -> None:
    data["output"] = [{**data["output"][0], "type": "hologram"}]


def redirect(url: str) -> httpx.Response:
    return httpx.Response(302, headers={"location": url})


def retry_after(value: str) -> httpx.Response:
    return json_reply(429, {"detail": "slow down"}, retry_after=value)
