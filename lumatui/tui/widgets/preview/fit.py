"""Fitting a picture into terminal cells: its aspect kept, as many cells as the region has.

A terminal cell is taller than it is wide (10x20 pixels is typical), so a picture that fills
C columns is C * cw / ch * h / w rows tall. Half-cell blocks draw two square pixels per
cell; Kitty and Sixel draw real pixels, so their pictures are made at the region's pixel
size. The disk cache is asked for one of a few square boxes (the smallest that covers the
region, 512 px being what the downloader makes ahead), and the picture is scaled from it
exactly, so resizing a terminal a column at a time never fills the cache.
"""

from __future__ import annotations

CACHE_BOXES = (512, 1024, 2048)
"""The thumbnail sizes asked of the disk cache (square boxes; the aspect is kept inside)."""
DEFAULT_CELL = (10, 20)


def cell_pixels() -> tuple[int, int]:
    """The terminal's cell size in pixels, as textual-image measured it (10x20 if unknown)."""
    try:
        from textual_image._terminal import get_cell_size

        size = get_cell_size()
    except Exception:  # no terminal to ask (a pipe, a test): the common size
        return DEFAULT_CELL
    width, height = int(size.width), int(size.height)
    return (width, height) if width > 0 and height > 0 else DEFAULT_CELL


def fit_cells(
    source: tuple[int, int], region: tuple[int, int], cell: tuple[int, int] = DEFAULT_CELL
) -> tuple[int, int]:
    """The most (columns, rows) inside `region` that show `source` (pixels) at its aspect."""
    width, height = max(source[0], 1), max(source[1], 1)
    columns, rows = region
    if columns <= 0 or rows <= 0:
        return 0, 0
    # Rows needed when the picture takes every column; if too many, the rows limit it.
    # Rounded first, so a region sized by this function (rows = its answer) gives it back.
    needed = max(1, round(columns * cell[0] * height / (width * cell[1])))
    if needed <= rows:
        return columns, needed
    fitted = rows * cell[1] * width / (height * cell[0])
    return max(1, min(columns, round(fitted))), rows


def pixel_size(cells: tuple[int, int], cell: tuple[int, int], *, in_cells: bool) -> tuple[int, int]:
    """The picture's size in pixels for `cells`: two pixels a cell for half-cell blocks."""
    if in_cells:
        return max(cells[0], 1), max(cells[1] * 2, 1)
    return max(cells[0] * cell[0], 1), max(cells[1] * cell[1], 1)


def cache_box(pixels: tuple[int, int]) -> tuple[int, int]:
    """The thumbnail box to ask the cache for: the smallest of `CACHE_BOXES` that covers."""
    wanted = max(pixels)
    side = next((box for box in CACHE_BOXES if box >= wanted), CACHE_BOXES[-1])
    return side, side


def frame_position(frame: int, frames: int) -> float:
    """Where frame `frame` (0-based) of `frames` lies, 0.0 (first) to 1.0 (last)."""
    if frames <= 1:
        return 0.0
    return min(max(frame, 0), frames - 1) / (frames - 1)
