"""Media verification and the thumbnail cache, on images and videos made here with Pillow/PyAV."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import av
import pytest
from PIL import Image, ImageFile

from lumatui.engine import frames
from lumatui.engine.media import MediaError, verify_file
from lumatui.engine.thumbnails import ThumbnailCache

if TYPE_CHECKING:
    from pathlib import Path

RED, GREEN, BLUE = (220, 20, 20), (20, 220, 20), (20, 20, 220)
VIDEO_FRAME: Any = av.VideoFrame  # from_image() is untyped in PyAV's stubs
VIDEO_FRAMES, VIDEO_FPS, VIDEO_SIZE = 48, 24, 128


def big_image(width: int = 2048, height: int = 2048) -> Image.Image:
    """A detailed but well-compressing RGB image."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    return Image.merge("RGB", (red, green, red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def make_video(
    path: Path, *, gop: int = 250, codec: str = "libx264", container: str | None = None
) -> None:
    """An H.264 MP4 (by default): a third red, a third green, a third blue."""
    with av.open(str(path), mode="w", format=container) as out:
        stream: Any = out.add_stream(codec, rate=VIDEO_FPS)  # a str codec loses the overload
        stream.width = stream.height = VIDEO_SIZE
        stream.pix_fmt = "yuv420p"
        stream.gop_size = gop
        for i in range(VIDEO_FRAMES):
            third = i * 3 // VIDEO_FRAMES
            colour = (RED, GREEN, BLUE)[third]
            image = Image.new("RGB", (VIDEO_SIZE, VIDEO_SIZE), colour)
            for packet in stream.encode(VIDEO_FRAME.from_image(image)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares width x height but which holds almost no data (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sample files, made once for the module."""
    folder = tmp_path_factory.mktemp("media")
    files = {name: folder / name for name in ("big.png", "big.jpg", "wide.jpg", "clip.mp4")}
    image = big_image()
    image.save(files["big.png"], compress_level=1)
    image.save(files["big.jpg"], quality=90)
    big_image(2048, 1024).save(files["wide.jpg"], quality=90)
    make_video(files["clip.mp4"])
    for fmt in ("webp", "gif"):
        files[f"small.{fmt}"] = folder / f"small.{fmt}"
        Image.new("RGB", (96, 64), RED).save(files[f"small.{fmt}"])
    return files


def copy(src: Path, dest: Path, keep: float = 1.0) -> Path:
    """Copy a file, keeping only the first `keep` fraction of it."""
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def dominant(image: Image.Image) -> tuple[int, int, int]:
    """The colour at the centre of an image."""
    pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def assert_close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> None:
    """Colours survive YUV and JPEG within a few levels."""
    assert all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True)), colour


# --- sniffing and verification -----------------------------------------------------------


def test_verify_big_png_and_jpeg(media: dict[str, Path]) -> None:
    png = verify_file(media["big.png"])
    assert (png.kind, png.mime, png.extension) == ("image", "image/png", "png")
    assert (png.width, png.height, png.duration_s) == (2048, 2048, None)
    jpeg = verify_file(media["big.jpg"], expected_kind="image")
    assert (jpeg.mime, jpeg.extension, jpeg.width, jpeg.height) == ("image/jpeg", "jpg", 2048, 2048)


@pytest.mark.parametrize(
    ("name", "mime"), [("small.webp", "image/webp"), ("small.gif", "image/gif")]
)
def test_verify_small_images(media: dict[str, Path], name: str, mime: str) -> None:
    found = verify_file(media[name])
    assert (found.kind, found.mime, found.width, found.height) == ("image", mime, 96, 64)


def test_verify_mp4(media: dict[str, Path]) -> None:
    found = verify_file(media["clip.mp4"], expected_kind="video")
    assert (found.kind, found.mime, found.extension) == ("video", "video/mp4", "mp4")
    assert (found.width, found.height) == (VIDEO_SIZE, VIDEO_SIZE)
    assert found.duration_s == pytest.approx(VIDEO_FRAMES / VIDEO_FPS, abs=0.05)


def test_html_named_png_is_rejected(tmp_path: Path) -> None:
    page = tmp_path / "0.png"
    page.write_text("<!DOCTYPE html>\n<html><body>AccessDenied</body></html>")
    with pytest.raises(MediaError, match=r"not an image or video \(looks like HTML\)"):
        verify_file(page)


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"just some words\nin a file\n", "text"),
        (b'{"error": "expired"}', "JSON"),
        (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "XML"),
        (b"\x00\x01\x02\x03\xfe\xff" * 10, "unrecognised binary data"),
    ],
)
def test_non_media_named_mp4_is_rejected(tmp_path: Path, content: bytes, looks_like: str) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=looks_like):
        verify_file(path, expected_kind="video")


@pytest.mark.parametrize("name", ["big.png", "big.jpg"])
def test_truncated_image_is_rejected(media: dict[str, Path], tmp_path: Path, name: str) -> None:
    cut = copy(media[name], tmp_path / name, keep=0.6)
    with pytest.raises(MediaError, match="truncated"):
        verify_file(cut)


def test_truncated_mp4_is_rejected(media: dict[str, Path], tmp_path: Path) -> None:
    cut = copy(media["clip.mp4"], tmp_path / "clip.mp4", keep=0.5)
    with pytest.raises(MediaError, match="video"):
        verify_file(cut)


def test_mp4_cut_after_its_index_is_rejected(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    with av.open(str(whole), mode="w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=VIDEO_FPS)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for _ in range(24):
            noise = Image.effect_noise((64, 64), 64).convert("RGB")
            for packet in stream.encode(VIDEO_FRAME.from_image(noise)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    assert verify_file(whole).kind == "video"
    with pytest.raises(MediaError, match="truncated video"):
        verify_file(copy(whole, tmp_path / "cut.mp4", keep=0.5))


def test_decompression_bomb_is_rejected_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decode(self: ImageFile.ImageFile) -> Any:
        raise AssertionError("a bomb must be refused before its pixels are decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_header(50_000, 50_000))
    assert huge.stat().st_size < 200
    with pytest.raises(MediaError, match="too large"):
        verify_file(huge)  # Pillow's own guard
    modest = tmp_path / "modest.png"
    modest.write_bytes(png_header(3000, 3000))
    with pytest.raises(MediaError, match="too large"):
        verify_file(modest, max_pixels=1_000_000)  # our cap, below Pillow's
    with pytest.raises(MediaError, match="too large"):
        ThumbnailCache(tmp_path / "cache", max_pixels=1_000_000).thumbnail(modest)


def test_expected_kind_mismatch_is_rejected(media: dict[str, Path]) -> None:
    with pytest.raises(MediaError, match="expected a video but the file is an image"):
        verify_file(media["big.png"], expected_kind="video")
    with pytest.raises(MediaError, match="expected an image but the file is a video"):
        verify_file(media["clip.mp4"], expected_kind="image")


def test_empty_and_missing_files_are_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.touch()
    with pytest.raises(MediaError, match="empty"):
        verify_file(empty)
    with pytest.raises(MediaError, match="cannot read"):
        verify_file(tmp_path / "missing.png")


def test_mp4_header_with_garbage_is_rejected(media: dict[str, Path], tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(media["clip.mp4"].read_bytes()[:32] + bytes(range(256)) * 20)
    with pytest.raises(MediaError, match="not a playable video") as caught:
        verify_file(fake)
    assert str(fake) not in str(caught.value)  # no temp path in the message
    assert "\n" not in str(caught.value)


def test_exr_is_verified_and_thumbnailed(tmp_path: Path) -> None:
    if "exr" not in av.codecs_available:
        pytest.skip("this FFmpeg has no EXR codec")
    path = tmp_path / "frame.exr"
    with av.open(str(path), mode="w", format="image2") as out:
        stream = out.add_stream("exr", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "gbrpf32le"
        still = VIDEO_FRAME.from_image(Image.new("RGB", (64, 32), RED))
        for packet in stream.encode(still.reformat(format="gbrpf32le")):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    found = verify_file(path, expected_kind="image")
    assert (found.mime, found.extension) == ("image/x-exr", "exr")
    assert (found.width, found.height, found.duration_s) == (64, 32, None)
    cache = ThumbnailCache(tmp_path / "cache")
    assert_close(dominant(cache.load(cache.thumbnail(path, (32, 32)))), RED)


# --- thumbnails --------------------------------------------------------------------------


def test_thumbnail_fits_and_keeps_aspect(media: dict[str, Path], tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    with Image.open(cache.thumbnail(media["wide.jpg"])) as thumb:
        assert thumb.size == (512, 256)
    with Image.open(cache.thumbnail(media["big.png"], (300, 200))) as thumb:
        assert thumb.size == (200, 200)
    with Image.open(cache.thumbnail(media["small.webp"])) as thumb:
        assert thumb.size == (96, 64)  # never enlarged


def test_jpeg_thumbnail_never_decodes_full_size(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    ThumbnailCache(tmp_path / "cache").thumbnail(media["big.jpg"])
    assert decoded
    assert max(max(size) for size in decoded) <= 1024  # DCT-scaled, not 2048


def test_second_call_is_a_cache_hit(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    first = cache.thumbnail(media["big.png"])
    stamp = first.stat().st_mtime_ns

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a cache hit must not decode")

    monkeypatch.setattr(Image, "open", no_open)
    assert cache.thumbnail(media["big.png"]) == first
    # a fresh cache object (a new session) hashes the file but still does not decode
    assert ThumbnailCache(tmp_path / "cache").thumbnail(media["big.png"]) == first
    assert first.stat().st_mtime_ns == stamp


def test_cache_is_keyed_by_content(media: dict[str, Path], tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    original = cache.thumbnail(media["big.jpg"])
    same = cache.thumbnail(copy(media["big.jpg"], tmp_path / "elsewhere.jpg"))
    assert same == original
    other = cache.thumbnail(media["wide.jpg"])
    assert other != original
    digest = hashlib.sha256(media["big.jpg"].read_bytes()).hexdigest()
    assert digest in original.name
    assert cache.thumbnail(media["big.jpg"], (64, 64)) != original  # size is part of the key


def test_caller_supplied_hash_is_used_and_checked(media: dict[str, Path], tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    digest = "ab" * 32
    assert cache.thumbnail(media["small.gif"], content_hash=digest).name.startswith(digest)
    with pytest.raises(ValueError, match="sha256"):
        cache.thumbnail(media["small.gif"], content_hash="../../etc/passwd")


def test_transparent_image_keeps_alpha(tmp_path: Path) -> None:
    source = tmp_path / "alpha.png"
    Image.new("RGBA", (40, 20), (10, 200, 10, 100)).save(source)
    cache = ThumbnailCache(tmp_path / "cache")
    thumb = cache.thumbnail(source)
    assert thumb.suffix == ".png"
    assert cache.load(thumb).mode == "RGBA"


def test_unusual_modes_and_orientation(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    grey16 = tmp_path / "grey16.png"
    ramp = Image.linear_gradient("L").resize((600, 300)).convert("I")
    ramp.point(lambda v: v * 256).convert("I;16").save(grey16)
    thumb = cache.load(cache.thumbnail(grey16, (100, 100)))
    assert thumb.size == (100, 50)
    top, bottom = thumb.getpixel((50, 5)), thumb.getpixel((50, 45))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] < 60 < 200 < bottom[0]  # scaled from 16 bits, not clipped to white

    palette = tmp_path / "half.gif"
    half = Image.new("P", (60, 60), 0)
    half.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    half.paste(1, (0, 0, 30, 60))
    half.save(palette, transparency=1)
    path = cache.thumbnail(palette)
    assert path.suffix == ".png"
    assert cache.load(path).getpixel((50, 5)) == (255, 0, 0, 255)
    corner = cache.load(path).getpixel((5, 5))
    assert isinstance(corner, tuple) and corner[3] == 0  # the transparent half stays so

    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (800, 400), (0, 255, 255, 0)).save(cmyk)
    assert_close(dominant(cache.load(cache.thumbnail(cmyk, (100, 100)))), (255, 0, 0))

    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to display
    Image.new("RGB", (400, 200), GREEN).save(rotated, exif=exif)
    assert cache.load(cache.thumbnail(rotated, (100, 100))).size == (50, 100)


def test_video_frames_are_first_middle_last(media: dict[str, Path], tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    paths = cache.video_frames(media["clip.mp4"], (64, 64))
    assert len(set(paths)) == 3
    for path, colour in zip(paths, (RED, GREEN, BLUE), strict=True):
        image = cache.load(path)
        assert image.size == (64, 64)
        assert_close(dominant(image), colour)
    assert cache.thumbnail(media["clip.mp4"], (64, 64)) == paths[0]  # a video's thumbnail


@pytest.mark.parametrize(
    ("name", "codec", "container", "mime"),
    [
        ("clip.webm", "libvpx", "webm", "video/webm"),
        ("clip.mov", "libx264", "mov", "video/quicktime"),
        ("clip.mkv", "libx264", "matroska", "video/x-matroska"),
    ],
)
def test_other_containers(tmp_path: Path, name: str, codec: str, container: str, mime: str) -> None:
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg has no {codec}")
    clip = tmp_path / name
    make_video(clip, codec=codec, container=container)
    found = verify_file(clip, expected_kind="video")
    assert (found.mime, found.extension) == (mime, name.rsplit(".", 1)[1])
    assert found.duration_s == pytest.approx(VIDEO_FRAMES / VIDEO_FPS, abs=0.05)
    cache = ThumbnailCache(tmp_path / "cache")
    colours = [dominant(cache.load(path)) for path in cache.video_frames(clip, (32, 32))]
    for colour, expected in zip(colours, (RED, GREEN, BLUE), strict=True):
        assert_close(colour, expected)


def test_video_frames_with_many_keyframes(tmp_path: Path) -> None:
    clip = tmp_path / "gop.mp4"
    make_video(clip, gop=4)
    cache = ThumbnailCache(tmp_path / "cache")
    found = cache.video_frames(clip, positions=(1.0, 0.0, 0.5, 0.5))
    colours = [dominant(cache.load(path)) for path in found]
    for colour, expected in zip(colours, (BLUE, RED, GREEN, GREEN), strict=True):
        assert_close(colour, expected)


def test_video_frames_cached(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    first = cache.video_frames(media["clip.mp4"])

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a cache hit must not open the video")

    monkeypatch.setattr(av, "open", no_open)
    assert cache.video_frames(media["clip.mp4"]) == first


def test_video_frames_of_html_say_so(tmp_path: Path) -> None:
    page = tmp_path / "0.mp4"
    page.write_text("<html><body>Forbidden</body></html>")
    with pytest.raises(MediaError, match="HTML"):
        ThumbnailCache(tmp_path / "cache").video_frames(page)
    with pytest.raises(ValueError, match="positions"):
        ThumbnailCache(tmp_path / "cache").video_frames(page, positions=(1.5,))


def test_memory_lru_is_bounded(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache", max_memory_items=4, max_memory_pixels=10 * 32 * 32)
    thumbs = []
    for i in range(10):
        source = tmp_path / f"{i}.png"
        Image.new("RGB", (32, 32), (i * 20, 0, 0)).save(source)
        thumbs.append(cache.thumbnail(source))
    for thumb in thumbs:
        cache.load(thumb)
        assert cache.memory_items <= 4
    assert cache.load(thumbs[-1]) is cache.load(thumbs[-1])  # a hit returns the same image
    assert cache.memory_pixels == cache.memory_items * 32 * 32

    tight = ThumbnailCache(tmp_path / "cache", max_memory_items=100, max_memory_pixels=3 * 32 * 32)
    for thumb in thumbs:
        tight.load(thumb)
    assert tight.memory_items == 3


def test_damaged_or_empty_entries_are_remade(media: dict[str, Path], tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    thumb = cache.thumbnail(media["small.gif"])
    thumb.write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(MediaError, match="cannot read thumbnail"):
        cache.load(thumb)
    assert not thumb.exists()
    assert cache.thumbnail(media["small.gif"]) == thumb
    thumb.write_bytes(b"")  # what a power cut can leave
    assert cache.thumbnail(media["small.gif"]) == thumb
    assert cache.load(thumb).size == (96, 64)


def test_a_failed_write_leaves_nothing_behind(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = Image.Image.save

    def crash(self: Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
        fp.write(b"half a thumbnail")
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(Image.Image, "save", crash)
    cache = ThumbnailCache(tmp_path / "cache")
    with pytest.raises(RuntimeError):
        cache.thumbnail(media["small.gif"])
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []
    monkeypatch.setattr(Image.Image, "save", real_save)
    assert cache.load(cache.thumbnail(media["small.gif"])).size == (96, 64)


def test_threads_make_one_thumbnail(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    lock = threading.Lock()
    real = frames.image_thumbnail

    def counting(*args: Any, **kwargs: Any) -> Image.Image:
        with lock:
            calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(frames, "image_thumbnail", counting)
    cache = ThumbnailCache(tmp_path / "cache", max_memory_items=2)
    start = threading.Barrier(8)

    def work(_: int) -> tuple[Path, tuple[int, int]]:
        start.wait()
        path = cache.thumbnail(media["big.jpg"])
        return path, cache.load(path).size

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert {r for r in results} == {results[0]}
    assert results[0][1] == (512, 512)
    assert len(calls) == 1
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files == [results[0][0]]


def test_importing_media_is_cheap() -> None:
    code = (
        "import sys, lumatui.engine.media, lumatui.engine.frames;"
        "print(sorted(m for m in ('PIL', 'av', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
