"""A deterministic scene from a prompt and a seed: a motif, a palette and moving shapes.

Pure Python (no Pillow): paint.py draws a Scene at any size and any moment. Coordinates are
fractions of the canvas (x of its width, y of its height, sizes of its short side), so the same
prompt keeps its picture across aspect ratios, and velocities are per second for videos.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

RGB = tuple[int, int, int]

MOTIFS = ("landscape", "city", "waves", "orbs", "shards")
_MOTIF_WORDS = {
    "landscape": "mountain mountains hill hills valley landscape forest field meadow desert "
    "canyon volcano alps countryside",
    "city": "city street streets skyline building buildings tokyo york downtown neon town "
    "tower towers urban cyberpunk",
    "waves": "ocean sea wave waves beach river lake surf coast harbor harbour shore water",
    "orbs": "planet planets space galaxy bubble bubbles orb orbs moon stars cosmic balloon",
    "shards": "abstract geometric crystal crystals glass shard shards prism cubist pattern",
}
# (hue, lightness, saturation) a word pulls the palette toward.
_COLOUR_WORDS: dict[str, tuple[float, float, float]] = {
    "red": (0.0, 0.45, 0.8),
    "fire": (0.03, 0.5, 0.9),
    "sunset": (0.05, 0.55, 0.85),
    "orange": (0.07, 0.55, 0.9),
    "autumn": (0.08, 0.45, 0.75),
    "gold": (0.12, 0.55, 0.85),
    "golden": (0.12, 0.55, 0.85),
    "yellow": (0.15, 0.6, 0.9),
    "desert": (0.1, 0.6, 0.55),
    "green": (0.33, 0.4, 0.7),
    "forest": (0.3, 0.3, 0.6),
    "jungle": (0.35, 0.3, 0.75),
    "teal": (0.48, 0.4, 0.7),
    "ocean": (0.55, 0.4, 0.75),
    "sea": (0.55, 0.45, 0.7),
    "blue": (0.6, 0.45, 0.8),
    "ice": (0.55, 0.75, 0.5),
    "winter": (0.58, 0.8, 0.35),
    "snow": (0.6, 0.85, 0.25),
    "night": (0.66, 0.2, 0.6),
    "space": (0.7, 0.15, 0.6),
    "purple": (0.78, 0.4, 0.7),
    "violet": (0.75, 0.45, 0.7),
    "neon": (0.85, 0.5, 1.0),
    "pink": (0.92, 0.65, 0.75),
    "rose": (0.95, 0.55, 0.7),
}


@dataclass(frozen=True)
class Shape:
    """One drawable element; `points` holds per-kind detail (ridge heights, dot positions...).

    `foreground` marks the nearer layers (the front row of towers gets lit windows).
    """

    kind: str
    colour: int
    alpha: int
    x: float
    y: float
    size: float
    vx: float = 0.0
    vy: float = 0.0
    phase: float = 0.0
    points: tuple[float, ...] = ()
    foreground: bool = True


@dataclass(frozen=True)
class Scene:
    """A motif, six palette colours (sky top, sky bottom, ground, accent, glow, light), shapes."""

    motif: str
    palette: tuple[RGB, ...]
    horizon: float
    shapes: tuple[Shape, ...]

    def tinted(self, colours: Sequence[RGB], amount: float) -> Scene:
        """The same scene with each palette colour pulled toward one of `colours`."""
        if not colours:
            return self
        pulled = tuple(
            mix(colour, colours[i % len(colours)], amount) for i, colour in enumerate(self.palette)
        )
        return replace(self, palette=pulled)


def rng_for(*parts: object) -> random.Random:
    """A random generator seeded by a SHA-256 of the parts, stable across runs and machines."""
    digest = hashlib.sha256("\x1f".join(repr(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def mix(a: RGB, b: RGB, amount: float) -> RGB:
    """The colour `amount` of the way from a to b."""
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


def _hls(hue: float, light: float, sat: float) -> RGB:
    """An RGB colour from hue (wrapping), lightness and saturation (clamped)."""
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, min(max(light, 0.0), 1.0), min(max(sat, 0.0), 1.0))
    return round(r * 255), round(g * 255), round(b * 255)


def _words(prompt: str) -> list[str]:
    """Lower-case words of a prompt."""
    return re.findall(r"[a-z]+", prompt.lower())


def _between(rng: random.Random, low: float, high: float) -> float:
    """A uniform float in [low, high) from random() only (stable across Python versions)."""
    return low + (high - low) * rng.random()


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    """One of `options`, from random() only."""
    return options[min(len(options) - 1, int(rng.random() * len(options)))]


def _count(rng: random.Random, low: int, high: int) -> int:
    """An int in [low, high], from random() only."""
    return low + min(high - low, int(rng.random() * (high - low + 1)))


def _motif(words: Iterable[str], rng: random.Random) -> str:
    """The motif a prompt's words suggest, else one chosen by the hash."""
    for word in words:
        for motif, vocabulary in _MOTIF_WORDS.items():
            if word in vocabulary.split():
                return motif
    return _pick(rng, MOTIFS)


