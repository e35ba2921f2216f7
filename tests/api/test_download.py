"""Downloads: no API headers, only safe URLs, same-origin redirects, size caps, no partials."""

from __future__ import annotations

import asyncio
import gzip
import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lumatui.api import errors
from lumatui.api.download import (
    checked_download_url,
    download_deadline,
    output_cap,
    output_folder,
)
from lumatui.api.hosts import is_loopback
from tests.api.client_host import KEY, Server, make_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from lumatui.api.client import AgentsClient

URL = "https://cdn.test/out/a.png?X-Amz-Signature=SIGNATURE123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


class Chunks(httpx.AsyncByteStream):
    """A body sent in pieces, optionally dropping the connection at the end."""

    def __init__(self, *pieces: bytes, drop: bool = False) -> None:
        self.pieces = pieces
        self.drop = drop
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        for piece in self.pieces:
            yield piece
        if self.drop:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def downloader(files: Server, api: Server | None = None) -> AgentsClient:
    """A client whose downloads go to `files` and API calls to `api`."""
    return make_client(
        api or Server(httpx.Response(500)), download_transport=httpx.MockTransport(files)
    )


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """The temporary path a caller would pass."""
    return tmp_path / "a.png.part"


async def test_download_writes_the_file_and_reports_progress(dest: Path) -> None:
    files = Server(httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"}))
    api = Server(httpx.Response(500))
    progress: list[tuple[int, int | None]] = []
    async with downloader(files, api) as client:
        written = await client.download(
            URL, dest, on_progress=lambda done, total: progress.append((done, total))
        )
    assert written == len(PNG)
    assert dest.read_bytes() == PNG
    assert progress[0] == (0, len(PNG))
    assert progress[-1] == (len(PNG), len(PNG))
    assert api.requests == []


async def test_download_carries_no_api_headers(dest: Path) -> None:
    files = Server(httpx.Response(200, content=PNG))
    async with downloader(files) as client:
        await client.download(URL, dest)
    [sent] = files.requests
    assert "authorization" not in sent.headers
    assert "x-request-id" not in sent.headers
    assert all(KEY not in value for value in sent.headers.values())
    assert sent.headers["accept-encoding"] == "identity"
    assert str(sent.url) == URL


async def test_progress_without_content_length(dest: Path) -> None:
    files = Server(httpx.Response(200, stream=Chunks(b"ab", b"cde", b"f")))
    progress: list[tuple[int, int | None]] = []
    async with downloader(files) as client:
        written = await client.download(URL, dest, on_progress=lambda d, t: progress.append((d, t)))
    assert written == 6
    assert progress == [(0, None), (2, None), (5, None), (6, None)]
    assert dest.read_bytes() == b"abcdef"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://cdn.test/a.png",
        "http://cdn.test/a.png",
        "http://10.1.2.3/a.png",
        "https://user:pw@cdn.test/a.png",
        "https:///nohost",
        "not a url at all",
    ],
)
async def test_unsafe_urls_refused(url: str, dest: Path) -> None:
    files = Server(httpx.Response(200, content=PNG))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadRefused):
            await client.download(url, dest)
    assert files.requests == []
    assert not dest.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/o/a.png", "http://localhost/a.png"])
async def test_plain_http_to_loopback_allowed(url: str, dest: Path) -> None:
    files = Server(httpx.Response(200, content=PNG))
    async with downloader(files) as client:
        assert await client.download(url, dest) == len(PNG)


def test_loopback_hosts() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.200.0.9")
    assert is_loopback("::1")
    assert is_loopback("[::1]")
    assert is_loopback("LOCALHOST")
    assert not is_loopback("localhost.evil.test")
    assert not is_loopback("10.0.0.1")
    assert not is_loopback("0.0.0.0")
    assert checked_download_url("http://10.0.0.1/a", allow_insecure_http=True).host == "10.0.0.1"


