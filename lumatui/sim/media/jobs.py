"""What the simulator asks the renderers for, what probe() reports, and the two media errors."""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_KINDS = ("image", "image_edit")
VIDEO_KINDS = ("video", "video_edit", "video_reframe")
FPS = 24


class UnsupportedMedia(ValueError):
    """The bytes are not an image or video format the simulator knows (HTML, text, a zip...)."""


class UndecodableMedia(ValueError):
    """The bytes look like a known image or video format but cannot be decoded."""


class MediaTooLarge(UndecodableMedia):
    """The file declares more pixels than are safe to decode (a decompression bomb)."""


@dataclass(frozen=True)
class ImageJob:
    """One image to render: the request's fields plus any source or reference images."""

    prompt: str
    kind: str
    aspect_ratio: str | None
    output_format: str
    style: str | None
    seed: int
    long_side: int
    source: bytes | None = None
    refs: tuple[bytes, ...] = ()
    web_search: bool = False
    variant: int = 0
    """Which run of the request this is (`variant.variant_of` the generation id): runs differ."""


@dataclass(frozen=True)
class VideoJob:
    """One video to render: the request's fields plus any frames or videos it builds on.

    `extend_from` is a video this one continues (its frame 0 is that video's last frame);
    `lead_into` is a video this one leads up to (its last frame is that video's first frame),
    as for an extension backwards in time.
    """

    prompt: str
    kind: str
    aspect_ratio: str | None
    duration_s: int
    seed: int
    long_side: int
    start_frame: bytes | None = None
    end_frame: bytes | None = None
    keyframes: tuple[tuple[int, bytes], ...] = ()
    source_video: bytes | None = None
    extend_from: bytes | None = None
    loop: bool = False
    variant: int = 0
    """Which run of the request this is (`variant.variant_of` the generation id): runs differ."""
    lead_into: bytes | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What probe() found in a file: its kind, MIME type, size and, for videos, length."""

    kind: str
    mime: str
    width: int
    height: int
    duration_s: float | None
    frames: int | None


def parse_ratio(aspect_ratio: str) -> tuple[int, int]:
    """Split "16:9" into (16, 9); raise ValueError for anything else."""
    left, sep, right = aspect_ratio.partition(":")
    if not sep or not left.isdigit() or not right.isdigit():
        raise ValueError(f"aspect ratio must look like 16:9, not {aspect_ratio!r}")
    w, h = int(left), int(right)
    if w <= 0 or h <= 0 or w > 1000 or h > 1000:
        raise ValueError(f"aspect ratio out of range: {aspect_ratio!r}")
    return w, h


def canvas_size(ratio: tuple[int, int], long_side: int, *, even: bool = False) -> tuple[int, int]:
    """Width and height for a w:h ratio: `long_side` on the long side, the short side even.

    With `even` the long side is rounded down to even too, as H.264 in yuv420p needs.
    """
    if long_side < 2 or long_side > 16384:
        raise ValueError(f"long_side must be between 2 and 16384, not {long_side}")
    w, h = ratio
    long = long_side - long_side % 2 if even else long_side
    short = min(long - long % 2, max(2, round(long * min(w, h) / max(w, h) / 2) * 2))
    return (long, short) if w >= h else (short, long)