def _palette(words: Sequence[str], rng: random.Random) -> tuple[RGB, ...]:
    """Six colours: a hash-chosen scheme around a hue the prompt's colour words may pick."""
    hue, light, sat = _between(rng, 0, 1), _between(rng, 0.35, 0.6), _between(rng, 0.45, 0.9)
    hinted = [_COLOUR_WORDS[w] for w in words if w in _COLOUR_WORDS]
    if hinted:
        hue, light, sat = hinted[0]
        hue += _between(rng, -0.03, 0.03)
    spread = _pick(rng, ("analogous", "complement", "triad"))
    turn = {"analogous": 0.08, "complement": 0.5, "triad": 1 / 3}[spread]
    return (
        _hls(hue + _between(rng, -0.04, 0.04), light * 0.55, sat),
        _hls(hue + turn * 0.3, min(0.9, light + 0.3), sat * 0.8),
        _hls(hue - 0.05, light * 0.4, sat * 0.7),
        _hls(hue + turn, 0.55, min(1.0, sat + 0.2)),
        _hls(hue + 0.1, 0.72, min(1.0, sat + 0.1)),
        _hls(hue + turn * 0.5, 0.9, 0.5),
    )


def _heights(rng: random.Random, count: int) -> tuple[float, ...]:
    """Periodic heights in [0, 1] for a ridge line that scrolls without a seam."""
    return tuple(_between(rng, 0.1, 1.0) for _ in range(count))


def _landscape(rng: random.Random, horizon: float) -> list[Shape]:
    """A sun, drifting clouds and two to four ridges of hills or mountains."""
    shapes = [
        Shape("disc", 4, 255, _between(rng, 0.15, 0.85), horizon * 0.45, _between(rng, 0.07, 0.14))
    ]
    shapes[0] = replace(shapes[0], vx=_between(rng, -0.01, 0.01), vy=0.004, foreground=False)
    layers = _count(rng, 2, 4)
    for layer in range(layers):
        depth = layer / max(1, layers - 1)
        shapes.append(
            Shape(
                "ridge",
                1 if layer == 0 else 2,
                255 if layer else 200,
                0.0,
                horizon + depth * (1 - horizon) * 0.45,
                _between(rng, 0.12, 0.3) * (1.2 - depth * 0.5),
                vx=0.008 + depth * 0.03,
                points=_heights(rng, _count(rng, 5, 11)),
                phase=_between(rng, 0, 1),
                foreground=layer > 0,
            )
        )
    for _ in range(_count(rng, 2, 5)):
        shapes.append(
            Shape(
                "cloud",
                5,
                190,
                _between(rng, 0, 1),
                _between(rng, 0.08, horizon * 0.8),
                _between(rng, 0.05, 0.11),
                vx=_between(rng, 0.01, 0.04),
                phase=_between(rng, 0, 1),
            )
        )
    return shapes