async def test_same_origin_redirect_followed(dest: Path) -> None:
    files = Server(
        httpx.Response(302, headers={"Location": "/moved/a.png?sig=2"}),
        httpx.Response(200, content=PNG),
    )
    async with downloader(files) as client:
        assert await client.download(URL, dest) == len(PNG)
    assert str(files.requests[1].url) == "https://cdn.test/moved/a.png?sig=2"
    assert "authorization" not in files.requests[1].headers


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.test/a.png",
        "http://cdn.test/a.png",
        "https://cdn.test:8443/a.png",
        "file:///etc/passwd",
    ],
)
async def test_cross_origin_redirect_refused(location: str, dest: Path) -> None:
    files = Server(httpx.Response(307, headers={"Location": location}), httpx.Response(200))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadRefused):
            await client.download(URL, dest)
    assert len(files.requests) == 1
    assert not dest.exists()


async def test_redirect_loop_refused(dest: Path) -> None:
    files = Server(httpx.Response(302, headers={"Location": "/again"}))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadRefused, match="redirects"):
            await client.download(URL, dest)
    assert len(files.requests) == 6


async def test_huge_content_length_refused_before_reading(dest: Path) -> None:
    body = Chunks(b"x" * 10)
    ten_gb = str(10 * 1024**3)
    files = Server(httpx.Response(200, headers={"Content-Length": ten_gb}, stream=body))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTooLarge) as caught:
            await client.download(URL, dest)
    assert isinstance(caught.value, errors.DownloadRefused)
    assert not body.read
    assert not dest.exists()


async def test_body_over_the_cap_aborts(dest: Path) -> None:
    files = Server(httpx.Response(200, stream=Chunks(b"x" * 600, b"y" * 600)))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTooLarge):
            await client.download(URL, dest, max_bytes=1000)
    assert not dest.exists()


async def test_fewer_bytes_than_content_length_is_truncated(dest: Path) -> None:
    files = Server(httpx.Response(200, headers={"Content-Length": "100"}, stream=Chunks(b"x" * 10)))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTruncated, match="10 of 100"):
            await client.download(URL, dest)
    assert not dest.exists()


async def test_connection_dropped_mid_body_is_truncated(dest: Path) -> None:
    files = Server(httpx.Response(200, stream=Chunks(b"x" * 10, drop=True)))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTruncated) as caught:
            await client.download(URL, dest)
    assert caught.value.retryable
    assert not dest.exists()


async def test_failure_removes_a_stale_file_at_dest(dest: Path) -> None:
    dest.write_bytes(b"old partial")
    files = Server(httpx.Response(200, stream=Chunks(b"new", drop=True)))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTruncated):
            await client.download(URL, dest)
    assert not dest.exists()


async def test_progress_callback_error_cleans_up(dest: Path) -> None:
    def explode(done: int, total: int | None) -> None:
        if done:
            raise RuntimeError("ui went away")

    files = Server(httpx.Response(200, content=PNG))
    async with downloader(files) as client:
        with pytest.raises(RuntimeError):
            await client.download(URL, dest, on_progress=explode)
    assert not dest.exists()


async def test_403_means_expired(dest: Path) -> None:
    expired = httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
    async with downloader(Server(expired)) as client:
        with pytest.raises(errors.DownloadExpired) as caught:
            await client.download(URL, dest)
    assert caught.value.status == 403
    assert "fresh links" in caught.value.message
    assert not dest.exists()


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (410, False), (500, True)])
async def test_other_statuses(status: int, retryable: bool, dest: Path) -> None:
    async with downloader(Server(httpx.Response(status))) as client:
        with pytest.raises(errors.DownloadFailed) as caught:
            await client.download(URL, dest)
    assert caught.value.status == status
    assert caught.value.retryable is retryable
    assert f"HTTP {status}" in caught.value.message
    assert not dest.exists()


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")], ids=str
)
async def test_network_failure_before_the_body(failure: Exception, dest: Path) -> None:
    async with downloader(Server(failure)) as client:
        with pytest.raises(errors.DownloadFailed) as caught:
            await client.download(URL, dest)
    assert caught.value.retryable
    assert caught.value.status is None
    assert not dest.exists()


