"""Snapshots of the preview (with the lineage tree above it), half-cell renderer forced."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lumatui.engine.thumbnails import ThumbnailCache
from tests.tui.preview_host import Host, snapshot_family, stable, utc

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job

__all__ = ["stable", "utc"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def shows(name: str, host: Host, jobs: dict[str, Job]) -> Callable[[Pilot[None]], object]:
    """A run_before that selects one job in the tree and the preview, then waits for it."""

    async def run_before(pilot: Pilot[None]) -> None:
        """Show the job and wait for its thumbnails."""
        job = jobs[name]
        host.family.show_family(job)
        host.preview.show(job)
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("name", ["image", "video", "failed"])
def test_preview_snapshot(
    snap_compare: Callable[..., bool], tmp_path: Path, stable: None, name: str
) -> None:
    store, jobs = snapshot_family(tmp_path)
    host = Host(store, ThumbnailCache(tmp_path / "cache"))
    try:
        assert snap_compare(host, terminal_size=(100, 40), run_before=shows(name, host, jobs))
    finally:
        store.close()