def _city(rng: random.Random, horizon: float) -> list[Shape]:
    """A moon, stars and two rows of towers with lit windows."""
    stars = tuple(_between(rng, 0, 1) for _ in range(2 * _count(rng, 20, 40)))
    shapes = [
        Shape("dots", 5, 220, 0.0, 0.0, 0.004, points=stars, foreground=False),
        Shape("disc", 5, 240, _between(rng, 0.1, 0.9), _between(rng, 0.1, 0.3), 0.08),
    ]
    for row in range(2):
        towers: list[float] = []
        x = 0.0
        while x < 1.0:
            width = _between(rng, 0.04, 0.1)
            towers += [x, width * 0.85, _between(rng, 0.15, 0.55) * (1.0 - row * 0.35)]
            x += width
        shapes.append(
            Shape(
                "towers",
                2 if row else 0,
                255,
                0.0,
                0.98 if row else horizon + 0.1,
                1.0,
                vx=0.01 + row * 0.02,
                points=tuple(towers),
                phase=_between(rng, 0, 1),
                foreground=row == 1,
            )
        )
    return shapes


def _waves(rng: random.Random, horizon: float) -> list[Shape]:
    """A low sun over bands of rolling water."""
    shapes = [Shape("disc", 4, 255, _between(rng, 0.2, 0.8), horizon - 0.05, 0.12, vy=0.006)]
    bands = _count(rng, 4, 7)
    for band in range(bands):
        shapes.append(
            Shape(
                "band",
                (2, 3, 1)[band % 3],
                230,
                _between(rng, 1.0, 3.0),
                horizon + (1 - horizon) * band / bands,
                _between(rng, 0.01, 0.04),
                vx=_between(rng, 0.05, 0.2) * (1 if band % 2 else -1),
                phase=_between(rng, 0, math.tau),
                foreground=band > 0,
            )
        )
    return shapes


def _orbs(rng: random.Random) -> list[Shape]:
    """Discs and rings drifting on slow orbits."""
    return [
        Shape(
            "ring" if rng.random() < 0.3 else "disc",
            _count(rng, 1, 5),
            _count(rng, 130, 235),
            _between(rng, 0.05, 0.95),
            _between(rng, 0.05, 0.95),
            _between(rng, 0.04, 0.3),
            vx=_between(rng, -0.08, 0.08),
            vy=_between(rng, -0.06, 0.06),
            phase=_between(rng, 0, math.tau),
        )
        for _ in range(_count(rng, 6, 14))
    ]


def _shards(rng: random.Random) -> list[Shape]:
    """Turning triangles and quads."""
    shapes = []
    for _ in range(_count(rng, 8, 16)):
        corners = _count(rng, 3, 4)
        angles = tuple(sorted(_between(rng, 0, math.tau) for _ in range(corners)))
        shapes.append(
            Shape(
                "shard",
                _count(rng, 0, 5),
                _count(rng, 150, 235),
                _between(rng, 0, 1),
                _between(rng, 0, 1),
                _between(rng, 0.08, 0.35),
                vx=_between(rng, 0.15, 0.5) * (1 if rng.random() < 0.5 else -1),
                phase=_between(rng, 0, math.tau),
                points=angles,
            )
        )
    return shapes


def build_scene(prompt: str, seed: int) -> Scene:
    """The scene a prompt and seed always produce."""
    rng = rng_for("scene", prompt, seed)
    words = _words(prompt)
    motif = _motif(words, rng)
    palette = _palette(words, rng)
    horizon = _between(rng, 0.45, 0.68)
    if motif == "landscape":
        shapes = _landscape(rng, horizon)
    elif motif == "city":
        shapes = _city(rng, horizon)
    elif motif == "waves":
        shapes = _waves(rng, horizon)
    elif motif == "orbs":
        shapes = _orbs(rng)
    else:
        shapes = _shards(rng)
    return Scene(motif, palette, horizon, tuple(shapes))
