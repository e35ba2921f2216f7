"""Split an image into RGBA layers, as a layering job does: front to back, background last.

The simulator has no segmentation model, so the "elements" are shapes placed from the
request's seed (an ellipse with a soft edge, a polygon with a hard one), named after the
words of the prompt that guides the split. Every layer is a real RGBA PNG at the source's
shape: a front layer holds the source's pixels inside its element and true transparency
outside; the last layer is the opaque background, where the elements' places are filled
in from their surroundings. Composited back to front, the layers give the source again.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lumatui.sim.media.jobs import canvas_size

if TYPE_CHECKING:
    import random

    from PIL import Image

MIN_FRONT_LAYERS = 2
MAX_FRONT_LAYERS = 3
_STOP_WORDS = frozenset(
    {
        "the",
        "and",
        "with",
        "into",
        "from",
        "that",
        "this",
        "split",
        "layer",
        "layers",
        "image",
        "picture",
        "separate",
        "its",
    }
)
_FALLBACK_LABELS = ("subject", "object", "detail", "figure")
PNG_COMPRESS_LEVEL = 3


@dataclass(frozen=True)
class LayerJob:
    """One image to split: the source bytes, the guiding prompt, the seed and the size."""

    prompt: str
    seed: int
    long_side: int
    source: bytes
    web_search: bool = False


@dataclass(frozen=True)
class RenderedLayer:
    """One layer: PNG bytes (RGBA) and the metadata the API reports with it."""

    png: bytes
    meta: dict[str, Any]


def labels_for(prompt: str, count: int) -> list[str]:
    """Short layer names from the prompt's words (1-2 words each), then generic ones."""
    words = [w for w in re.findall(r"[a-z]+", prompt.lower()) if len(w) >= 3]
    picked = list(dict.fromkeys(w for w in words if w not in _STOP_WORDS))
    picked += [name for name in _FALLBACK_LABELS if name not in picked]
    return picked[:count]


def render_layers(job: LayerJob) -> list[RenderedLayer]:
    """The layers of `job`, front-most first and the opaque background last."""
    from PIL import Image, ImageDraw, ImageFilter

    from lumatui.sim.media import decode, finish
    from lumatui.sim.media.scene import rng_for

    source = decode.open_image(job.source, fit=(job.long_side, job.long_side))
    width, height = canvas_size((source.width, source.height), job.long_side)
    picture = source.resize((width, height), Image.Resampling.BICUBIC).convert("RGBA")
    rng = rng_for("layering", job.prompt, job.seed)
    count = rng.randint(MIN_FRONT_LAYERS, MAX_FRONT_LAYERS)
    names = labels_for(job.prompt, count)
    short = min(width, height)
    taken = Image.new("L", (width, height), 0)
    layers: list[RenderedLayer] = []
    for index, label in enumerate(names):
        soft = index % 2 == 0
        mask = Image.new("L", (width, height), 0)
        _element(ImageDraw.Draw(mask), rng, width, height, soft=soft)
        taken.paste(255, mask=mask)
        if soft:
            mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, short / 40)))
        layer = picture.copy()
        layer.putalpha(mask)
        shape = "rounded" if soft else "sharp-edged"
        meta = {
            "index": index,
            "label": label,
            "description": f"the {label}: a {shape} element of the picture, complete",
            "alpha_hint": "soft" if soft else "hard",
        }
        layers.append(RenderedLayer(_png(layer), meta))
    # The background: the elements' places filled in from a heavy blur of the picture.
    filled = picture.filter(ImageFilter.GaussianBlur(max(2.0, short / 8)))
    background = Image.composite(filled, picture, taken.filter(ImageFilter.MaxFilter(3)))
    background.putalpha(255)
    if job.web_search:
        rgb = background.convert("RGB")
        finish.web_search_mark(rgb)
        background = rgb.convert("RGBA")
    meta = {
        "index": len(layers),
        "label": "background",
        "description": "everything behind the elements, filled in where they stood",
        "alpha_hint": "none",
    }
    layers.append(RenderedLayer(_png(background), meta))
    return layers


def _element(draw: Any, rng: random.Random, width: int, height: int, *, soft: bool) -> None:
    """Draw one element's silhouette (255 on 0) at a seeded place, well inside the frame."""
    cx, cy = rng.uniform(0.25, 0.75) * width, rng.uniform(0.3, 0.75) * height
    rx, ry = rng.uniform(0.12, 0.25) * width, rng.uniform(0.12, 0.25) * height
    if soft:
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
        return
    corners = rng.randint(3, 6)
    step = math.tau / corners
    start = rng.uniform(0, step)
    points = [
        (cx + rx * math.cos(start + i * step), cy + ry * math.sin(start + i * step))
        for i in range(corners)
    ]
    draw.polygon(points, fill=255)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
