"""Runs of one request differ: a variant (from the generation id) nudges a scene.

The same request always builds the same scene (its composition: motif, horizon, shapes);
each generation then shifts the palette's hue and lightness a little, moves and resizes
the shapes slightly and scatters a few small discs, all decided by its variant number. So
four runs of `a red fox` are four recognisably related pictures, not four copies, and the
same generation always renders the same bytes. Variant 0 leaves a scene as it is.
"""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

from lumatui.sim.media.scene import Shape, rng_for

if TYPE_CHECKING:
    from lumatui.sim.media.scene import RGB, Scene

HUE_SHIFT = (0.06, 0.16)
"""How far (a fraction of the colour wheel, either way) a variant turns the palette."""
LIGHT_SHIFT = 0.06
MOVE = 0.035
"""How far (a fraction of the canvas) a shape may move."""
RESIZE = 0.12
FLOATING = frozenset({"disc", "ring", "cloud", "shard", "dots"})
FIXED_REACH = 0.25
"""The share of MOVE and RESIZE a shape of the layout (a ridge, a tower row) gets."""
SPECKS = (3, 7)
SPECK_SIZE = (0.015, 0.045)


def variant_of(generation_id: str) -> int:
    """The variant number of a generation: stable, and 0 for no id at all."""
    if not generation_id:
        return 0
    digest = hashlib.sha256(f"variant:{generation_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") or 1


def vary(scene: Scene, variant: int) -> Scene:
    """The scene as this variant renders it (the scene itself for variant 0)."""
    if not variant:
        return scene
    rng = rng_for("variant", variant)
    hue = rng.uniform(*HUE_SHIFT) * (1 if rng.random() < 0.5 else -1)
    light = rng.uniform(-LIGHT_SHIFT, LIGHT_SHIFT)
    palette = tuple(_shifted(colour, hue, light) for colour in scene.palette)
    shapes = []
    for shape in scene.shapes:
        # What fills the canvas to its bottom edge (hills, towers, waves) is the layout:
        # it barely moves; what floats over it (discs, clouds, shards) moves more.
        reach = 1.0 if shape.kind in FLOATING else FIXED_REACH
        shapes.append(
            replace(
                shape,
                x=shape.x + rng.uniform(-MOVE, MOVE) * reach,
                y=shape.y + rng.uniform(-MOVE, MOVE) * reach * 0.5,
                size=shape.size * (1 + rng.uniform(-RESIZE, RESIZE) * reach),
                # A layout shape's phase is its scroll offset: it stays, or the skyline moves.
                phase=shape.phase + (rng.uniform(-0.5, 0.5) if reach == 1.0 else 0.0),
            )
        )
    for _ in range(rng.randint(*SPECKS)):
        shapes.append(
            Shape(
                "disc",
                rng.choice((3, 4, 5)),
                rng.randint(150, 230),
                rng.uniform(0.05, 0.95),
                rng.uniform(0.05, 0.95),
                rng.uniform(*SPECK_SIZE),
                vx=rng.uniform(-0.03, 0.03),
                vy=rng.uniform(-0.03, 0.03),
                phase=rng.uniform(0, 6.283),
            )
        )
    return replace(scene, palette=palette, shapes=tuple(shapes))


def _shifted(colour: RGB, hue: float, light: float) -> RGB:
    """`colour` turned by `hue` around the wheel and lightened by `light` (clamped)."""
    h, lum, s = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    r, g, b = colorsys.hls_to_rgb((h + hue) % 1.0, min(max(lum + light, 0.0), 1.0), s)
    return round(r * 255), round(g * 255), round(b * 255)
