"""Decode untrusted images (Pillow) and videos (PyAV) safely: every failure is a media error.

Imported lazily by probe() and the renderers, so importing lumatui.sim.media stays cheap.
"""

from __future__ import annotations

import io
import struct
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import av
from PIL import Image, ImageOps

from lumatui.api.sniff import media_kind, sniff_mime
from lumatui.sim.media.jobs import MediaTooLarge, UndecodableMedia, UnsupportedMedia

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Sequence

# Pillow's own default, used when someone has switched its guard off: we never decode unbounded.
DEFAULT_MAX_PIXELS = 89_478_485
MAX_VIDEO_PIXELS = 8192 * 4352
MAX_VIDEO_FRAMES = 7200
_PIL_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
}
_AV_FORMATS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/3gpp": "mp4",  # FFmpeg's one ISO demuxer reads MP4, MOV and 3GPP alike
    "video/webm": "matroska",
    "video/x-matroska": "matroska",
}
_FLATTEN_GREY = (128, 128, 128, 255)


@dataclass(frozen=True)
class VideoFacts:
    """What opening a video stream told us."""

    width: int
    height: int
    duration_s: float | None
    frames: int | None


@contextmanager
def media_errors(what: str) -> Iterator[None]:
    """Turn any exception from Pillow or PyAV inside the block into UndecodableMedia."""
    try:
        yield
    except (UndecodableMedia, UnsupportedMedia):
        raise
    except Exception as exc:
        raise UndecodableMedia(f"{what} does not decode ({type(exc).__name__})") from exc


def _claim(data: bytes, expected: str) -> str:
    """The MIME type the bytes claim, insisting on `expected` kind ("image" or "video")."""
    mime = sniff_mime(data)
    if mime is None:
        raise UnsupportedMedia("not an image or video format the simulator knows")
    kind = media_kind(mime)
    if kind != expected:
        raise UnsupportedMedia(f"a {kind} where an {expected} was expected")
    return mime


def _max_pixels() -> int:
    """Pillow's decompression-bomb limit, or its default when the guard was switched off."""
    limit = Image.MAX_IMAGE_PIXELS
    return int(limit) if limit else DEFAULT_MAX_PIXELS


def _open_image(data: bytes, mime: str) -> Image.Image:
    """Open (header only, nothing decoded yet) and refuse sizes that would be a bomb."""
    fmt = _PIL_FORMATS.get(mime)
    if fmt is None:
        raise UnsupportedMedia(f"{mime} is not an image format the simulator decodes")
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge("image dimensions are too large to decode safely") from exc
    width, height = image.size
    if width * height > _max_pixels():
        image.close()
        raise MediaTooLarge(f"image dimensions {width}x{height} are too large to decode safely")
    if width < 1 or height < 1:
        image.close()
        raise UndecodableMedia(f"image dimensions {width}x{height} are out of bounds")
    return image


def check_image(data: bytes, mime: str) -> tuple[int, int]:
    """Verify and fully decode an image (the first frame of an animation); return its size."""
    with media_errors("image"):
        with _open_image(data, mime) as image:
            size = image.size
            image.verify()
        with _open_image(data, mime) as image:
            image.load()
    return size


def open_image(data: bytes, *, fit: tuple[int, int] | None = None) -> Image.Image:
    """Decode an untrusted image to RGB, upright, with any transparency flattened on grey.

    `fit` lets a JPEG decode at a reduced scale that still covers that size.
    """
    mime = _claim(data, "image")
    check_image(data, mime)
    with media_errors("image"), _open_image(data, mime) as image:
        if fit is not None and mime == "image/jpeg":
            image.draft("RGB", fit)
        image.load()
        upright = ImageOps.exif_transpose(image)
        return _to_rgb(upright)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB copy of `image`; transparent parts become mid grey."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image.convert("RGB")
    backdrop = Image.new("RGBA", image.size, _FLATTEN_GREY)
    backdrop.alpha_composite(image.convert("RGBA"))
    return backdrop.convert("RGB")


