"""Local media as references: inline or uploaded, remembered, the fallback without a Files API."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import httpx
import pytest
from PIL import Image

from lumatui.api.client import AgentsClient
from lumatui.api.upload import UploadFailed
from lumatui.engine.file_ids import FileIdCache, key_hash
from lumatui.engine.layers import composite_layers, composite_layers_async, on_checkerboard
from lumatui.engine.local_refs import LocalRefError
from lumatui.engine.uploads import Uploader, inspect_local_media, size_text
from lumatui.sim import SimSettings, start_in_background
from tests.sim.fakes import mp4_bytes, png_bytes, write_padded_mp4

if TYPE_CHECKING:
    from pathlib import Path

KEY = "luma-api-upload-test"


async def no_sleep(_seconds: float) -> None:
    """Ingest polls go at once against a sped-up simulator."""


def test_inspect_says_what_will_happen(tmp_path: Path) -> None:
    still = tmp_path / "s.png"
    still.write_bytes(png_bytes())
    clip = tmp_path / "c.mp4"
    clip.write_bytes(mp4_bytes(1))
    big = tmp_path / "big.mp4"
    write_padded_mp4(big, 1, 180 * 1024 * 1024)
    assert (
        inspect_local_media(still).describe()
        == f"will send {size_text(still.stat().st_size)} inline"
    )
    assert not inspect_local_media(still).upload
    assert inspect_local_media(still, inline_cap=10).upload
    assert inspect_local_media(clip, want="video").upload  # every video is a file
    assert inspect_local_media(big, want="video").describe() == "will upload 180 MB as a file"
    assert inspect_local_media(clip, want=None).kind == "video"
    with pytest.raises(LocalRefError, match=r"a video .* but an image is needed"):
        inspect_local_media(clip)
    with pytest.raises(LocalRefError, match="directory"):
        inspect_local_media(tmp_path)
    with pytest.raises(LocalRefError, match="does not exist"):
        inspect_local_media(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(LocalRefError, match="empty"):
        inspect_local_media(tmp_path / "empty.png")


def test_cache_forgets_expiring_files_and_never_keeps_the_key(tmp_path: Path) -> None:
    cache = FileIdCache(tmp_path / "files.db")
    who = key_hash(KEY)
    assert KEY not in who and len(who) == 32
    cache.remember(
        "abc",
        "https://a/v1",
        who,
        file_id="f1",
        size_bytes=1,
        mime_type="image/png",
        expires_at=None,
        now=0,
    )
    cache.remember(
        "def",
        "https://a/v1",
        who,
        file_id="f2",
        size_bytes=1,
        mime_type="image/png",
        expires_at=1000,
        now=0,
    )
    assert cache.lookup("abc", "https://a/v1", who, now=10**9) is not None
    assert cache.lookup("abc", "https://b/v1", who) is None
    assert cache.lookup("abc", "https://a/v1", key_hash("other")) is None
    assert cache.lookup("def", "https://a/v1", who, now=100) is not None
    assert cache.lookup("def", "https://a/v1", who, now=900) is None  # within the margin
    cache.mark_unsupported("https://a/v1", now=0)
    assert cache.unsupported("https://a/v1", now=100) and not cache.unsupported(
        "https://a/v1", now=10**6
    )
    cache.close()
    assert KEY.encode() not in (tmp_path / "files.db").read_bytes()


async def test_same_bytes_upload_once_while_the_file_lives(tmp_path: Path) -> None:
    settings = SimSettings.for_tests(tmp_path / "sim")
    with start_in_background(settings) as running:
        async with AgentsClient(KEY, running.base_url, sleep=no_sleep) as client:
            cache = FileIdCache(tmp_path / "files.db")
            uploader = Uploader(client, cache, inline_cap=10)
            still = tmp_path / "s.png"
            still.write_bytes(png_bytes())
            media = inspect_local_media(still, inline_cap=10)
            first = await uploader.reference_for(media)
            again = await uploader.reference_for(media)
            assert first == again and set(first) == {"file_id"} and uploader.uploads == 1
            await uploader.files.delete(first["file_id"])
            third = await uploader.reference_for(media)
            assert third != first and uploader.uploads == 2
            progress: list[int] = []
            clip = tmp_path / "c.mp4"
            clip.write_bytes(mp4_bytes(2))
            ref = await uploader.reference_for(
                inspect_local_media(clip, want="video"),
                on_progress=lambda a, _b: progress.append(a),
            )
            assert set(ref) == {"file_id"} and progress[-1] == clip.stat().st_size
            cache.close()


async def test_without_a_files_api_media_goes_inline_and_it_is_remembered(tmp_path: Path) -> None:
    asked: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(404, json={"detail": "Not Found"})

    warnings: list[str] = []
    client = AgentsClient(
        KEY, "https://old.test/v1", transport=httpx.MockTransport(reply), sleep=no_sleep
    )
    cache = FileIdCache(tmp_path / "files.db")
    async with client:
        uploader = Uploader(client, cache, inline_cap=10, warn=warnings.append)
        clip = tmp_path / "c.mp4"
        clip.write_bytes(mp4_bytes(1))
        media = inspect_local_media(clip, want="video")
        ref = await uploader.reference_for(media)
        assert (
            base64.b64decode(ref["data"]) == clip.read_bytes() and ref["media_type"] == "video/mp4"
        )
        assert asked == ["/v1/files"]
        assert len(warnings) == 1 and "no Files API" in warnings[0]
        again = await Uploader(client, cache, inline_cap=10, warn=warnings.append).reference_for(
            media
        )
        assert again == ref and asked == ["/v1/files"]  # remembered per base URL: not asked again
        big = tmp_path / "big.mp4"
        write_padded_mp4(big, 1, 60 * 1024 * 1024)
        with pytest.raises(UploadFailed, match="without a Files API"):
            await uploader.reference_for(inspect_local_media(big, want="video"))
    cache.close()


def _layer(colour: tuple[int, int, int, int], box: tuple[int, int, int, int] | None) -> bytes:
    image = Image.new("RGBA", (20, 10), (0, 0, 0, 0) if box else colour)
    if box:
        image.paste(colour, box)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def test_layers_composite_back_to_front(tmp_path: Path) -> None:
    paths = []
    for i, data in enumerate(
        (
            _layer((255, 0, 0, 255), (0, 0, 5, 5)),
            _layer((0, 255, 0, 255), (0, 0, 10, 10)),
            _layer((0, 0, 255, 255), None),
        )
    ):
        path = tmp_path / f"{i}.png"
        path.write_bytes(data)
        paths.append(path)
    image = await composite_layers_async(paths)
    assert image.getpixel((1, 1)) == (255, 0, 0, 255)  # the front layer wins
    assert image.getpixel((7, 7)) == (0, 255, 0, 255)
    assert image.getpixel((15, 5)) == (0, 0, 255, 255)
    assert composite_layers(paths).tobytes() == image.tobytes()
    board = on_checkerboard(Image.open(paths[0]), cell=2)
    assert board.mode == "RGB" and board.getpixel((1, 1)) == (255, 0, 0)
    assert board.getpixel((10, 8)) != board.getpixel((12, 8))  # the checkerboard shows through
    with pytest.raises(ValueError):
        composite_layers([])


async def test_a_form_body_gets_its_local_media_in_place(tmp_path: Path) -> None:
    from lumatui.engine.uploads import upload_into_body

    settings = SimSettings.for_tests(tmp_path / "sim")
    with start_in_background(settings) as running:
        async with AgentsClient(KEY, running.base_url, sleep=no_sleep) as client:
            cache = FileIdCache(tmp_path / "files.db")
            uploader = Uploader(client, cache)
            clip, still = tmp_path / "c.mp4", tmp_path / "s.png"
            clip.write_bytes(mp4_bytes(2))
            still.write_bytes(png_bytes())
            body = {"prompt": "x", "type": "video_edit", "source": {"url": "placeholder"}}
            body["video"] = {"edit": {"keyframes": [{}], "keyframe_indexes": [0]}}
            seen: list[tuple[object, int]] = []
            done = await upload_into_body(
                body,
                [
                    (("source",), inspect_local_media(clip, want="video")),
                    (("video", "edit", "keyframes", 0), inspect_local_media(still)),
                ],
                uploader,
                on_progress=lambda loc, sent, _total: seen.append((loc, sent)),
            )
            assert body["source"] == {"url": "placeholder"}  # the form's body is not changed
            assert set(done["source"]) == {"file_id"}
            assert set(done["video"]["edit"]["keyframes"][0]) == {"data", "media_type"}
            assert seen and seen[-1][0] == ("source",)
            cache.close()