async def test_signature_and_key_never_logged(dest: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    files = Server(httpx.Response(404), httpx.Response(200, content=PNG))
    raised: list[Any] = []
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadFailed) as caught:
            await client.download(URL, dest)
        raised.append(caught.value)
        await client.download(URL, dest)
    ours = [r.getMessage() for r in caplog.records if r.name == "lumatui.api"]
    assert ours
    assert any("cdn.test/out/a.png" in line for line in ours)
    for text in [*ours, *(str(e) for e in raised), *(repr(e) for e in raised)]:
        assert "SIGNATURE123" not in text
        assert KEY not in text


class Endless(httpx.AsyncByteStream):
    """A body that never ends: 1 MiB chunks for as long as anyone reads."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"\0" * 1024**2
        while True:
            self.sent += len(chunk)
            yield chunk


async def test_an_endless_body_stops_at_the_cap_on_bytes_written(dest: Path) -> None:
    body = Endless()
    files = Server(httpx.Response(200, stream=body, headers={"Content-Type": "image/png"}))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTooLarge):
            await client.download(URL, dest, max_bytes=5 * 1024**2)
    assert body.sent <= 6 * 1024**2  # one chunk past the cap, no more
    assert not dest.exists()


async def test_a_gzip_body_despite_identity_is_not_inflated_past_the_guard(dest: Path) -> None:
    inflated = 40 * 1024**2
    bomb = gzip.compress(b"\0" * inflated, 9)  # about 40 KB on the wire
    headers = {"Content-Encoding": "gzip", "Content-Type": "image/png"}
    files = Server(httpx.Response(200, stream=Chunks(bomb), headers=headers))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadTooLarge, match="decompression bomb"):
            await client.download(URL, dest)  # the default cap alone would let 40 MB through
    assert not dest.exists()


async def test_a_modestly_compressed_body_is_still_saved_decoded(dest: Path) -> None:
    compressed = gzip.compress(PNG)
    headers = {"Content-Encoding": "gzip", "Content-Length": str(len(compressed))}
    files = Server(httpx.Response(200, stream=Chunks(compressed), headers=headers))
    async with downloader(files) as client:
        assert await client.download(URL, dest) == len(PNG)
    assert dest.read_bytes() == PNG


def test_default_caps_fit_real_outputs() -> None:
    assert output_cap("image") == 256 * 1024**2  # a 2048 px PNG is ~5-12 MB
    assert output_cap("video") == 2 * 1024**3
    assert output_cap("hologram") == output_cap(None) == 256 * 1024**2


def test_an_output_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (outputs / "gen").symlink_to(elsewhere)
    with pytest.raises(errors.DownloadRefused, match="symbolic link"):
        output_folder(outputs, "gen")
    assert output_folder(outputs, "fresh") == outputs / "fresh"
    assert (outputs / "fresh").is_dir()


async def test_a_symlink_at_the_destination_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    dest = tmp_path / "a.png.part"
    dest.symlink_to(target)
    files = Server(httpx.Response(200, content=PNG))
    async with downloader(files) as client:
        with pytest.raises(errors.DownloadRefused, match="symbolic link"):
            await client.download(URL, dest)
    assert target.read_text() == "keep me"


class DripOnce(httpx.AsyncByteStream):
    """A body that sends one byte and then nothing, ever."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"\x89"
        await asyncio.Event().wait()


async def test_a_dripping_download_ends_at_its_deadline(dest: Path) -> None:
    files = Server(httpx.Response(200, stream=DripOnce(), headers={"Content-Length": "5000"}))
    async with make_client(
        Server(httpx.Response(500)),
        download_deadline=0.1,
        download_transport=httpx.MockTransport(files),
    ) as client:
        with pytest.raises(errors.DownloadTruncated, match=r"did not finish within 0\.1 s"):
            await client.download(URL, dest)
    assert not dest.exists()


def test_the_default_download_deadline_grows_with_the_size_cap() -> None:
    assert download_deadline(256 * 1024**2) == 60 + 256
    assert download_deadline(2 * 1024**3) == 60 + 2048
