"""The workstation end to end on the sped-up simulator: submit, watch, fail, refuse, edit."""

from __future__ import annotations

import gc
import json
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from textual.widgets import Select, TextArea

from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.tui.commands import WorkstationCommands, own_bindings
from lumatui.tui.screens.confirm import ConfirmScreen
from lumatui.tui.screens.help import HelpScreen
from lumatui.tui.screens.keys import JOB_BINDINGS
from lumatui.tui.screens.stash_picker import StashPicker
from lumatui.tui.widgets.composer import Composer
from tests.tui.conftest import seed_job, wait_until
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    import pytest
    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp
    from lumatui.tui.screens.main import MainScreen
    from lumatui.tui.widgets.jobs.job_list import JobList


class Session:
    """A running app, its main screen and its pilot, with the messages it saw."""

    def __init__(self, app: LumaApp, pilot: Pilot[None]) -> None:
        self.app = app
        self.pilot = pilot

    @property
    def screen(self) -> MainScreen:
        return self.app.main_screen

    @property
    def jobs(self) -> JobList:
        return self.screen.job_list

    def stored(self) -> list[Job]:
        assert self.app.engine is not None
        return self.app.engine.store.page(self.jobs.job_query)

    async def until(self, condition: Callable[[], bool]) -> None:
        await wait_until(self.pilot, condition)

    async def until_state(self, job_id: str, *states: JobState) -> Job:
        assert self.app.engine is not None
        store = self.app.engine.store
        await self.until(lambda: store.get(job_id).state in states)
        await self.pilot.pause()
        return store.get(job_id)

    async def type_prompt(self, text: str) -> None:
        self.screen.composer.query_one("#prompt-text", TextArea).focus()
        await self.pilot.pause()
        await burst(self.pilot, *text)

    def cell(self, job_id: str, column: str) -> str:
        """A job list cell as text, without the column gap."""
        return str(self.jobs.table.get_cell(job_id, column)).strip()

    def toasts(self) -> list[str]:
        return [str(n.message) for n in self.app._notifications]


@asynccontextmanager
async def running(
    make_app: Callable[..., LumaApp], size: tuple[int, int] = (120, 40)
) -> AsyncIterator[Session]:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await pilot.pause()
        yield Session(app, pilot)


