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


# Modules holding tests of several seconds each (real processes, a pseudo-terminal, tmux,
# the full workstation typed at): run first, so that neither pytest-xdist worker is left
# with one of them at the end while the other has finished (`make test` runs two workers
# with --dist worksteal). Only the order changes; a module missing here runs in its place.
SLOW_FIRST = (
    "tests/cli/test_processes.py",
    "tests/cli/test_export_script.py",
    "tests/reliability/test_crash.py",
    "tests/reliability/test_key_never_leaks.py",
    "tests/tui/test_tmux.py",
    "tests/tui/test_crash_signals.py",
    "tests/tui/test_typing_fast.py",
    "tests/tui/test_maximize.py",
    "tests/tui/test_app.py",
    "tests/tui/test_screenshots.py",
    "tests/tui/test_composer_per_key.py",
    "tests/tui/test_app_snapshots.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the modules in SLOW_FIRST to the front, in that order (each module's tests
    stay together and in their order, so module-scoped fixtures are set up once)."""
    rank = {name: n for n, name in enumerate(SLOW_FIRST)}

    def key(indexed: tuple[int, pytest.Item]) -> tuple[int, int]:
        index, item = indexed
        return (rank.get(item.nodeid.split("::", 1)[0], len(rank)), index)

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]
