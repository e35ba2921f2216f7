"""A snapshot of the lineage tree alone: two roots, a repeat, the focused cursor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lumatui.engine.thumbnails import ThumbnailCache
from tests.tui.conftest import settle
from tests.tui.preview_host import Host, snapshot_family, stable, utc

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from textual.pilot import Pilot

__all__ = ["stable", "utc"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_lineage_tree_snapshot(
    snap_compare: Callable[..., bool], tmp_path: Path, stable: None
) -> None:
    store, jobs = snapshot_family(tmp_path)
    host = Host(store, ThumbnailCache(tmp_path / "cache"), preview=False)

    async def run_before(pilot: Pilot[None]) -> None:
        """Show the two-parent job's family and focus the tree."""
        host.family.show_family(jobs["both"])
        host.family.focus()
        await settle(pilot)  # the family is read in a worker

    try:
        assert snap_compare(host, terminal_size=(72, 12), run_before=run_before)
    finally:
        store.close()
