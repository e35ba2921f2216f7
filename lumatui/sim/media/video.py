"""Render the MP4 a video, video_edit or video_reframe request deterministically produces.

Every frame starts as a base picture (the moving scene, or the source video's frame recoloured
or reframed). Anchor images then take over the frames around their index: start_frame,
keyframes, end_frame, the last frame of a video being extended, the first frame of a video
being led into, the first frame of a loop. Each is exactly the picture at its index and blends
back into the base with a slow zoom on either side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.sim.media.jobs import FPS, VIDEO_KINDS, UndecodableMedia, canvas_size, parse_ratio

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from PIL import Image

    from lumatui.sim.media.jobs import VideoJob
    from lumatui.sim.media.scene import Scene

MAX_DURATION_S = 60
ANCHOR_REACH = 36  # frames an anchor image takes to blend into the scene (1.5 s)
EXTEND_REACH = 60  # an extension lingers on the video it continues (2.5 s)
ANCHOR_ZOOM = 0.12
ANCHOR_PULL = 0.5
EDIT_TINT = 0.35
EDIT_SHAPES_FADE = 0.4
DEFAULT_RATIO = "16:9"


@dataclass
class _Anchor:
    """An image the video shows exactly at `index`, fading out over `reach` frames."""

    index: int
    image: Image.Image | None
    reach: int


def render_video(job: VideoJob) -> bytes:
    """MP4 bytes (H.264, yuv420p, 24 fps, duration_s * 24 frames) for a video job.

    Raises ValueError for a malformed job, and UnsupportedMedia / UndecodableMedia when an
    image or video it builds on cannot be read. The same job always gives the same bytes.
    """
    if job.kind not in VIDEO_KINDS:
        raise ValueError(f"not a video kind: {job.kind!r}")
    if not 1 <= job.duration_s <= MAX_DURATION_S:
        raise ValueError(f"duration_s must be 1-{MAX_DURATION_S}, not {job.duration_s}")
    if job.kind != "video" and job.source_video is None:
        raise ValueError(f"a {job.kind} needs its source video")
    from lumatui.sim.media import decode
    from lumatui.sim.media.mp4 import Mp4Writer

    total = job.duration_s * FPS
    source: _SourceCursor | None = None
    if job.source_video is not None and job.kind != "video":
        frames = decode.iter_frames(
            job.source_video, long_side=job.long_side, until_s=job.duration_s
        )
        source = _SourceCursor(frames)
    try:
        size = _frame_size(job, source)
        found = _anchor_images(job, size, total)
        scene = _scene_for(job, [image for image, _ in found.values()])
        base = _base_frames(job, size, source, scene)
        anchors = _anchors(job, found, total)
        writer = Mp4Writer(size, FPS)
        try:
            for index in range(total):
                frame = _anchored(base(index), index, anchors)
                if job.loop and index == 0:
                    anchors[-1].image = frame
                writer.write(frame)
        except BaseException:
            writer.abandon()
            raise
        return writer.finish()
    finally:
        if source is not None:
            source.close()


def frames_of(data: bytes, positions: Sequence[float]) -> list[Image.Image]:
    """Decode the frames at relative positions (0.0 first frame .. 1.0 last) of a video."""
    from lumatui.sim.media import decode

    return decode.frames_at(data, positions)


class _SourceCursor:
    """Walks a source video's frames in time order, answering "which frame shows at t"."""

    def __init__(self, frames: Iterator[tuple[float, Image.Image]]) -> None:
        """Start at the first frame; a video without one is undecodable."""
        self._frames = frames
        first = next(frames, None)
        if first is None:
            raise UndecodableMedia("the source video has no frames")
        self._current = first
        self._next = next(frames, None)

    @property
    def first(self) -> Image.Image:
        """The frame currently shown (the first, until at() moves on)."""
        return self._current[1]

    def at(self, t: float) -> Image.Image:
        """The frame on screen at `t` seconds; the last one holds past the end."""
        while self._next is not None and self._next[0] <= t + 1e-6:
            self._current = self._next
            self._next = next(self._frames, None)
        return self._current[1]

    def close(self) -> None:
        """Stop decoding and release the container."""
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()


def _frame_size(job: VideoJob, source: _SourceCursor | None) -> tuple[int, int]:
    """Output size: the requested ratio, else the source's shape for an edit, else 16:9."""
    if job.aspect_ratio is not None:
        ratio = parse_ratio(job.aspect_ratio)
    elif job.kind == "video_edit" and source is not None:
        ratio = source.first.size
    else:
        ratio = parse_ratio(DEFAULT_RATIO)
    return canvas_size(ratio, job.long_side, even=True)


def _scene_for(job: VideoJob, anchor_images: Sequence[Image.Image]) -> Scene:
    """The job's scene, its palette pulled toward the colours of the images it must show."""
    from lumatui.sim.media import paint
    from lumatui.sim.media.scene import build_scene
    from lumatui.sim.media.variant import vary

    colours = [c for image in anchor_images for c in paint.dominant_colours(image, 2)]
    return vary(build_scene(job.prompt, job.seed), job.variant).tinted(colours, ANCHOR_PULL)


