"""= compares the 2-4 marked jobs side by side: outputs, differing request fields, stepping."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.schema import GenerationOutput
from lumatui.engine.store import JobStore
from lumatui.tui.screens.compare import CompareScreen
from lumatui.tui.screens.compare_fields import differences, flatten
from lumatui.tui.widgets.preview.media_view import MediaView
from lumatui.tui.widgets.preview.thumbnail import measure
from tests.tui.conftest import FIXED_NOW
from tests.tui.screen_states import SIZES, STATES, fixed_home, settle

__all__ = ["fixed_home"]  # a fixture, used by name

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.pilot import Pilot

# textual-image calls Pillow's deprecated getdata(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

COMPARED = STATES["compare"]
TWO = COMPARED.keys[SIZES[0]]
"""The chain's video and its last edit marked (the list's newest first), then compared."""
THREE = ("f3", "space", "space", "space", "equals_sign")


def test_requests_are_flattened_and_only_differing_paths_kept() -> None:
    assert flatten({"a": {"b": [1, {"c": "x"}]}, "d": None, "e": []}) == {
        "a.b.0": "1",
        "a.b.1.c": "x",
        "d": "null",
        "e": "[]",
    }
    one = '{"prompt": "a fox", "model": "uni-1", "image": {"ref": "\\u001b[31mred"}}'
    two = '{"prompt": "a fox", "model": "uni-2"}'
    assert differences([one, two]) == [
        [("model", "uni-1"), ("image.ref", "red")],
        [("model", "uni-2"), ("image.ref", "—")],
    ]
    assert differences([two, two]) == [[], []]
    first, second = "6a84cefd-7f3c-59a0-a8c3-2bd692caec6f", "4c8f8949-69ed-5f6d-8f73-2fdfc9e62346"
    ids = [json.dumps({"source": {"generation_id": n}}) for n in (first, second)]
    assert differences(ids) == [
        [("source.generation_id", "6a84cefd")],
        [("source.generation_id", "4c8f8949")],
    ]


def compare_screen(pilot: Pilot[Any]) -> CompareScreen:
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def test_two_marked_jobs_side_by_side_stepping_in_step(
    monkeypatch: pytest.MonkeyPatch, fixed_home: None
) -> None:
    app = COMPARED.build(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, *TWO)
        screen = compare_screen(pilot)
        assert screen.loaded
        assert [job.type for job in screen.jobs] == ["video", "image_edit"]
        video, image = screen.views
        assert video.output is not None and video.output.mime == "video/mp4"
        assert image.output is not None and image.output.mime == "image/png"
        assert abs(video.region.width - image.region.width) <= 1  # an equal share each
        assert video.frames == 60 and image.frames == 1
        paths = [path for path, _ in screen.fields[0]]
        assert {"type", "model", "prompt", "video.duration"} <= set(paths)
        assert paths == [path for path, _ in screen.fields[1]]
        assert ("type", "video") in screen.fields[0]
        assert ("video.duration", "—") in screen.fields[1]
        # Facts measured here are kept in the history (as the preview keeps its own).
        kept: list[tuple[str, int, str]] = []
        monkeypatch.setattr(
            JobStore,
            "record_media_facts",
            lambda _s, job_id, index, path, _m: kept.append((job_id, index, path)),
        )
        shown = image.output
        assert shown is not None and shown.local_path is not None
        image.post_message(MediaView.Measured(shown, measure(shown)))
        await settle(pilot)
        assert kept == [(shown.job_id, 0, shown.local_path)]
        tops = {block.region.y for block in screen.query(".compare-fields")}
        assert len(tops) == 1  # the fields start on one row: the pictures line up
        label = str(screen.label(0))
        assert screen.jobs[0].short_id in label and "model: ray-3.2" in label
        assert "step 1 of 60" in str(screen.query_one("#compare-title").render())

        await pilot.press("full_stop", "full_stop", "full_stop")
        await settle(pilot)
        assert screen.position == 3 and video.frame == 3 and image.frame == 0
        await pilot.press("comma")
        await settle(pilot)
        assert video.frame == 2 and "step 3 of 60" in str(
            screen.query_one("#compare-title").render()
        )
        await pilot.press("comma", "comma", "comma")
        assert screen.position == 0  # clamped at the start

        await pilot.press("space")
        assert screen.playing
        await pilot.press("space")
        assert not screen.playing

        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CompareScreen)
        assert app.screen is app.main_screen


async def test_three_marked_jobs_and_the_scaled_shares(
    monkeypatch: pytest.MonkeyPatch, fixed_home: None
) -> None:
    app = COMPARED.build(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, *THREE)
        screen = compare_screen(pilot)
        assert len(screen.views) == 3
        assert all(view.output is not None for view in screen.views)
        widths = {view.region.width for view in screen.views}
        assert max(widths) - min(widths) <= 1
        # The two edits differ from each other in their prompt and source, from the video more.
        prompts = [dict(fields)["prompt"] for fields in screen.fields]
        assert prompts[1] == "add a warm glow in the lighthouse window"
        assert prompts[2] == "make it a stormy night"
        assert (
            dict(screen.fields[2])["source.generation_id"]
            != dict(screen.fields[1])["source.generation_id"]
        )
        # 2 maximizes the second job; 2 again puts the three side by side.
        share = screen.views[1].region.width
        await pilot.press("2")
        await settle(pilot)
        assert [view.display for view in screen.query(".compare-column")] == [False, True, False]
        assert screen.views[1].region.width > 2 * share
        await pilot.press("2")
        await settle(pilot)
        assert all(column.display for column in screen.query(".compare-column"))
        assert screen.views[1].region.width == share
        # Stepping with a video and images: the images stay, the video moves.
        await pilot.press("full_stop")
        await settle(pilot)
        assert [view.frame for view in screen.views] == [1, 0, 0]


async def test_too_few_marks_say_so_and_four_are_compared(
    monkeypatch: pytest.MonkeyPatch, fixed_home: None
) -> None:
    app = COMPARED.build(monkeypatch)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        monkeypatch.setattr(app.main_screen, "notify", lambda text, **_: notes.append(text))
        await settle(pilot, "f3", "equals_sign")
        assert app.screen is app.main_screen
        assert "Mark 2 to 4 jobs" in notes[-1] and "0 marked" in notes[-1]
        await pilot.press("space", "equals_sign")
        await settle(pilot)
        assert app.screen is app.main_screen and "1 marked" in notes[-1]
        await pilot.press("space", "space", "space", "equals_sign")
        await settle(pilot)
        screen = compare_screen(pilot)
        assert len(screen.views) == 4 and all(view.output for view in screen.views)


async def test_equals_is_typed_text_in_the_composer(
    monkeypatch: pytest.MonkeyPatch, fixed_home: None
) -> None:
    app = COMPARED.build(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, "f3", "space", "space", "f2", "equals_sign")
        assert app.screen is app.main_screen
        assert "=" in app.main_screen.composer.prompt_editor.area.text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_comparison_snapshot(
    snap_compare: Callable[..., bool],
    fixed_home: None,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = COMPARED.build(monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=COMPARED.run_before(size))


async def test_the_palette_opens_the_comparison(
    monkeypatch: pytest.MonkeyPatch, fixed_home: None
) -> None:
    from lumatui.tui.commands import collect_actions

    app = COMPARED.build(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, "f3", "space", "space")
        entry = next(e for e in collect_actions(app.main_screen) if e.binding_id == "jobs.compare")
        assert entry.key == "=" and entry.run is not None
        result = entry.run()
        if result is not None:
            await result
        await settle(pilot)
        screen = compare_screen(pilot)
        assert len(screen.views) == 2 and screen.loaded


async def test_a_running_job_shows_its_output_once_downloaded(
    monkeypatch: pytest.MonkeyPatch, fixed_home: None
) -> None:
    app = STATES["jobs"].build(monkeypatch)  # completed, failed, processing, uncertain
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, "f3", "j", "space", "j", "j", "space", "equals_sign")
        screen = compare_screen(pilot)
        kinds = [str(job.state) for job in screen.jobs]
        assert kinds == ["processing", "completed"], kinds
        waiting, done = screen.views
        assert waiting.output is None and done.output is not None
        assert "has no output (processing)" in str(screen.query(".media-message").first().render())
        # Its output arrives (as the engine would record it): the column shows it.
        output = done.output
        job_id = screen.jobs[0].id

        def arrive(store: JobStore) -> None:
            store.record_outputs(
                job_id,
                [GenerationOutput(type="image", url="https://o.invalid/0.png")],
                now=FIXED_NOW,
            )
            assert output.local_path is not None and output.sha256 is not None
            store.record_download(
                job_id, 0, output.local_path, output.size_bytes or 1, output.sha256, now=FIXED_NOW
            )

        await app.main_screen.engine.db.write(arrive)
        screen.refresh_missing()
        await settle(pilot)
        assert waiting.output is not None and waiting.output.job_id == job_id
