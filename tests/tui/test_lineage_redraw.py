"""The lineage tree never posts JobSelected for its own redraws, however quickly they come."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lumatui.tui.widgets.lineage import LineageTree
from tests.tui.conftest import settle
from tests.tui.preview_host import SIZE, Host, Seeder, seed, store, thumbnails

if TYPE_CHECKING:
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

__all__ = ["seed", "store", "thumbnails"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def selected(app: Host) -> list[str]:
    """The job ids of every JobSelected the tree posted."""
    return [m.job_id for m in app.seen if isinstance(m, LineageTree.JobSelected)]


async def test_redraws_in_a_row_post_nothing(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    fox = seed.job(prompt="a fox")
    fox_edit = seed.job(type="image_edit", source={"generation_id": fox.generation_id})
    owl = seed.job(prompt="an owl")
    owl_edit = seed.job(type="image_edit", source={"generation_id": owl.generation_id})
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.focus()
        await settle(pilot)
        # The list's cursor racing through jobs of different families, faster than a frame.
        for job in (fox_edit, owl, fox, owl_edit, fox_edit, owl_edit):
            app.family.show_family(job)
        await settle(pilot)
        await settle(pilot)
        assert selected(app) == []
        assert app.family.selected_job_id == owl_edit.id
        cursor = app.family.cursor_node
        assert cursor is not None and cursor.data is not None
        assert cursor.data.job_id == owl_edit.id
        # The person's own moves still select.
        await pilot.press("up")
        await settle(pilot)
        assert selected(app) == [owl.id]
