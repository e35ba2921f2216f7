"""lumatui's own Files API client against the simulator: the same paths Luma's SDK takes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lumatui.api.client import AgentsClient
from lumatui.api.errors import NotFound
from lumatui.api.files_client import FilesClient
from lumatui.api.schema import GenerationRequest
from lumatui.api.upload import FilesUnsupported, UploadFailed
from lumatui.sim import ManualClock, SimSettings, create_app, start_in_background
from tests.sim.fakes import mp4_bytes, png_bytes

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from lumatui.api.schema import Generation
    from lumatui.sim import RunningSimulator

KEY = "luma-api-files-client"


async def no_sleep(_seconds: float) -> None:
    """Polls and retries go at once: the simulator is sped up."""


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningSimulator]:
    """A simulator on loopback, sped up, with a 2 KB multipart cap."""
    settings = SimSettings.for_tests(tmp_path / "sim", max_multipart_bytes=2048)
    with start_in_background(settings) as sim:
        yield sim


class Recorder(httpx.AsyncBaseTransport):
    """A real transport that keeps every request it carries (for the headers)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record, then send."""
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the real transport."""
        await self.inner.aclose()


@pytest.fixture
async def files(running: RunningSimulator) -> AsyncIterator[tuple[FilesClient, Recorder, Recorder]]:
    """A FilesClient on the simulator, with its API and upload traffic recorded."""
    api, uploads = Recorder(), Recorder()
    client = AgentsClient(
        KEY, running.base_url, transport=api, download_transport=uploads, sleep=no_sleep
    )
    async with client:
        yield FilesClient(client, inline_cap=1024, poll_interval=0.0), api, uploads


async def finished(api: AgentsClient, running: RunningSimulator, gid: str) -> Generation:
    """Poll a generation until it is terminal (renders awaited, never slept for)."""
    for _ in range(500):
        await asyncio.to_thread(running.wait_rendered, gid)
        generation = await api.get(gid)
        if generation.is_terminal:
            return generation
    raise AssertionError(f"{gid} did not finish")


