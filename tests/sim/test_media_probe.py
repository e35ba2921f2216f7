"""probe(): known formats are identified and decoded; anything else is one of two errors."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from fractions import Fraction
from typing import Any

import av
import pytest
from PIL import Image, ImageFile

from lumatui.sim.media import (
    MediaInfo,
    MediaTooLarge,
    UndecodableMedia,
    UnsupportedMedia,
    VideoJob,
    probe,
    render_video,
)


def encoded(fmt: str, size: tuple[int, int] = (40, 30), **options: object) -> bytes:
    """A small gradient-ish image encoded by Pillow in `fmt`."""
    image = Image.new("RGB", size)
    image.putdata(
        [(x * 6 % 256, y * 8 % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])]
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims `width` x `height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def mp4() -> bytes:
    """A rendered 5 s MP4 at a tiny size."""
    return render_video(VideoJob("probe me", "video", "16:9", 5, 1, 64))


def webm() -> bytes:
    """A one-second VP8 WebM made with PyAV."""
    buffer = io.BytesIO()
    frame_type: Any = av.VideoFrame
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(24):
            frame = frame_type.from_image(Image.new("RGB", (64, 48), (index * 10, 80, 120)))
            frame.pts, frame.time_base = index, Fraction(1, 24)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_images_are_identified(fmt: str, mime: str) -> None:
    assert probe(encoded(fmt)) == MediaInfo("image", mime, 40, 30, None, None)


def test_transparent_png_is_an_image() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (9, 7), (1, 2, 3, 0)).save(buffer, format="PNG")
    assert probe(buffer.getvalue()).mime == "image/png"


def test_mp4_is_identified_with_its_length(mp4: bytes) -> None:
    info = probe(mp4)
    assert (info.kind, info.mime, info.width, info.height, info.frames) == (
        "video",
        "video/mp4",
        64,
        36,
        120,
    )
    assert info.duration_s == pytest.approx(5.0, abs=0.05)


def test_webm_is_identified() -> None:
    info = probe(webm())
    assert (info.kind, info.mime, info.width, info.height) == ("video", "video/webm", 64, 48)
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!DOCTYPE html><html><head><title>Signed URL expired</title></head></html>",
        b"   <html><body>png</body></html>",
        b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>",
        b"hello, this is plain text and not a picture\n",
        b'{"detail": "not found"}',
        random.Random(0).randbytes(4096),
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    ],
    ids=["empty", "html", "html-padded", "xml", "text", "json", "random", "heic"],
)
def test_other_bytes_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia):
        probe(data)


def test_zip_is_unsupported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("image.png", encoded("PNG"))
    with pytest.raises(UnsupportedMedia):
        probe(buffer.getvalue())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_truncated_images_are_undecodable(fmt: str) -> None:
    data = encoded(fmt, (120, 90))
    for cut in (len(data) // 2, 16, len(data) - 20):
        with pytest.raises(UndecodableMedia):
            probe(data[:cut])


def test_png_with_a_bad_checksum_is_undecodable() -> None:
    data = bytearray(encoded("PNG"))
    data[40] ^= 0xFF
    with pytest.raises(UndecodableMedia):
        probe(bytes(data))


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.05])
def test_truncated_mp4_is_undecodable(mp4: bytes, cut: float) -> None:
    with pytest.raises(UndecodableMedia):
        probe(mp4[: int(len(mp4) * cut)])


def test_magic_bytes_alone_are_undecodable() -> None:
    for head in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP"):
        with pytest.raises(UndecodableMedia):
            probe(head)
    with pytest.raises(UndecodableMedia):
        probe(b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00" + b"\x00" * 40)


def test_decompression_bomb_is_refused_without_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    # Refused from the header alone: no pixel buffer is made, no decoder runs.
    touched: list[str] = []
    core: Any = Image.core  # type: ignore[attr-defined]
    real_new, real_load = core.new, ImageFile.ImageFile.load

    def new(*args: Any) -> Any:
        touched.append("buffer")
        return real_new(*args)

    def load(self: ImageFile.ImageFile) -> Any:
        touched.append("decode")
        return real_load(self)

    monkeypatch.setattr(core, "new", new)
    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    with pytest.raises(MediaTooLarge):
        probe(png_claiming(100_000, 100_000))
    assert touched == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_image_just_over_the_pixel_limit_is_refused() -> None:
    # Pillow only warns between its limit and twice that; probe must still refuse.
    with pytest.raises(MediaTooLarge):
        probe(png_claiming(10_000, 10_000))


def test_pixel_guard_holds_even_when_pillow_s_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(UndecodableMedia):
        probe(png_claiming(10_000, 10_000))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "MP4"])
def test_corrupted_files_never_crash(fmt: str, mp4: bytes) -> None:
    original = mp4 if fmt == "MP4" else encoded(fmt, (64, 48))
    rng = random.Random(fmt)
    for _ in range(25):
        data = bytearray(original)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            info = probe(bytes(data))
        except (UndecodableMedia, UnsupportedMedia):
            continue
        assert info.width > 0 and info.height > 0


def test_media_errors_are_value_errors() -> None:
    assert issubclass(UnsupportedMedia, ValueError)
    assert issubclass(UndecodableMedia, ValueError)
    assert issubclass(MediaTooLarge, UndecodableMedia)


def test_avif_is_identified() -> None:
    assert probe(encoded("AVIF")).mime == "image/avif"