def _check_boxes(data: bytes) -> None:
    """Walk an MP4/MOV's top-level boxes; a box running past the end means truncation."""
    pos, end, seen = 0, len(data), set()
    while pos < end:
        if end - pos < 8:
            raise UndecodableMedia("video is truncated (partial box header)")
        size, box = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if end - pos < 16:
                raise UndecodableMedia("video is truncated (partial box header)")
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise UndecodableMedia("video is truncated (a box runs past the end)")
        seen.add(box)
        pos += size
    if b"moov" not in seen:
        raise UndecodableMedia("video has no moov box")


@contextmanager
def _open_video(data: bytes, mime: str) -> Iterator[tuple[Any, Any]]:
    """Open a container and its first video stream, refusing bomb-sized frames."""
    if mime in ("video/mp4", "video/quicktime", "video/3gpp"):
        _check_boxes(data)
    container = av.open(io.BytesIO(data), mode="r", format=_AV_FORMATS[mime])
    try:
        streams = container.streams.video
        if not streams:
            raise UnsupportedMedia("the file has no video stream")
        stream = streams[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > MAX_VIDEO_PIXELS:
            raise MediaTooLarge(f"video dimensions {width}x{height} are too large to decode")
        if width < 1 or height < 1:
            raise UndecodableMedia(f"video dimensions {width}x{height} are out of bounds")
        yield container, stream
    finally:
        container.close()


def check_video(data: bytes, mime: str) -> VideoFacts:
    """Open a video, read its size, duration and frame count, and decode its first frame."""
    with media_errors("video"), _open_video(data, mime) as (container, stream):
        duration: float | None = None
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        if next(iter(container.decode(stream)), None) is None:
            raise UndecodableMedia("no video frame decodes")
        width, height = stream.codec_context.width, stream.codec_context.height
        return VideoFacts(width, height, duration, int(stream.frames) or None)


def _scaled(width: int, height: int, long_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk so the long side is at most `long_side`."""
    if long_side is None or max(width, height) <= long_side:
        return width, height
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def iter_frames(
    data: bytes, *, long_side: int | None = None, until_s: float | None = None
) -> Generator[tuple[float, Image.Image], None, None]:
    """Yield (seconds from the first frame, RGB image) for each frame of an untrusted video."""
    mime = _claim(data, "video")
    with media_errors("video"), _open_video(data, mime) as (container, stream):
        width, height = stream.codec_context.width, stream.codec_context.height
        out_w, out_h = _scaled(width, height, long_side)
        rate = float(stream.average_rate or 24)
        start: float | None = None
        for index, frame in enumerate(container.decode(stream)):
            if index >= MAX_VIDEO_FRAMES:
                raise UndecodableMedia("video has too many frames")
            stamp = float(frame.time) if frame.time is not None else index / rate
            start = stamp if start is None else start
            if until_s is not None and stamp - start > until_s:
                return
            yield stamp - start, frame.to_image(width=out_w, height=out_h)


def first_frame(data: bytes, *, long_side: int | None = None) -> Image.Image:
    """The opening frame of a video."""
    with closing(iter_frames(data, long_side=long_side)) as frames:
        first = next(frames, None)
    if first is None:
        raise UndecodableMedia("no video frame decodes")
    return first[1]


def last_frame(data: bytes, *, long_side: int | None = None) -> Image.Image:
    """The final frame of a video."""
    final: Image.Image | None = None
    for _, image in iter_frames(data, long_side=long_side):
        final = image
    if final is None:
        raise UndecodableMedia("no video frame decodes")
    return final


def frames_at(data: bytes, positions: Sequence[float]) -> list[Image.Image]:
    """Frames at relative positions (0.0 the first frame, 1.0 the last) of a video."""
    if any(not 0.0 <= p <= 1.0 for p in positions):
        raise ValueError("positions must lie between 0.0 and 1.0")
    mime = _claim(data, "video")
    count = check_video(data, mime).frames or sum(1 for _ in iter_frames(data))
    wanted = [round(p * (count - 1)) for p in positions]
    found: dict[int, Image.Image] = {}
    latest: Image.Image | None = None
    with closing(iter_frames(data)) as frames:
        for index, (_, image) in enumerate(frames):
            latest = image
            if index in wanted:
                found[index] = image
            if index >= max(wanted, default=-1):
                break
    if latest is None:
        raise UndecodableMedia("no video frame decodes")
    return [found.get(index, latest) for index in wanted]
