"""A batch in the lineage: one node between the jobs of the batch and the parent they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from rich.text import Text

from lumatui.engine.jobs import JobState
from lumatui.engine.lineage import Lineage
from tests.tui.conftest import seed_batch, settle
from tests.tui.preview_host import SIZE, Host, Seeder, seed, store, thumbnails

if TYPE_CHECKING:
    from textual.widgets.tree import TreeNode

    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache
    from lumatui.tui.widgets.lineage import LineageTree
    from lumatui.tui.widgets.lineage.labels import NodeData

__all__ = ["seed", "store", "thumbnails"]  # fixtures shared with the preview tests

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DONE = JobState.COMPLETED


def outline(tree: LineageTree) -> list[str]:
    """Every drawn node as `depth * '  ' + plain label`, top to bottom."""
    lines: list[str] = []

    def walk(node: TreeNode[NodeData], depth: int) -> None:
        for child in node.children:
            label = child.label
            lines.append("  " * depth + (label.plain if isinstance(label, Text) else str(label)))
            walk(child, depth + 1)

    walk(tree.root, 0)
    return lines


async def test_edits_sent_as_one_batch_hang_under_one_batch_node(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    image = seed.job(prompt="a fox")
    lone = seed.job(type="image_edit", source={"generation_id": image.generation_id}, prompt="ink")
    edits = seed_batch(
        store,
        1,
        "make it {night|snow}",
        [("make it night", DONE), ("make it snow", JobState.PROCESSING)],
        type_="image_edit",
        source={"generation_id": image.generation_id},
    )
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(edits[1])
        await settle(pilot)
        night, snow = edits
        assert outline(app.family) == [
            f"✓ image {image.short_id} a fox",
            f"  source ✓ image_edit {lone.short_id} ink",
            "  source ▣ batch make it {night|snow} · 2 jobs · 1 of 2 done",
            f"    source ✓ image_edit {night.short_id} make it night",
            f"    source ◐ image_edit {snow.short_id} make it snow",
        ]
        cursor = app.family.cursor_node
        assert cursor is not None and cursor.data is not None
        assert cursor.data.job_id == snow.id
        store.record_state(snow.id, _finished(store, snow.id))
        app.family.job_updated(store.get(snow.id))
        await settle(pilot)
        assert outline(app.family)[2].endswith("· 2 jobs · 2 of 2 done")


async def test_a_batch_of_new_images_is_one_root_node(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    foxes = seed_batch(store, 1, "a {red|blue} fox", [("a red fox", DONE), ("a blue fox", DONE)])
    other = seed.job(prompt="elsewhere")
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(foxes[1])
        await settle(pilot)
        assert outline(app.family) == [
            "▣ batch a {red|blue} fox · 2 jobs · 2 of 2 done",
            f"  ✓ image {foxes[0].short_id} a red fox",
            f"  ✓ image {foxes[1].short_id} a blue fox",
        ]
        assert other.id not in app.family.shown_job_ids


async def test_a_live_batch_of_edits_gathers_under_its_node(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    image = seed.job(prompt="a fox")
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(image)
        await settle(pilot)
        edits = seed_batch(
            store,
            1,
            "make it {night|snow}",
            [("make it night", JobState.QUEUED), ("make it snow", JobState.QUEUED)],
            type_="image_edit",
            source={"generation_id": image.generation_id},
        )
        for job in edits:
            app.family.job_updated(job)
        await settle(pilot)
        assert outline(app.family) == [
            f"✓ image {image.short_id} a fox",
            "  source ▣ batch make it {night|snow} · 2 jobs · 0 of 2 done",
            f"    source ○ image_edit {edits[0].short_id} make it night",
            f"    source ○ image_edit {edits[1].short_id} make it snow",
        ]


def test_the_command_line_lineage_is_unchanged_by_batches(store: JobStore) -> None:
    foxes = seed_batch(store, 1, "a {red|blue} fox", [("a red fox", DONE), ("a blue fox", DONE)])
    plain = Lineage(store).family(foxes[0])
    assert [node.job.id for node in plain if node.job] == [foxes[0].id]
    grouped = Lineage(store).family(foxes[0], batches=True)
    assert [node.batch_label for node in grouped] == ["a {red|blue} fox"]


def _finished(store: JobStore, job_id: str):  # type: ignore[no-untyped-def]
    from lumatui.api.schema import Generation

    job = store.get(job_id)
    return Generation.model_validate(
        {
            "id": job.generation_id,
            "created_at": "x",
            "model": job.model,
            "state": "completed",
            "type": job.type,
        }
    )
