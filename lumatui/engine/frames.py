"""Decoding to small frames: image thumbnails with Pillow, video frames with PyAV.

Both libraries are imported inside the functions; no textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.engine.media_kinds import (
    AV_IMAGES,
    PIL_FORMATS,
    MediaError,
    check_pixels,
    fit_size,
    one_line,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from PIL import Image

# Frames within this many seconds of a target count as "at" it (float pts rounding).
_EPSILON = 1e-6


def probe_image(path: Path, fmt: str, *, max_pixels: int) -> tuple[int, int]:
    """Open an image with Pillow, verify() it, decode it (JPEG at 1/8 scale); (width, height)."""
    from PIL import Image

    try:
        with Image.open(path, formats=[fmt]) as image:
            width, height = image.size
            check_pixels(width, height, max_pixels)
            image.verify()  # PNG: every chunk's CRC through IEND; cheap for the others
        with Image.open(path, formats=[fmt]) as image:
            if fmt == "JPEG":  # DCT scaling: every block is still read, so truncation shows
                image.draft("RGB", (max(width // 8, 1), max(height // 8, 1)))
            image.load()
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaError(f"image too large (decompression bomb guard): {one_line(exc)}") from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, struct.error, ... for bad data
        raise MediaError(f"corrupt or truncated {fmt} image: {one_line(exc)}") from exc
    return width, height


def probe_video(path: Path, *, max_pixels: int) -> tuple[int, int, float | None, int | None]:
    """Open a video (or a still PyAV decodes: EXR), decode a frame.

    Returns (width, height, seconds, frames): the frames are the packets present (counted
    without decoding), None when the container holds none that say so.
    """
    import av

    try:
        with av.open(str(path), mode="r") as container:
            stream = _video_stream(container)
            ctx = stream.codec_context
            check_pixels(ctx.width or 0, ctx.height or 0, max_pixels, "video frame")
            frame = next(iter(container.decode(stream)), None)
            if frame is None:
                raise MediaError("not a playable video: no frame could be decoded")
            check_pixels(frame.width, frame.height, max_pixels, "video frame")
            frames = _check_complete(container, stream)
            return frame.width, frame.height, _duration(container, stream), frames
    except MediaError:
        raise
    except Exception as exc:  # PyAV raises many types for bad input; all mean "not a video"
        raise MediaError(f"not a playable video: {_av_message(exc)}") from exc


def grab_frames(
    path: Path, positions: tuple[float, ...], size: tuple[int, int]
) -> list[Image.Image]:
    """Frames at each position (0.0 first .. 1.0 last), each scaled to fit `size`, aspect kept.

    One pass over the packets (no decoding) finds the keyframes; then the targets are visited
    in order, seeking to the keyframe before a target only when that is ahead of the frames
    already decoded, so no frame is decoded twice.
    """
    import av

    try:
        with av.open(str(path), mode="r") as container:
            stream = _video_stream(container)
            stream.thread_type = "AUTO"
            keyframes, end = _keyframe_index(container, stream)
            start = _seconds(stream.start_time, stream) or (keyframes[0] if keyframes else 0.0)
            duration = _duration(container, stream) or (end - start if end else 0.0)
            walker = _FrameWalker(container, stream)
            found: dict[int, Any] = {}
            for i in sorted(range(len(positions)), key=lambda i: positions[i]):
                last = positions[i] >= 1.0
                target = float("inf") if last else start + positions[i] * duration
                keyframe = max((k for k in keyframes if k <= target + _EPSILON), default=start)
                found[i] = walker.frame_at(target, keyframe)
            ratio = stream.sample_aspect_ratio
            return [_to_image(found[i], size, ratio) for i in range(len(positions))]
    except MediaError:
        raise
    except Exception as exc:  # as above: anything PyAV raises means the video is unusable
        raise MediaError(f"cannot read video frames: {_av_message(exc)}") from exc


class _FrameWalker:
    """Decodes forward through a stream, seeking only when a target's keyframe is ahead."""

    def __init__(self, container: Any, stream: Any) -> None:
        self._container = container
        self._stream = stream
        self._frames: Iterator[Any] | None = None
        self._shown: Any = None  # the latest frame decoded at or before the last target
        self._pending: Any = None  # a frame already decoded past the last target

    def frame_at(self, target: float, keyframe: float) -> Any:
        """The frame on screen at `target` seconds (the last one for +inf)."""
        shown_time = self._shown.time if self._shown is not None else None
        if self._frames is None or shown_time is None or keyframe > shown_time + _EPSILON:
            self._seek(keyframe)
        frame = self._advance(target)
        if frame is None:  # the seek landed past the end, or nothing decoded: start over
            self._seek(None)
            frame = self._advance(target)
        if frame is None:
            raise MediaError("not a playable video: no frame could be decoded")
        return frame

    def _seek(self, seconds: float | None) -> None:
        """Seek to the keyframe at or before `seconds` (None: the start); reset the decoder."""
        if seconds is None or seconds <= 0:
            self._container.seek(0)
        else:
            offset = round(seconds / float(self._stream.time_base))
            self._container.seek(offset, stream=self._stream, backward=True)
        self._frames = iter(self._container.decode(self._stream))
        self._shown = self._pending = None

    def _advance(self, target: float) -> Any:
        """Decode until the next frame would be after `target`; the frame shown then."""
        assert self._frames is not None
        while True:
            frame, self._pending = self._pending, None
            if frame is None:
                frame = next(self._frames, None)
            if frame is None:
                return self._shown
            late = frame.time is not None and frame.time > target + _EPSILON
            if late and self._shown is not None:
                self._pending = frame
                return self._shown
            self._shown = frame
            if late:  # the target lies before the first frame: show the first
                return frame