def _anchor_images(
    job: VideoJob, size: tuple[int, int], total: int
) -> dict[int, tuple[Image.Image, int]]:
    """Index -> (image fitted to the frame, reach), later kinds overriding earlier ones."""
    from lumatui.sim.media import decode, paint

    fit = size
    found: dict[int, tuple[Image.Image, int]] = {}
    for index, data in job.keyframes:
        image = paint.cover(decode.open_image(data, fit=fit), size)
        found[min(max(index, 0), total - 1)] = (image, ANCHOR_REACH)
    if job.end_frame is not None:
        found[total - 1] = (
            paint.cover(decode.open_image(job.end_frame, fit=fit), size),
            ANCHOR_REACH,
        )
    if job.start_frame is not None:
        found[0] = (paint.cover(decode.open_image(job.start_frame, fit=fit), size), ANCHOR_REACH)
    if job.extend_from is not None:
        last = decode.last_frame(job.extend_from, long_side=max(size))
        found[0] = (paint.cover(last, size), EXTEND_REACH)
    if job.lead_into is not None:
        first = decode.first_frame(job.lead_into, long_side=max(size))
        found[total - 1] = (paint.cover(first, size), EXTEND_REACH)
    return found


def _anchors(job: VideoJob, found: dict[int, tuple[Image.Image, int]], total: int) -> list[_Anchor]:
    """The anchors in index order, each reach cut short of its neighbours; a loop's last."""
    entries: list[tuple[int, Image.Image | None, int]] = [
        (index, image, reach) for index, (image, reach) in sorted(found.items())
    ]
    if job.loop:
        entries = [e for e in entries if e[0] != total - 1] + [(total - 1, None, ANCHOR_REACH)]
    anchors = []
    for position, (index, image, reach) in enumerate(entries):
        gaps = [abs(index - other) for j, (other, _, _) in enumerate(entries) if j != position]
        anchors.append(_Anchor(index, image, max(1, min([reach, *gaps]))))
    return anchors


def _base_frames(
    job: VideoJob, size: tuple[int, int], source: _SourceCursor | None, scene: Scene
) -> Callable[[int], Image.Image]:
    """A function from frame index to the frame before anchors: scene, edit or reframe."""
    from lumatui.sim.media import paint

    dark, light = scene.palette[0], scene.palette[5]
    if job.kind == "video_edit" and source is not None:
        cursor = source

        def edited(index: int) -> Image.Image:
            t = index / FPS
            frame = paint.tint(paint.cover(cursor.at(t), size), dark, light, EDIT_TINT)
            paint.draw_shapes(frame, scene, t, fade=EDIT_SHAPES_FADE, overlay_only=True)
            return frame

        return edited
    if job.kind == "video_reframe" and source is not None:
        cursor = source
        return lambda index: paint.reframe(cursor.at(index / FPS), size, dark)
    backdrop = paint.background(scene, size)

    def scenic(index: int) -> Image.Image:
        frame = backdrop.copy()
        paint.draw_shapes(frame, scene, index / FPS)
        return frame

    return scenic


def _weight(distance: int, reach: int) -> float:
    """How much an anchor shows `distance` frames away: 1 at 0, easing to 0 at `reach`."""
    if distance >= reach:
        return 0.0
    u = 1.0 - distance / reach
    return u * u * (3 - 2 * u)


def _view(image: Image.Image, distance: int, reach: int) -> Image.Image:
    """The anchor image zoomed in a little more the further the frame is from the anchor."""
    from PIL import Image as PILImage

    if distance == 0:
        return image
    zoom = 1 + ANCHOR_ZOOM * min(1.0, distance / reach)
    width, height = image.size
    crop_w, crop_h = width / zoom, height / zoom
    box = ((width - crop_w) / 2, (height - crop_h) / 2, (width + crop_w) / 2, (height + crop_h) / 2)
    return image.resize(image.size, PILImage.Resampling.BILINEAR, box=box)


def _anchored(base: Image.Image, index: int, anchors: Sequence[_Anchor]) -> Image.Image:
    """The base frame with every anchor in reach blended in by its weight."""
    from PIL import Image as PILImage

    mixed: Image.Image | None = None
    total = 0.0
    for anchor in anchors:
        distance = abs(index - anchor.index)
        weight = _weight(distance, anchor.reach)
        if anchor.image is None or weight <= 0.0:
            continue
        view = _view(anchor.image, distance, anchor.reach)
        total += weight
        mixed = view if mixed is None else PILImage.blend(mixed, view, weight / total)
    if mixed is None:
        return base
    if total >= 1.0 - 1e-9:
        return mixed
    return PILImage.blend(base, mixed, total)
