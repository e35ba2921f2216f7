"""The lineage tree: families roots to leaves, multi-parent marks, selection both ways."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from rich.text import Text

from lumatui.api.schema import Generation, GenerationRequest
from lumatui.tui.widgets.lineage import LineageTree
from lumatui.tui.widgets.lineage.labels import NodeData, node_label, visible_text
from tests.tui.conftest import settle
from tests.tui.preview_host import SIZE, Host, Seeder, seed, store, thumbnails

if TYPE_CHECKING:
    from textual.widgets.tree import TreeNode

    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

__all__ = ["seed", "store", "thumbnails"]  # fixtures shared with the preview tests

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def outline(tree: LineageTree) -> list[str]:
    """Every drawn node as `depth * '  ' + plain label`, top to bottom."""
    lines: list[str] = []

    def walk(node: TreeNode[NodeData], depth: int) -> None:
        """Depth-first, in drawing order."""
        for child in node.children:
            label = child.label
            plain = label.plain if isinstance(label, Text) else str(label)
            lines.append("  " * depth + plain)
            walk(child, depth + 1)

    walk(tree.root, 0)
    return lines


def selected(app: Host) -> list[str]:
    """The job ids of every JobSelected the tree posted."""
    return [m.job_id for m in app.seen if isinstance(m, LineageTree.JobSelected)]


def chain(seed: Seeder) -> tuple[Job, Job, Job]:
    """image -> edit of it -> video animating the edit."""
    image = seed.job(prompt="a fox")
    edit = seed.job(type="image_edit", source={"generation_id": image.generation_id}, prompt="ink")
    video = seed.job(
        type="video",
        video={"keyframes": [{"generation_id": edit.generation_id}], "keyframe_indexes": [0]},
        prompt="it runs",
    )
    return image, edit, video


async def test_a_three_level_chain_renders_roots_to_leaves(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    image, edit, video = chain(seed)
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(edit)
        await settle(pilot)
        assert outline(app.family) == [
            f"✓ image {image.short_id} a fox",
            f"  source ✓ image_edit {edit.short_id} ink",
            f"    keyframes[0] ✓ video {video.short_id} it runs",
        ]
        cursor = app.family.cursor_node
        assert cursor is not None and cursor.data is not None
        assert cursor.data.job_id == edit.id
        assert app.family.selected_job_id == edit.id
        assert app.seen == []  # showing a family is not a selection by the person


async def test_a_node_with_two_parents_is_under_both_marked_subtree_once(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    first = seed.job(prompt="first parent")
    second = seed.job(prompt="second parent")
    both = seed.job(
        type="image_edit",
        source={"generation_id": first.generation_id},
        image_ref=[{"generation_id": second.generation_id}],
        prompt="both",
    )
    grandchild = seed.job(
        type="image_edit", source={"generation_id": both.generation_id}, prompt="after"
    )
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(grandchild)
        await settle(pilot)
        lines = outline(app.family)
        both_lines = [line for line in lines if f"{both.short_id} both" in line]
        assert len(both_lines) == 2
        assert all("↗ also under 1 other" in line for line in both_lines)
        assert sum("(repeat)" in line for line in both_lines) == 1
        assert sum(grandchild.short_id in line for line in lines) == 1  # its subtree once
        roots = [line for line in lines if not line.startswith(" ")]
        assert len(roots) == 2


async def test_an_outside_parent_shows_as_external(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    outside = "0b7f3a4e-1111-4222-8333-944455556666"
    child = seed.job(type="image_edit", source={"generation_id": outside}, prompt="mine")
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(child)
        await settle(pilot)
        assert outline(app.family) == [
            "◇ external 0b7f3a4e",
            f"  source ✓ image_edit {child.short_id} mine",
        ]


async def test_moving_the_cursor_posts_job_selected_and_select_job_does_not(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    image, edit, video = chain(seed)
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(image)
        app.family.focus()
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert selected(app) == [edit.id]
        await pilot.press("down")
        await settle(pilot)
        assert selected(app) == [edit.id, video.id]
        app.family.select_job(image.id)  # the app echoing a selection from the list
        await settle(pilot)
        assert selected(app) == [edit.id, video.id]
        cursor = app.family.cursor_node
        assert cursor is not None and cursor.data is not None and cursor.data.job_id == image.id
        app.family.show_family(video)  # same family: only the cursor moves
        await settle(pilot)
        assert len(app.seen) == 2
        assert app.family.selected_job_id == video.id


async def test_labels_show_markup_and_escapes_literally(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    job = seed.job(prompt="[bold]x[/bold] \x1b[31mred")
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(job)
        await settle(pilot)
        (line,) = outline(app.family)
        assert "[bold]x[/bold] ␛[31mred" in line
        strip = app.family.render_line(0)
        drawn = "".join(segment.text for segment in strip)
        assert "[bold]x[/bold] ␛[31mred" in drawn
        assert "\x1b" not in drawn


async def test_job_updated_relabels_and_adds_new_children(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    image = seed.job("processing", prompt="a fox")
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(image)
        await settle(pilot)
        assert outline(app.family) == [f"◐ image {image.short_id} a fox"]
        assert image.generation_id is not None
        done = Generation.model_validate(
            {
                "id": image.generation_id,
                "created_at": "x",
                "model": "uni-1",
                "state": "completed",
                "type": "image",
            }
        )
        store.record_state(image.id, done)
        app.family.job_updated(store.get(image.id))
        request = GenerationRequest.model_validate(
            {
                "prompt": "ink",
                "type": "image_edit",
                "source": {"generation_id": image.generation_id},
            }
        )
        child = store.record_submission(request)
        app.family.job_updated(child)
        unrelated = seed.job(prompt="elsewhere")
        app.family.job_updated(unrelated)
        await settle(pilot)
        assert outline(app.family) == [
            f"✓ image {image.short_id} a fox",
            f"  source ↑ image_edit {child.short_id} ink",
        ]
        assert app.family.shown_job_ids == {image.id, child.id}


async def test_an_empty_selection_clears_the_tree(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(seed.job())
        await settle(pilot)
        app.family.show_family(None)
        await settle(pilot)
        assert outline(app.family) == []
        app.family.job_updated(seed.job())  # nothing shown: nothing to add to
        assert outline(app.family) == []


def test_visible_text_shows_controls_and_cuts() -> None:
    assert visible_text("a\x1b[31mb\n\tc\x7f") == "a␛[31mb␊␉c␡"
    assert visible_text("\u202eevil\x9b") == "\ufffdevil\ufffd"
    assert visible_text("x" * 50, limit=10) == "x" * 9 + "…"


def test_node_label_marks_repeats_and_counts(seed: Seeder) -> None:
    job = seed.job(prompt="p")
    data = NodeData("k", job, ("source", "image_ref[1]"), True, 3)
    assert node_label(data).plain == (
        f"source, image_ref[1] ✓ image {job.short_id} p  ↗ also under 2 others (repeat)"
    )


@pytest.mark.parametrize("width", [12, 20, 30, 45, 80])
def test_labels_fit_their_width_and_always_show_the_id(seed: Seeder, width: int) -> None:
    from rich.cells import cell_len

    job = seed.job(type="video", prompt="a lighthouse on a cliff at dusk, waves " * 3)
    data = NodeData("k", job, ("source",), False, 2)
    label = node_label(data, width=width).plain
    assert job.short_id in label and cell_len(label) <= width
    if "…" not in label:  # no room even for a cut prompt
        assert cell_len(label) > width - 3
    wide = node_label(data, width=200).plain
    assert wide == node_label(data).plain  # room for everything: nothing cut


async def test_enter_selects_the_node_job_and_the_path_is_drawn(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache
) -> None:
    image, edit, video = chain(seed)
    app = Host(store, thumbnails, preview=False)
    async with app.run_test(size=SIZE) as pilot:
        app.family.show_family(video)
        app.family.focus()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        chosen = [m for m in app.seen if isinstance(m, LineageTree.JobSelected) and m.chosen]
        assert [m.job_id for m in chosen] == [video.id]
        assert outline(app.family)[0].startswith("✓ image")  # enter never folds the node
        tree = app.family
        image_node = tree._family_nodes[image.id][0]
        edit_node = tree._family_nodes[edit.id][0]
        video_node = tree._family_nodes[video.id][0]
        assert tree._on_selected_path(image_node) and tree._on_selected_path(edit_node)
        assert not tree._on_selected_path(video_node)