def image_thumbnail(path: Path, mime: str, box: tuple[int, int], max_pixels: int) -> Image.Image:
    """Decode only as much as needed (JPEG draft, reduce) and shrink to fit box; RGB or RGBA."""
    if mime in AV_IMAGES:
        return grab_frames(path, (0.0,), box)[0]
    fmt = PIL_FORMATS.get(mime)
    if fmt is None:
        raise MediaError(f"{mime} images are not supported")
    from PIL import Image, ImageOps

    try:
        with Image.open(path, formats=[fmt]) as opened:
            check_pixels(opened.width, opened.height, max_pixels)
            if fmt == "JPEG":
                opened.draft("RGB", box)  # DCT scaling: decode at 1/2, 1/4 or 1/8 size
            image = _resizable(opened)
            image.thumbnail(box, reducing_gap=2.0)  # reduce() by an integer factor, then resample
            small = ImageOps.exif_transpose(image)
        small.thumbnail(box)  # a rotated non-square box may no longer fit
        return _normalise_mode(small)
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaError(f"image too large (decompression bomb guard): {one_line(exc)}") from exc
    except Exception as exc:
        raise MediaError(f"cannot make a thumbnail: {one_line(exc)}") from exc


def _resizable(image: Image.Image) -> Image.Image:
    """The image itself when Pillow resizes its mode well, else an 8-bit RGB(A) or L copy."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode == "I" or image.mode.startswith("I;16"):  # 16-bit grey: scale, don't clip
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")  # palette, CMYK, 1-bit, ...


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGB for opaque images, RGBA where some pixel is transparent."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return image if image.mode == "RGB" else image.convert("RGB")
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    low, _high = rgba.getchannel("A").getextrema()
    return rgba.convert("RGB") if low == 255 else rgba


def _av_message(exc: Exception) -> str:
    """PyAV's reason without the file name it appends (a temp path means nothing to people)."""
    reason = getattr(exc, "strerror", None)
    return reason if isinstance(reason, str) and reason else one_line(exc)


def _check_complete(container: Any, stream: Any) -> int | None:
    """A file cut short after its index (an MP4 with moov first) still opens: count packets.

    Returns the frames present (one packet each), None when there are none.
    """
    expected = stream.frames or 0
    container.seek(0)
    present = sum(1 for packet in container.demux(stream) if packet.size)
    if expected > 0 and present < expected:
        raise MediaError(f"truncated video: {present} of {expected} frames present")
    return present or None


def _video_stream(container: Any) -> Any:
    """The first video stream, or MediaError."""
    streams = container.streams.video
    if not streams:
        raise MediaError("not a playable video: the file has no video stream")
    return streams[0]


def _seconds(value: int | None, stream: Any) -> float | None:
    """A timestamp in the stream's time base, in seconds."""
    if value is None or stream.time_base is None:
        return None
    return float(value * stream.time_base)


def _duration(container: Any, stream: Any) -> float | None:
    """Duration from the stream, else the container; None when neither knows."""
    seconds = _seconds(stream.duration, stream)
    if seconds:
        return seconds
    if container.duration:
        return float(container.duration) / 1_000_000  # container durations are in AV_TIME_BASE
    return None


def _keyframe_index(container: Any, stream: Any) -> tuple[list[float], float | None]:
    """Keyframe times and the end time, from the packets alone (no decoding); rewinds."""
    keyframes: list[float] = []
    end = None
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        stamp = _seconds(packet.pts, stream)
        if stamp is None:
            continue
        if packet.is_keyframe:
            keyframes.append(stamp)
        finish = stamp + (_seconds(packet.duration, stream) or 0.0)
        end = finish if end is None or finish > end else end
    container.seek(0)
    keyframes.sort()
    return keyframes, end


def _to_image(frame: Any, size: tuple[int, int], ratio: Any) -> Image.Image:
    """Scale a frame to fit `size` (display aspect, never enlarged) in swscale; an RGB image."""
    width, height = frame.width, frame.height
    if ratio is not None and ratio > 0:
        width = round(width * float(ratio))
    target = fit_size((width, height), size)
    image: Image.Image = frame.to_image(width=target[0], height=target[1], interpolation="AREA")
    return image
