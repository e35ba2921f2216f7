"""Finishing touches drawn at the output size: the caption, the manga look, reference swatches."""

from __future__ import annotations

import math
import unicodedata
from typing import TYPE_CHECKING

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from lumatui.sim.media.paint import cover

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

CAPTION_WORDS = 6
CAPTION_CHARS = 48
CAPTION_MIN_SIDE = 64
_INK = (20, 20, 26)
_PAPER = (250, 247, 238)


def caption_text(prompt: str) -> str:
    """The prompt's first words, control characters removed, short enough for one line."""
    visible = "".join(
        " " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in prompt
    )
    text = " ".join(visible.split()[:CAPTION_WORDS])
    if len(text) > CAPTION_CHARS:
        text = text[: CAPTION_CHARS - 1].rstrip() + "…"
    return text


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at `size`, or its bitmap font where FreeType is missing."""
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError):  # pragma: no cover - Pillow built without FreeType
        return ImageFont.load_default()


def caption(image: Image.Image, prompt: str) -> None:
    """Write the prompt's first words on an opaque dark band across the bottom.

    The band's height depends only on the image size, so an edit's caption covers the one
    its source carried instead of tangling with it.
    """
    text = caption_text(prompt)
    width, height = image.size
    short = min(width, height)
    if not text or short < CAPTION_MIN_SIDE:
        return
    font = _font(max(9, round(short / 22)))
    draw = ImageDraw.Draw(image, "RGBA")
    _, top, _, bottom = draw.textbbox((0, 0), "Ayg", font=font)
    pad = max(3, round(short / 60))
    band_top = height - (bottom - top) - 2 * pad
    draw.rectangle((0, band_top, width, height), fill=(12, 12, 16, 255))
    draw.text((pad * 2, band_top + pad - top), text, font=font, fill=(255, 255, 255, 240))


def _tone_tile(cell: int) -> Image.Image:
    """One cell of a 45° dot screen: thresholds that rise toward the dot centres."""
    tile = Image.new("L", (cell, cell))
    centres = [(cell / 2, cell / 2), (0, 0), (cell, 0), (0, cell), (cell, cell)]
    reach = cell / math.sqrt(2) / 2 * 1.4
    values = []
    for y in range(cell):
        for x in range(cell):
            near = min(math.hypot(x + 0.5 - cx, y + 0.5 - cy) for cx, cy in centres)
            values.append(max(0, min(254, round(255 * (1 - near / reach)))))
    tile.putdata(values)
    return tile


def _tiled(tile: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`tile` repeated over `size` (a row first, then rows)."""
    width, height = size
    row = Image.new("L", (width, tile.height))
    for x in range(0, width, tile.width):
        row.paste(tile, (x, 0))
    sheet = Image.new("L", size)
    for y in range(0, height, tile.height):
        sheet.paste(row, (0, y))
    return sheet


def manga(image: Image.Image, rng: random.Random) -> Image.Image:
    """Black ink on paper: solid shadows, outlines, a dot screen for mid-tones, speed lines."""
    width, height = image.size
    short = min(width, height)
    grey = ImageOps.autocontrast(image.convert("L"), cutoff=1)
    thresholds = _tiled(_tone_tile(max(4, round(short / 120))), image.size)
    page = _at_least(grey, thresholds)
    page.paste(0, mask=grey.point(lambda v: 255 if v < 50 else 0))
    small = grey.resize((max(1, width // 2), max(1, height // 2)), Image.Resampling.BILINEAR)
    edges = small.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v > 28 else 0)
    edges = edges.filter(ImageFilter.MaxFilter(3)).resize(image.size, Image.Resampling.NEAREST)
    page.paste(0, mask=edges)
    _speed_lines(page, rng)
    return ImageOps.colorize(page, _INK, _PAPER)


def _at_least(values: Image.Image, thresholds: Image.Image) -> Image.Image:
    """255 where `values` reaches its threshold, 0 elsewhere."""
    one_more = ImageChops.add(values, Image.new("L", values.size, 1))
    return ImageChops.subtract(one_more, thresholds).point(lambda v: 255 if v > 0 else 0)


def _speed_lines(page: Image.Image, rng: random.Random) -> None:
    """Thin ink strokes from the border toward a focal point, stopping short of it."""
    width, height = page.size
    draw = ImageDraw.Draw(page)
    fx, fy = width * (0.35 + 0.3 * rng.random()), height * (0.35 + 0.3 * rng.random())
    reach = math.hypot(width, height)
    stroke = max(1, round(min(width, height) / 500))
    for _ in range(48):
        angle = rng.random() * math.tau
        inner = reach * (0.28 + 0.12 * rng.random())
        dx, dy = math.cos(angle), math.sin(angle)
        draw.line(
            (fx + dx * inner, fy + dy * inner, fx + dx * reach, fy + dy * reach),
            fill=0,
            width=stroke,
        )


def ref_swatches(image: Image.Image, refs: Sequence[Image.Image]) -> None:
    """Small framed thumbnails of the reference images down the top-right corner."""
    width, height = image.size
    side = max(8, round(min(width, height) * 0.16))
    frame = max(1, side // 24)
    gap = max(2, side // 10)
    x = width - gap - side - 2 * frame
    for index, ref in enumerate(refs[:4]):
        y = gap + index * (side + 2 * frame + gap)
        if y + side + 2 * frame > height:
            break
        image.paste((250, 250, 250), (x, y, x + side + 2 * frame, y + side + 2 * frame))
        image.paste(cover(ref, (side, side)), (x + frame, y + frame))


def web_search_mark(image: Image.Image) -> None:
    """A small globe and "WEB" in the top-left corner: this job was allowed to search the web."""
    width, height = image.size
    short = min(width, height)
    if short < CAPTION_MIN_SIDE // 2:
        image.paste((30, 110, 200), (0, 0, max(2, width // 6), max(2, height // 6)))
        return
    side = max(12, round(short * 0.12))
    pad = max(2, side // 6)
    draw = ImageDraw.Draw(image, "RGBA")
    draw.rounded_rectangle(
        (pad, pad, pad + side * 2.2, pad + side), radius=side // 4, fill=(20, 60, 140, 230)
    )
    r = side * 0.38
    cx, cy = pad + side * 0.5, pad + side * 0.5
    line = max(1, side // 14)
    ink = (235, 245, 255, 255)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=line)
    draw.ellipse((cx - r * 0.45, cy - r, cx + r * 0.45, cy + r), outline=ink, width=line)
    draw.line((cx - r, cy, cx + r, cy), fill=ink, width=line)
    font = _font(max(8, round(side * 0.45)))
    draw.text((pad + side * 0.95, cy), "WEB", font=font, fill=ink, anchor="lm")
