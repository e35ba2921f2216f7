"""Snapshots of the workstation's main states at 120x40 and 80x24, with fixed content.

The states (seeded store, keys pressed) live in `tests/tui/screen_states.py`, which
`scripts/screenshots.py` uses too, so the README's pictures are the states tested here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.tui.screen_states import LIST_SIZES, SIZES, STATES, fixed_home

__all__ = ["fixed_home"]  # a fixture, used by name

if TYPE_CHECKING:
    from collections.abc import Callable

# textual-image calls Pillow's deprecated getdata(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def shows(
    snap_compare: Callable[..., bool],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    size: tuple[int, int],
) -> bool:
    """Build state `name` and compare it with its snapshot at `size`."""
    state = STATES[name]
    app = state.build(monkeypatch)
    return bool(snap_compare(app, terminal_size=size, run_before=state.run_before(size)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_start(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    assert shows(snap_compare, monkeypatch, "empty", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_after_a_completed_job(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    assert shows(snap_compare, monkeypatch, "jobs", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_chain_with_its_lineage(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    assert shows(snap_compare, monkeypatch, "chain", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_failed_job_explained(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    assert shows(snap_compare, monkeypatch, "failed", size)


def test_help_screen(
    snap_compare: Callable[..., bool], fixed_home: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shows(snap_compare, monkeypatch, "help", (120, 40))


@pytest.mark.parametrize("size", LIST_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_thousand_jobs_fit_the_list(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    assert shows(snap_compare, monkeypatch, "thousand", size)


def test_the_preview_maximized(
    snap_compare: Callable[..., bool], fixed_home: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shows(snap_compare, monkeypatch, "maximized", (160, 45))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_batch_is_one_group_one_node_and_one_header_line(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    assert shows(snap_compare, monkeypatch, "batch", size)


def test_a_batch_marked_as_one_and_compared(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert shows(snap_compare, monkeypatch, "batch-compare", (120, 40))