async def test_submit_watch_and_iterate(
    make_app: Callable[..., LumaApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main loop in one session: submit, watch it complete in place, edit it, re-run it,
    branch from it, copy it; the theme is remembered."""
    async with running(make_app) as s:
        focused = s.app.focused
        assert focused is not None and focused.id == "prompt-text"
        header = str(s.screen.header.render())
        assert "SIMULATOR" in header and "0 running" in header

        # Submit from the composer: one row, updated in place until completed.
        reloads: list[int] = []
        monkeypatch.setattr(s.jobs, "reload", lambda: reloads.append(1))
        await s.type_prompt("a red fox in snow")
        await s.pilot.press("ctrl+j")
        await s.until(lambda: s.jobs.table.row_count == 1)
        (parent_id,) = s.jobs.table.keys_in_order()
        parent = await s.until_state(parent_id, JobState.COMPLETED)
        await s.until(lambda: "completed" in str(s.jobs.table.get_cell(parent_id, "state")))
        assert list(s.jobs.table.keys_in_order()) == [parent_id]
        assert reloads == []
        assert s.cell(parent_id, "id") == parent.short_id
        assert s.cell(parent_id, "prompt") == "a red fox in snow"
        assert s.screen.selected_job_id == parent_id
        assert "$0.0404 this session" in str(s.screen.header.render())
        await s.until(lambda: any("completed" in t for t in s.toasts()))
        prompt = s.screen.composer.query_one("#prompt-text", TextArea)
        assert prompt.text == "a red fox in snow"  # kept for the next variation

        # The edit loop: e, the new prompt, ctrl+j.
        await s.pilot.press("f3", "e")
        await s.pilot.pause()
        assert str(s.screen.composer.query_one("#type", Select).value) == "image_edit"
        focused = s.app.focused
        assert focused is not None and focused.id == "prompt-text"
        await burst(s.pilot, *"make it blue", "ctrl+j")
        await s.until(lambda: s.jobs.table.row_count == 2)
        child_id = next(iter(s.jobs.table.keys_in_order()))
        child = await s.until_state(child_id, JobState.COMPLETED)
        body = json.loads(child.request_json)
        assert body["type"] == "image_edit"
        assert body["prompt"] == "make it blue"
        assert body["source"]["generation_id"] == parent.generation_id
        assert s.screen.selected_job_id == child_id
        await s.until(lambda: {child_id, parent_id} <= s.screen.lineage.shown_job_ids)
        assert reloads == []

        # Copy the id and the curl command: the toast says where they went.
        await s.pilot.press("f3", "y")
        await s.until(lambda: any(t.startswith("Id: ") for t in s.toasts()))
        await s.pilot.press("c")
        await s.until(lambda: any(t.startswith("Curl command: ") for t in s.toasts()))

        # Re-run asks first, with the price; n cancels, y sends the same request.
        await s.pilot.press("r")
        await s.until(lambda: isinstance(s.app.screen, ConfirmScreen))
        assert isinstance(s.app.screen, ConfirmScreen)
        assert "$0.0434" in s.app.screen.question  # an edit: one input image
        await s.pilot.press("n")
        assert s.jobs.table.row_count == 2
        await s.pilot.press("r")
        await s.until(lambda: isinstance(s.app.screen, ConfirmScreen))
        await s.pilot.press("y")
        await s.until(lambda: s.jobs.table.row_count == 3)
        rerun_id = next(iter(s.jobs.table.keys_in_order()))
        assert s.app.engine is not None
        assert s.app.engine.store.get(rerun_id).request_json == child.request_json

        # Branch with a draft in the composer: stash it, then restore it from the palette.
        prompt.load_text("my draft")
        await s.pilot.press("f3", "b")
        await s.until(lambda: isinstance(s.app.screen, ConfirmScreen))
        await s.pilot.press("s")
        await s.until(lambda: prompt.text == "make it blue")
        s.screen.drafts.pick_from_stash()  # the palette's "Restore a stashed draft"
        await s.until(lambda: isinstance(s.app.screen, StashPicker))
        await s.pilot.press("enter")
        await s.until(lambda: prompt.text == "my draft")
        await s.pilot.press("f3", "b")
        await s.until(lambda: isinstance(s.app.screen, ConfirmScreen))
        await s.pilot.press("n")
        await s.pilot.pause()
        assert prompt.text == "my draft"

        # The chosen theme is remembered in config.toml.
        assert s.app.theme == "lumatui"
        s.app.theme = "textual-light"
        await s.pilot.pause()
        assert 'theme = "textual-light"' in s.app.paths.config_file.read_text()


async def test_failures_refusals_filters_and_pause(
    make_app: Callable[..., LumaApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed job, a server refusal on its field, filtering and hiding, pausing polling."""
    async with running(make_app) as s:
        assert s.app.engine is not None
        engine = s.app.engine

        # A moderated prompt fails: failure code in its row, and a toast.
        await s.type_prompt("[moderate] a cat")
        await s.pilot.press("ctrl+j")
        await s.until(lambda: s.jobs.table.row_count == 1)
        (failed_id,) = s.jobs.table.keys_in_order()
        await s.until_state(failed_id, JobState.FAILED)
        failed = s.app.engine.store.get(failed_id)
        assert failed is not None and failed.failure_code == "content_moderated"
        assert s.cell(failed_id, "prompt") == "[moderate] a cat"
        await s.until(lambda: any("failed: content_moderated" in t for t in s.toasts()))

        # The server refuses 21:9 for uni-1; the error lands on the composer's field.
        shown: list[Any] = []
        composer = s.screen.composer
        original = composer.show_server_errors

        def spy(errors: list[Any]) -> None:
            shown.append(errors)
            original(errors)

        monkeypatch.setattr(composer, "show_server_errors", spy)
        request = GenerationRequest.model_validate(
            {"prompt": "wide fox", "model": "uni-1", "aspect_ratio": "21:9"}
        )
        composer.post_message(Composer.SubmitRequested(request))
        await s.until(lambda: bool(shown))
        assert any(error.path == "aspect_ratio" for error in shown[0])
        refused_id = next(iter(s.jobs.table.keys_in_order()))
        await s.until(lambda: "rejected" in str(s.jobs.table.get_cell(refused_id, "state")))
        assert any("refused by the API" in t for t in s.toasts())
        assert "$0.0404 this session" in str(s.screen.header.render())  # only the failed one

        # Filter by state from the keyboard, then hide finished jobs.
        good = await engine.submit(GenerationRequest.model_validate({"prompt": "an owl"}))
        await engine.wait_for([good.id], timeout=30)
        await s.until(lambda: s.jobs.table.row_count == 3)
        await s.pilot.press("f3", "slash", *"state:failed", "enter")
        await s.until(lambda: list(s.jobs.table.keys_in_order()) == [failed_id])
        await s.pilot.press("escape", "h")
        await s.until(lambda: s.jobs.table.row_count == 0)
        assert "finished hidden" in str(s.jobs.border_subtitle)
        await s.pilot.press("h")
        assert s.jobs.table.row_count == 3

        # p pauses polling (in the list; in the prompt it is just a letter).
        await s.pilot.press("f2", "p")
        assert not engine.poller.paused
        await s.pilot.press("f3", "p")
        assert engine.poller.paused
        await s.until(lambda: "polling paused" in str(s.screen.header.render()))
        await s.pilot.press("p")
        assert not engine.poller.paused
        await s.until(lambda: "polling paused" not in str(s.screen.header.render()))


async def test_every_pane_is_one_key_away_at_80x24(make_app: Callable[..., LumaApp]) -> None:
    async with running(make_app, size=(80, 24)) as s:
        # The start-up's objects are kept out of the collector's full passes (tui/heap.py).
        assert gc.get_freeze_count() > 0
        screen = s.screen
        assert screen.stacked
        for key, pane in (("f3", "jobs"), ("f4", "lineage"), ("f5", "preview"), ("f2", "composer")):
            await s.pilot.press(key)
            await s.pilot.pause()
            assert screen.active_pane == pane
            widget = screen.pane(pane)
            assert widget.display
            assert widget.region.width == 80 and widget.region.bottom <= 23
            focused = s.app.focused
            assert focused is not None
            assert focused is widget or widget in focused.ancestors
            others = [p for p in ("composer", "jobs", "lineage", "preview") if p != pane]
            assert not any(screen.pane(o).region.area for o in others)
        await s.pilot.press("alt+2")
        await s.pilot.pause()
        assert screen.active_pane == "jobs"
        await s.pilot.press("ctrl+down")
        await s.pilot.pause()
        assert screen.active_pane == "lineage"
        header = str(screen.header.render())
        assert "SIMULATOR" in header
    assert gc.get_freeze_count() == 0  # handed back to the collector when the app ended


async def test_all_four_panes_side_by_side_at_160x45(make_app: Callable[..., LumaApp]) -> None:
    async with running(make_app, size=(160, 45)) as s:
        screen = s.screen
        assert not screen.stacked
        regions = [screen.pane(p).region for p in ("composer", "jobs", "lineage", "preview")]
        assert all(r.width >= 30 and r.height >= 10 for r in regions)
        for n, first in enumerate(regions):
            for second in regions[n + 1 :]:
                assert not first.overlaps(second)
        await s.pilot.press("f4")
        await s.pilot.pause()
        focused = s.app.focused
        assert focused is not None and focused is screen.lineage


async def test_help_and_palette_list_every_action(make_app: Callable[..., LumaApp]) -> None:
    """F1 lists every key of every lumatui widget; the palette runs each of them."""
    async with running(make_app) as s:
        screen = s.screen
        declared = {
            (s.app.get_key_display(binding), binding.description)
            for node in (s.app, screen, *screen.walk_children())
            for _, binding in own_bindings(node)
        }
        assert {"Edit", "Animate", "Extend", "Reframe", "Re-run", "Branch"} <= {
            description for _, description in declared
        }
        await s.pilot.press("f1")
        await s.until(lambda: isinstance(s.app.screen, HelpScreen))
        assert isinstance(s.app.screen, HelpScreen)
        rows = s.app.screen.plain_text().splitlines()
        for key, description in declared:
            assert any(
                key in row.split(" | ")[0].split(" / ") and f" | {description}" in row
                for row in rows
            ), (key, description)
        # Every row says what it does; keys without a binding of ours are there too.
        for row in rows:
            cells = row.split(" | ")
            if cells[0]:  # not a group heading
                assert cells[1] and (cells[2] or cells[1] in {"Quit"}), row
        assert any(row.startswith("up / down | Prompt history") for row in rows)
        assert any(row.startswith("j | Down") for row in rows)
        assert any(row.startswith("f1 / ? | Help") for row in rows)
        assert any("Restore a stashed draft" in row for row in rows)
        await s.pilot.press("escape")
        await s.until(lambda: s.app.screen is screen)

        provider = WorkstationCommands(screen)
        titles = [str(hit.text) async for hit in provider.discover()]
        for _, _, label, _ in JOB_BINDINGS:
            assert any(title.startswith(f"{label} (") for title in titles), label
        for label in ("Filter", "Hide done", "Pause polling", "Submit", "Restore a stashed draft"):
            assert any(title.startswith(label) for title in titles), label
        # One entry per action with all its keys; theme and quit, none of Textual's own.
        assert [t for t in titles if t.startswith("Help")] == ["Help (f1 / ?)"]
        assert "Quit (^q)" in titles and "Change theme" in titles
        assert not any(t.startswith(("Keys", "Screenshot", "Save screenshot")) for t in titles)
        assert len(titles) == len(set(titles))

        # With a job selected, the actions on it name it.
        assert s.app.engine is not None
        job = seed_job(s.app.engine.store, 1, "a fox")
        screen.selected_job_id, screen.selected = job.id, job
        titles = [str(hit.text) async for hit in WorkstationCommands(screen).discover()]
        assert f"Edit {job.short_id} (e)" in titles and f"Re-run {job.short_id} (r)" in titles
        assert "Pause polling (p)" in titles  # not an action on a job
        screen.selected_job_id = None

        # The palette acts wherever focus is (here: the composer's prompt).
        await s.pilot.press("ctrl+p")
        await s.pilot.pause()
        await burst(s.pilot, *"hide done", "enter")
        await s.until(lambda: s.jobs.job_query.hide_finished)
