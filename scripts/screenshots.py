"""Regenerate `screenshots/*.svg` (and PNG copies for looking) from the snapshot tests' states.

Each state in `tests/tui/screen_states.py` (the ones `tests/tui/test_app_snapshots.py`
compares) is built in a fixed data folder, run headless at each of its sizes, and saved
as `screenshots/<state>-<cols>x<rows>.svg`; the README shows the SVGs. A PNG of each is
made beside it when an SVG converter is installed (`rsvg-convert` from Debian's
librsvg2-bin, or the `cairosvg` Python package); without one the PNGs are skipped, with
a message. Run it from the repository root:

    .venv/bin/python scripts/screenshots.py [--only chain,help] [--no-png] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file: make `tests` and `lumatui` importable
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tests.tui.screen_states import ScreenState

OUT_DIR = ROOT / "screenshots"


def file_name(state: ScreenState, size: tuple[int, int]) -> str:
    """`chain-120x40`, say (without the extension)."""
    return f"{state.name}-{size[0]}x{size[1]}"


async def capture(state: ScreenState, size: tuple[int, int]) -> str:
    """The SVG of `state` at `size`, taken as the snapshot tests take theirs."""
    import pytest

    with pytest.MonkeyPatch.context() as monkeypatch:
        app = state.build(monkeypatch)
        try:
            async with app.run_test(size=size) as pilot:
                await state.run_before(size)(pilot)
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                return app.export_screenshot(title="lumatui", simplify=True)
        finally:
            monkeypatch.undo()
            time.tzset()


def png_converter() -> list[str] | None:
    """The command that turns an SVG into a PNG (`{svg}` and `{png}` filled in), or None."""
    if shutil.which("rsvg-convert"):
        return ["rsvg-convert", "--zoom", "1", "-o", "{png}", "{svg}"]
    if importlib.util.find_spec("cairosvg") is None:
        return None
    convert = "import sys, cairosvg; cairosvg.svg2png(url=sys.argv[1], write_to=sys.argv[2])"
    return [sys.executable, "-c", convert, "{svg}", "{png}"]


def to_png(command: list[str], svg: Path) -> Path:
    """Convert one SVG; returns the PNG's path."""
    png = svg.with_suffix(".png")
    argv = [part.replace("{svg}", str(svg)).replace("{png}", str(png)) for part in command]
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    return png


def main(argv: Sequence[str] | None = None) -> int:
    """Write every state's SVG (and PNG); returns the exit code."""
    from tests.tui.screen_states import HOME, STATES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default="", help="comma-separated state names")
    parser.add_argument("--no-png", action="store_true", help="write the SVGs only")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder to write into")
    args = parser.parse_args(argv)
    wanted = [name for name in args.only.split(",") if name] or list(STATES)
    unknown = [name for name in wanted if name not in STATES]
    if unknown:
        parser.error(f"unknown state(s): {', '.join(unknown)}; known: {', '.join(STATES)}")
    command = None if args.no_png else png_converter()
    if command is None and not args.no_png:
        print(
            "no SVG converter found (install librsvg2-bin for rsvg-convert, or pip install "
            "cairosvg): writing the SVGs only",
            file=sys.stderr,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for name in wanted:
            state = STATES[name]
            for size in state.sizes:
                svg = args.out / f"{file_name(state, size)}.svg"
                svg.write_text(asyncio.run(capture(state, size)), encoding="utf-8")
                made = [svg.name]
                if command is not None:
                    made.append(to_png(command, svg).name)
                print(f"{' + '.join(made)}: {state.description}")
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