def noise_png(side: int) -> bytes:
    """A PNG of random pixels: it does not compress, so its size is about side² x 3."""
    import io
    import random

    from PIL import Image

    rng = random.Random(side)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    """A local file to upload."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def test_small_file_goes_multipart_large_file_presigned(
    files: tuple[FilesClient, Recorder, Recorder], tmp_path: Path
) -> None:
    client, api, uploads = files
    small = png_bytes()
    assert len(small) <= client.inline_cap
    progress: list[tuple[int, int]] = []
    inline = await client.upload(
        write(tmp_path, "s.png", small),
        mime_type="image/png",
        on_progress=lambda a, b: progress.append((a, b)),
    )
    assert progress[-1] == (len(small), len(small))
    assert api.requests[-1].headers["content-type"].startswith("multipart/form-data")
    assert not uploads.requests
    big = mp4_bytes(3)
    assert len(big) > client.inline_cap
    progress.clear()
    clip = await client.upload(
        write(tmp_path, "c.mp4", big),
        mime_type="video/mp4",
        on_progress=lambda a, b: progress.append((a, b)),
    )
    assert progress[-1] == (len(big), len(big))
    assert [a for a, _ in progress] == sorted(a for a, _ in progress)
    (put,) = uploads.requests
    assert put.method == "PUT" and "authorization" not in put.headers
    assert put.headers["content-length"] == str(len(big))
    assert put.headers["content-type"] == "video/mp4"
    assert (await client.wait_ready(inline.id)).state == "ready"
    ready = await client.wait_ready(clip.id)
    assert (ready.mime_type, ready.size_bytes, ready.filename) == ("video/mp4", len(big), "c.mp4")


async def test_multipart_413_switches_to_presigned(
    files: tuple[FilesClient, Recorder, Recorder], tmp_path: Path
) -> None:
    client, api, uploads = files
    client.inline_cap = 10**9  # this client believes in a large cap; the server's is 2 KB
    data = noise_png(64)
    assert len(data) > 2048
    file = await client.upload(write(tmp_path, "p.png", data), mime_type="image/png")
    first, second = api.requests[:2]
    assert first.headers["content-type"].startswith("multipart/form-data")
    assert second.headers["content-type"] == "application/json"
    assert len(uploads.requests) == 1
    assert file.size_bytes == len(data)
    assert (await client.wait_ready(file.id)).state == "ready"


async def test_list_pages_get_delete(
    files: tuple[FilesClient, Recorder, Recorder], tmp_path: Path
) -> None:
    client, _, _ = files
    ids = []
    for i in range(5):
        made = await client.upload(write(tmp_path, f"{i}.png", png_bytes()), mime_type="image/png")
        ids.append(made.id)
    page = await client.list(limit=2)
    assert len(page.data) == 2 and page.has_more and page.next_cursor
    everything = [f.id async for f in client.iterate(page_size=2)]
    assert sorted(everything) == sorted(ids) and len(everything) == 5
    await client.delete(ids[0])
    assert (await client.get(ids[0])).state == "deleted"
    assert ids[0] not in [f.id async for f in client.iterate()]
    assert [f.id async for f in client.iterate(state="deleted")] == [ids[0]]
    with pytest.raises(NotFound):
        await client.get("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")


async def test_failed_ingest_is_explained(
    files: tuple[FilesClient, Recorder, Recorder], tmp_path: Path
) -> None:
    client, _, _ = files
    made = await client.upload(
        write(tmp_path, "x [fail-ingest].png", png_bytes()), mime_type="image/png"
    )
    with pytest.raises(UploadFailed, match="failed ingest: ingest failed"):
        await client.wait_ready(made.id)
    wrong = await client.upload(write(tmp_path, "w.png", b"<html></html>"), mime_type="image/png")
    with pytest.raises(UploadFailed, match="not an image or a video"):
        await client.wait_ready(wrong.id)


async def test_file_ids_drive_generations(
    files: tuple[FilesClient, Recorder, Recorder], running: RunningSimulator, tmp_path: Path
) -> None:
    client, _, _ = files
    still = await client.wait_ready(
        (await client.upload(write(tmp_path, "s.png", png_bytes()), mime_type="image/png")).id
    )
    clip = await client.wait_ready(
        (await client.upload(write(tmp_path, "c.mp4", mp4_bytes(2)), mime_type="video/mp4")).id
    )
    api = client._client
    ref = {"file_id": still.id}
    bodies: list[dict[str, Any]] = [
        {"prompt": "edit", "type": "image_edit", "source": ref, "image_ref": [ref]},
        {"prompt": "i2v", "type": "video", "video": {"start_frame": ref}},
        {"prompt": "keys", "type": "video", "video": {"keyframes": [ref], "keyframe_indexes": [0]}},
        {"prompt": "v2v", "type": "video_edit", "source": {"file_id": clip.id}},
        {
            "prompt": "split the cup",
            "type": "layering",
            "source": ref,
            "layering": {"resolution": "1k"},
        },
        {"prompt": "now", "web_search": True},
    ]
    for body in bodies:
        created = await api.create(GenerationRequest.model_validate(body))
        done = await finished(api, running, created.id)
        assert done.state == "completed" and done.output, body


async def test_layer_metadata_is_parsed(
    files: tuple[FilesClient, Recorder, Recorder], running: RunningSimulator, tmp_path: Path
) -> None:
    client, _, _ = files
    still = await client.wait_ready(
        (await client.upload(write(tmp_path, "s.png", png_bytes(40, 30)), mime_type="image/png")).id
    )
    request = GenerationRequest(
        prompt="split the cup", type="layering", source={"file_id": still.id}
    )
    created = await client._client.create(request)
    done = await finished(client._client, running, created.id)
    assert done.output is not None and len(done.output) >= 3
    layers = [o.layer for o in done.output]
    assert all(layer is not None for layer in layers)
    assert [layer.index for layer in layers if layer] == list(range(len(layers)))
    assert layers[0] is not None and layers[0].label == "cup"
    assert layers[-1] is not None and layers[-1].alpha_hint == "none"


async def test_404_or_405_on_files_means_no_files_api(tmp_path: Path) -> None:
    for status in (404, 405):

        def reply(request: httpx.Request, status: int = status) -> httpx.Response:
            return httpx.Response(status, json={"detail": "Not Found"})

        client = AgentsClient(
            KEY, "https://agents.test/v1", transport=httpx.MockTransport(reply), sleep=no_sleep
        )
        async with client:
            with pytest.raises(FilesUnsupported):
                await FilesClient(client).upload(
                    write(tmp_path, "s.png", png_bytes()), mime_type="image/png"
                )


async def test_an_expired_upload_link_starts_again(tmp_path: Path) -> None:
    clock = ManualClock()
    app, sim = create_app(SimSettings.for_tests(tmp_path / "sim"), clock=clock)
    asgi = httpx.ASGITransport(app=app)
    puts = 0

    class Late(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal puts
            puts += 1
            if puts == 1:
                clock.advance(7200)  # the first link expires on its way
            return await asgi.handle_async_request(request)

    client = AgentsClient(
        KEY,
        "http://sim.test/v1",
        transport=asgi,
        download_transport=Late(),
        allow_insecure_http=True,
        sleep=no_sleep,
    )
    try:
        async with client:
            files = FilesClient(client, inline_cap=0, poll_interval=0.0)
            made = await files.upload(write(tmp_path, "s.png", png_bytes()), mime_type="image/png")
            assert puts == 2 and made.state == "pending"
            clock.advance(60)
            assert (await files.wait_ready(made.id)).state == "ready"
    finally:
        sim.close()
