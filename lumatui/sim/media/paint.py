"""Draw a Scene with Pillow at any size and moment, plus the fitting and tinting helpers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFilter, ImageOps

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.sim.media.scene import RGB, Scene, Shape

Size = tuple[int, int]
RGBA = tuple[int, int, int, int]
OVERLAY_KINDS = frozenset({"disc", "ring", "cloud", "shard", "dots"})


def background(scene: Scene, size: Size) -> Image.Image:
    """The sky-to-ground gradient of a scene with a soft glow behind its first disc."""
    top, bottom, ground = scene.palette[0], scene.palette[1], scene.palette[2]
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    sky = ImageOps.colorize(ramp, top, bottom)
    width, height = size
    horizon = round(height * scene.horizon)
    if scene.motif in ("landscape", "waves", "city") and horizon < height:
        low = ImageOps.colorize(
            Image.linear_gradient("L").resize((width, height - horizon)), bottom, ground
        )
        sky.paste(low, (0, horizon))
    sun = next((s for s in scene.shapes if s.kind == "disc"), None)
    if sun is not None:
        short = min(size)
        radius = max(2, round(sun.size * short * 3.5))
        glow = Image.radial_gradient("L").resize((radius * 2, radius * 2))
        # radial_gradient reads 181 on the inscribed circle: fade to nothing there, not at corners
        glow = glow.point(lambda v: round(150 * max(0.0, 1 - v / 181) ** 2))
        colour = Image.new("RGB", glow.size, scene.palette[sun.colour])
        centre = (round(sun.x * width) - radius, round(sun.y * height) - radius)
        sky.paste(colour, centre, glow)
    return sky


def draw_shapes(
    image: Image.Image, scene: Scene, t: float, *, fade: float = 1.0, overlay_only: bool = False
) -> None:
    """Draw the scene's shapes at time `t` (seconds) onto an RGB image, `fade` scaling alpha.

    With `overlay_only`, skip the shapes that fill the canvas to its bottom edge (ridges,
    waves, towers), so someone else's picture underneath stays recognisable.
    """
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = image.size
    for shape in scene.shapes:
        if overlay_only and shape.kind not in OVERLAY_KINDS:
            continue
        colour = scene.palette[shape.colour % len(scene.palette)]
        fill = (*colour, max(0, min(255, round(shape.alpha * fade))))
        _PAINTERS[shape.kind](draw, shape, fill, width, height, t)


def _disc(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """A filled circle on a slow orbit that starts at its resting place."""
    cx = (s.x + 2 * s.vx * (math.sin(0.6 * t + s.phase) - math.sin(s.phase))) * w
    cy = (s.y + 2 * s.vy * (math.cos(0.5 * t + s.phase) - math.cos(s.phase))) * h
    r = s.size * min(w, h) * (1 + 0.04 * math.sin(1.3 * t + s.phase))
    if s.kind == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=fill, width=max(1, round(r * 0.18)))
    else:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def _ridge(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """A seamless, scrolling line of hills filled down to the bottom edge."""
    heights = s.points
    count = len(heights)
    shift = (s.phase + s.vx * t) % 1.0
    steps = count * 6
    line = []
    for step in range(2 * steps + 1):
        pos = step / steps
        seg = pos * count
        left = int(seg)
        frac = (1 - math.cos((seg - left) * math.pi)) / 2
        height = heights[left % count] * (1 - frac) + heights[(left + 1) % count] * frac
        line.append(((pos - shift) * w, (s.y - height * s.size) * h))
    draw.polygon([*line, (line[-1][0], h), (line[0][0], h)], fill=fill)


def _cloud(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """A cluster of ellipses drifting sideways, wrapping around the canvas."""
    x = ((s.x + s.vx * t + 0.2) % 1.4 - 0.2) * w
    y = s.y * h
    r = s.size * min(w, h)
    for dx, dy, k in ((-1.1, 0.2, 0.6), (0.0, 0.0, 1.0), (1.0, 0.15, 0.7), (0.4, -0.3, 0.6)):
        rx, ry = r * k * 1.3, r * k * 0.8
        cx, cy = x + dx * r, y + dy * r
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)


def _dots(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """Twinkling stars at the listed (x, y) pairs."""
    r = max(0.6, s.size * min(w, h))
    for i in range(0, len(s.points) - 1, 2):
        x, y = s.points[i] * w, s.points[i + 1] * h * 0.6
        glow = 0.55 + 0.45 * math.sin(3 * t + i)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*fill[:3], round(fill[3] * glow)))


def _towers(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """A scrolling row of towers, the front row with lit windows."""
    shift = (s.phase + s.vx * t) % 1.0
    lit = (255, 226, 150, fill[3])
    for copy in (0.0, 1.0):
        for i in range(0, len(s.points) - 2, 3):
            x0 = (s.points[i] + copy - shift) * w
            x1 = x0 + s.points[i + 1] * w
            if x1 < 0 or x0 > w:
                continue
            top = (s.y - s.points[i + 2]) * h
            draw.rectangle((x0, top, x1, s.y * h), fill=fill)
            if s.foreground:
                _windows(draw, (x0, top, x1, s.y * h), min(w, h), i, lit)


def _windows(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    short: int,
    seed: int,
    lit: RGBA,
) -> None:
    """A grid of windows in a tower, some lit, chosen by a cheap fixed pattern."""
    x0, y0, x1, y1 = box
    pane = max(1.0, short * 0.012)
    y = y0 + pane * 2
    row = 0
    while y + pane < y1 - pane:
        x = x0 + pane
        col = 0
        while x + pane < x1 - pane / 2:
            if (seed * 7 + row * 3 + col * 5) % 4 == 0:
                draw.rectangle((x, y, x + pane, y + pane), fill=lit)
            x += pane * 2
            col += 1
        y += pane * 2.2
        row += 1


def _band(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """A rolling wave band filled to the bottom edge; `x` is its cycles across the width."""
    steps = 48
    line = [
        (
            w * k / steps,
            (s.y + s.size * math.sin(math.tau * (s.x * k / steps + s.vx * t) + s.phase)) * h,
        )
        for k in range(steps + 1)
    ]
    draw.polygon([*line, (w, h), (0, h)], fill=fill)


def _shard(draw: ImageDraw.ImageDraw, s: Shape, fill: RGBA, w: int, h: int, t: float) -> None:
    """A turning polygon whose corners sit at the listed angles, drifting on a small orbit."""
    turn = s.phase + s.vx * t
    r = s.size * min(w, h)
    cx = (s.x + 0.05 * (math.sin(0.5 * t + s.phase) - math.sin(s.phase))) * w
    cy = (s.y + 0.04 * (math.cos(0.4 * t + s.phase) - math.cos(s.phase))) * h
    corners = [(cx + r * math.cos(a + turn), cy + r * math.sin(a + turn)) for a in s.points]
    draw.polygon(corners, fill=fill)


_PAINTERS: dict[str, Callable[[ImageDraw.ImageDraw, Shape, RGBA, int, int, float], None]] = {
    "disc": _disc,
    "ring": _disc,
    "ridge": _ridge,
    "cloud": _cloud,
    "dots": _dots,
    "towers": _towers,
    "band": _band,
    "shard": _shard,
}


def render_scene(scene: Scene, size: Size, t: float = 0.0) -> Image.Image:
    """The whole scene, background and shapes, at time `t`."""
    image = background(scene, size)
    draw_shapes(image, scene, t)
    return image


def cover(image: Image.Image, size: Size) -> Image.Image:
    """Scale and centre-crop an image so it fills `size` exactly."""
    if image.size == size:
        return image.copy()
    return ImageOps.fit(image, size, Image.Resampling.BICUBIC)


def tint(image: Image.Image, dark: RGB, light: RGB, amount: float) -> Image.Image:
    """Recolour an image toward a two-colour duotone by `amount` (0 keeps it, 1 replaces it)."""
    duotone = ImageOps.colorize(ImageOps.autocontrast(image.convert("L")), dark, light)
    return Image.blend(image, duotone, amount)


def reframe(image: Image.Image, size: Size, dark: RGB) -> Image.Image:
    """The whole image centred in `size`, the margins filled by a blurred, darkened extension."""
    width, height = size
    small = cover(image, (max(1, width // 8), max(1, height // 8))).filter(
        ImageFilter.GaussianBlur(2)
    )
    canvas = Image.blend(
        small.resize(size, Image.Resampling.BILINEAR), Image.new("RGB", size, dark), 0.35
    )
    inner = ImageOps.contain(image, size, Image.Resampling.BICUBIC)
    canvas.paste(inner, ((width - inner.width) // 2, (height - inner.height) // 2))
    return canvas


def dominant_colours(image: Image.Image, count: int = 3) -> list[RGB]:
    """The `count` most common colours of an image, most common first."""
    small = image.convert("RGB").resize((48, 48), Image.Resampling.BILINEAR)
    quantized = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    histogram = quantized.histogram()
    used = sorted((-n, index) for index, n in enumerate(histogram[:count]) if n)
    colours: list[RGB] = []
    for _, index in used:
        r, g, b = palette[index * 3 : index * 3 + 3]
        colours.append((r, g, b))
    return colours
