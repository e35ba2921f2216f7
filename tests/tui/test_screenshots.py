"""`scripts/screenshots.py` builds every state at each of its sizes and writes its SVG."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.tui.screen_states import LIST_SIZES, SIZES, STATES

if TYPE_CHECKING:
    from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"

# textual-image calls Pillow's deprecated getdata(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# A word each state's picture must show: its content, not an error screen.
EXPECTED = {
    "empty": "not ready",
    "jobs": "uncertain",
    "chain": "start_frame",
    "failed": "content_moderated",
    "help": "Every key and action",
    "thousand": "1,000 of 1,000",
    "maximized": "z or esc restores",
    "compare": "Comparing 2 jobs",
    "batch": "3 of 4 done",
    "batch-compare": "Comparing 4 jobs",
}
OWN_SIZES = {
    "help": ((120, 40),),
    "thousand": LIST_SIZES,
    "maximized": ((160, 45),),
    "batch-compare": ((120, 40),),
}
"""States drawn at sizes of their own (the others at both SIZES)."""


def load_script() -> ModuleType:
    """Import the script as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("screenshots_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_state_has_both_sizes_and_an_expectation() -> None:
    assert set(EXPECTED) == set(STATES)
    for name, state in STATES.items():
        assert state.sizes == OWN_SIZES.get(name, SIZES)
        assert set(state.keys) <= set(state.sizes)


def test_the_script_writes_each_state_at_each_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The richest state through the script itself (test_app_snapshots renders every state at
    every size with the same builders); PNGs are skipped, with a message, without a tool."""
    script: Any = load_script()
    monkeypatch.setattr(script, "png_converter", lambda: None)
    out = tmp_path / "screenshots"
    names = ("chain",)
    assert script.main(["--out", str(out), "--only", ",".join(names)]) == 0
    written = sorted(path.name for path in out.iterdir())
    wanted = sorted(
        f"{name}-{cols}x{rows}.svg" for name in names for cols, rows in STATES[name].sizes
    )
    assert written == wanted
    for name in names:
        for svg in out.glob(f"{name}-*.svg"):
            text = svg.read_text(encoding="utf-8")
            assert text.startswith("<svg") and "Traceback" not in text
            assert EXPECTED[name].replace(" ", "&#160;") in text, svg.name
    captured = capsys.readouterr()
    assert "no SVG converter found" in captured.err
    assert "chain-80x24.svg" in captured.out
    command = load_script().png_converter()
    if command is not None:  # a converter is installed here: the PNG is a real PNG
        png = script.to_png(command, out / "chain-80x24.svg")
        assert png.read_bytes().startswith(b"\x89PNG")
