"""Where lumatui's stylesheets live, installed (inside the wheel) or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def styles_dir() -> Path:
    """The folder of `.tcss` files: `lumatui/styles` in a wheel, `styles/` in a checkout."""
    packaged = _PACKAGE / "styles"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "styles"


def stylesheets() -> list[Path]:
    """Every stylesheet, `base.tcss` first, then one file per area in name order."""
    folder = styles_dir()
    base = folder / "base.tcss"
    others = sorted(p for p in folder.glob("*.tcss") if p != base)
    return ([base] if base.is_file() else []) + others
