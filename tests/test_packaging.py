"""The wheel carries the stylesheets, and an installed package finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lumatui.resources import styles_dir, stylesheets

ROOT = Path(__file__).resolve().parent.parent


def test_a_checkout_finds_its_styles() -> None:
    assert (styles_dir() / "base.tcss").is_file()
    assert stylesheets()[0].name == "base.tcss"


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import hatchling"], check=False).returncode != 0,
    reason="hatchling is not installed",
)
def test_the_wheel_ships_styles_inside_the_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("lumatui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "lumatui/styles/base.tcss" in names
    assert {n for n in names if n.endswith(".tcss")} == {
        f"lumatui/styles/{p.name}" for p in (ROOT / "styles").glob("*.tcss")
    }
