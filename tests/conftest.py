"""Fixtures shared by every test: each test gets its own LUMATUI_HOME and no real key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point LUMATUI_HOME at a fresh folder and remove any real key or base URL."""
    home = tmp_path / "lumatui-home"
    home.mkdir()
    monkeypatch.setenv("LUMATUI_HOME", str(home))
    for name in ("LUMA_AGENTS_API_KEY", "LUMA_BASE_URL", "LUMATUI_LOG"):
        monkeypatch.delenv(name, raising=False)
    return home
