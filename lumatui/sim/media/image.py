"""Render the picture an image or image_edit request deterministically produces."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from lumatui.sim.media.jobs import IMAGE_KINDS, canvas_size, parse_ratio

if TYPE_CHECKING:
    from PIL import Image

    from lumatui.sim.media.jobs import ImageJob

# Shapes are drawn at most this large, then scaled up: drawing is the slow part, not scaling.
WORK_LONG_SIDE = 1024
REF_PULL = 0.7
EDIT_TINT = 0.3
EDIT_SHAPES_FADE = 0.4
JPEG_QUALITY = 90
PNG_COMPRESS_LEVEL = 3


def render_image(job: ImageJob) -> bytes:
    """Encoded PNG or JPEG bytes for an image job; the same job always gives the same bytes.

    Raises ValueError for a malformed job, and UnsupportedMedia / UndecodableMedia when its
    source or reference images cannot be read.
    """
    if job.kind not in IMAGE_KINDS:
        raise ValueError(f"not an image kind: {job.kind!r}")
    if job.output_format not in ("png", "jpeg"):
        raise ValueError(f"output_format must be png or jpeg, not {job.output_format!r}")
    if job.kind == "image_edit" and job.source is None:
        raise ValueError("an image_edit needs its source image")
    size = canvas_size(parse_ratio(job.aspect_ratio or "1:1"), job.long_side)
    picture = _picture(job, size)
    return _encode(picture, job.output_format)


def _work_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size shapes are drawn at: `size` shrunk to WORK_LONG_SIDE when larger."""
    width, height = size
    scale = min(1.0, WORK_LONG_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _picture(job: ImageJob, size: tuple[int, int]) -> Image.Image:
    """The finished RGB picture at exactly `size`."""
    from PIL import Image

    from lumatui.sim.media import decode, finish, paint
    from lumatui.sim.media.scene import build_scene, rng_for

    work = _work_size(size)
    refs = [decode.open_image(data, fit=work) for data in job.refs]
    from lumatui.sim.media.variant import vary

    scene = vary(build_scene(job.prompt, job.seed), job.variant)
    ref_colours = [colour for ref in refs for colour in paint.dominant_colours(ref, 2)]
    scene = scene.tinted(ref_colours, REF_PULL)
    if job.kind == "image_edit" and job.source is not None:
        source = paint.cover(decode.open_image(job.source, fit=work), work)
        picture = paint.tint(source, scene.palette[0], scene.palette[5], EDIT_TINT)
        paint.draw_shapes(picture, scene, 0.0, fade=EDIT_SHAPES_FADE, overlay_only=True)
    else:
        picture = paint.render_scene(scene, work)
    if picture.size != size:
        picture = picture.resize(size, Image.Resampling.BICUBIC)
    if job.style == "manga":
        picture = finish.manga(picture, rng_for("manga", job.prompt, job.seed))
    finish.ref_swatches(picture, refs)
    finish.caption(picture, job.prompt)
    if job.web_search:
        finish.web_search_mark(picture)
    return picture


def _encode(picture: Image.Image, output_format: str) -> bytes:
    """PNG or JPEG bytes with no metadata that could vary between runs."""
    buffer = io.BytesIO()
    if output_format == "png":
        picture.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        picture.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
