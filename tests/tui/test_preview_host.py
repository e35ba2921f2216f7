"""The preview's basics on a seeded store (helpers in `preview_host`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.tui.preview_host import RED, SIZE, Host, seed, store, thumbnails, utc

if TYPE_CHECKING:
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache
    from tests.tui.preview_host import Seeder

__all__ = ["seed", "store", "thumbnails", "utc"]  # fixtures, used by name


async def test_preview_starts_empty_and_shows_a_job(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(aspect_ratio="16:9"), seed.png("fox", RED))
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        from textual.widgets import Static

        message = app.preview.query_one(".media-message", Static)
        assert "Select a job" in str(message.render())
        assert job.generation_id is not None
        app.preview.show(job)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        details = str(app.preview.query_one(".preview-details", Static).render())
        assert "completed" in details and job.generation_id in details
        assert "uni-1 · image" in details
        assert "sent 00:00:01" in details and "finished 00:00:31" in details
        assert "queued 4s · processing 26s" in details
        assert "16:9" in details and "a red fox in the snow" in details
        assert "64×40" in details and "expires in 59m31s" in details
        assert not message.display
