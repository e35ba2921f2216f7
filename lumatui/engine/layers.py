"""A layering job's outputs as a stack: ordered, shown on a checkerboard, composited.

Layers arrive front to back (`layer.index` 0 is the front-most, the last is the opaque
background). `composite_layers` stacks them back to front into one RGBA image; it decodes
images, so the async form runs it off the event loop (the preview calls that one). Every
decode is bounded by the same pixel guard as the rest of the engine.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.engine.media import check_pixels

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PIL import Image

    from lumatui.engine.jobs import Output

MAX_LAYER_PIXELS = 50_000_000
CHECKER_CELL = 8
_LIGHT, _DARK = (204, 204, 204, 255), (153, 153, 153, 255)


@dataclass(frozen=True)
class LayerFile:
    """One downloaded layer: its file and what the API said it is."""

    path: Path
    index: int
    label: str
    description: str
    alpha_hint: str

    @property
    def is_background(self) -> bool:
        """True for the opaque background (alpha_hint none)."""
        return self.alpha_hint == "none"


def layer_files(outputs: Sequence[Output]) -> list[LayerFile]:
    """The downloaded layers of a job, front-most first (outputs without a layer are skipped)."""
    found: list[LayerFile] = []
    for output in outputs:
        layer: dict[str, Any] | None = output.layer
        if layer is None or not output.is_downloaded or output.local_path is None:
            continue
        index = layer.get("index")
        found.append(
            LayerFile(
                Path(output.local_path),
                index if isinstance(index, int) else output.index,
                str(layer.get("label") or f"layer {output.index}"),
                str(layer.get("description") or ""),
                str(layer.get("alpha_hint") or ""),
            )
        )
    return sorted(found, key=lambda item: item.index)


def _open_rgba(path: Path) -> Image.Image:
    from PIL import Image

    with Image.open(path) as image:
        check_pixels(image.width, image.height, MAX_LAYER_PIXELS, "layer")
        return image.convert("RGBA")


def composite_layers(paths: Sequence[Path]) -> Image.Image:
    """The layers (front-most first) stacked back to front into one RGBA image (blocking).

    A layer of another size than the background is scaled to it.
    """
    if not paths:
        raise ValueError("no layers to composite")
    from PIL import Image

    layers = [_open_rgba(path) for path in paths]
    result = layers[-1].copy()
    for layer in reversed(layers[:-1]):
        if layer.size != result.size:
            layer = layer.resize(result.size, Image.Resampling.BICUBIC)
        result.alpha_composite(layer)
    return result


async def composite_layers_async(paths: Sequence[Path]) -> Image.Image:
    """`composite_layers` off the event loop."""
    return await asyncio.to_thread(composite_layers, list(paths))


def on_checkerboard(image: Image.Image, cell: int = CHECKER_CELL) -> Image.Image:
    """An RGBA image over a grey checkerboard, as RGB: its transparency made visible."""
    from PIL import Image, ImageDraw

    board = Image.new("RGBA", image.size, _LIGHT)
    draw = ImageDraw.Draw(board)
    for y in range(0, image.height, cell):
        for x in range((y // cell) % 2 * cell, image.width, cell * 2):
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=_DARK)
    board.alpha_composite(image.convert("RGBA"))
    return board.convert("RGB")


async def layer_on_checkerboard_async(path: Path, cell: int = CHECKER_CELL) -> Image.Image:
    """One layer file decoded and put on a checkerboard, off the event loop."""
    return await asyncio.to_thread(lambda: on_checkerboard(_open_rgba(path), cell))


def _layer_key(path: Path) -> str:
    """What names a layer file in the cache: its path, size and modification time."""
    st = path.stat()
    return f"{path.absolute()}:{st.st_size}:{st.st_mtime_ns}"


def _cached_png(cache_dir: Path, kind: str, paths: Sequence[Path], make: Any) -> Path:
    """The PNG `make()` draws, kept under `cache_dir/layers` by what it was made from."""
    names = "\n".join([kind, *(_layer_key(path) for path in paths)])
    target = cache_dir / "layers" / f"{hashlib.sha256(names.encode()).hexdigest()}.png"
    if target.is_file() and target.stat().st_size > 0:
        return target
    image = make()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".png")
    os.close(fd)
    try:
        image.save(tmp, "PNG")
        os.replace(tmp, target)  # atomic: a reader never sees half a picture
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def layer_board_png(path: Path, cache_dir: Path, cell: int = CHECKER_CELL) -> Path:
    """One layer on a checkerboard, as a PNG cached under `cache_dir` (blocking)."""
    return _cached_png(
        cache_dir, f"board{cell}", [path], lambda: on_checkerboard(_open_rgba(path), cell)
    )


def composite_png(paths: Sequence[Path], cache_dir: Path) -> Path:
    """The layers (front-most first) composited over a checkerboard, a PNG cached (blocking)."""
    return _cached_png(
        cache_dir, "composite", paths, lambda: on_checkerboard(composite_layers(paths))
    )


async def layer_picture_async(
    layers: Sequence[LayerFile], cache_dir: Path, *, position: int | None
) -> tuple[Path, tuple[int, int]]:
    """Off the event loop: layer `position` on a checkerboard, or (None) the composite.

    Returns the cached PNG and its pixel size.
    """

    def make() -> tuple[Path, tuple[int, int]]:
        from PIL import Image

        if position is None:
            target = composite_png([layer.path for layer in layers], cache_dir)
        else:
            target = layer_board_png(layers[position].path, cache_dir)
        with Image.open(target) as image:
            return target, image.size

    return await asyncio.to_thread(make)
