"""The preview's download bar shows only while an output downloads, so an idle preview is still."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from textual.widgets import ProgressBar

from tests.tui.preview_host import SIZE, Host, Seeder, seed, store, thumbnails

if TYPE_CHECKING:
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

__all__ = ["seed", "store", "thumbnails"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_the_bar_is_hidden_unless_a_download_runs(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    job = seed.outputs(seed.job(), None)
    running = seed.job("processing")
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.preview.query_one(".preview-download", ProgressBar)
        assert not bar.display  # nothing selected: no indeterminate bar animating forever
        app.preview.show(running)
        await pilot.pause()
        assert not bar.display
        app.preview.show(job)
        await pilot.pause()
        assert not bar.display
        app.preview.download_progress(job.id, 0, 100, None)  # size unknown: indeterminate
        await pilot.pause()
        assert bar.display
        app.preview.show(None)
        await pilot.pause()
        assert not bar.display
