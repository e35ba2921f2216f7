"""Drafts: kept across quit and restart, per workstation, and a stash of the last 10."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.widgets import TextArea

from lumatui.tui.drafts import STASH_LIMIT, DraftStore
from lumatui.tui.screens.confirm import ConfirmScreen
from lumatui.tui.screens.stash_picker import StashPicker
from tests.tui.conftest import wait_until
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.tui.app import LumaApp


def store_for(folder: Path, pid: int, running: set[int], now: list[float]) -> DraftStore:
    """A workstation's view of the drafts folder: its pid, which pids run, a clock."""
    return DraftStore(folder, pid=pid, clock=lambda: now[0], alive=lambda p: p in running)


def test_the_last_workstation_to_quit_wins_and_the_others_are_stashed(tmp_path: Path) -> None:
    now = [1000.0]
    running = {1, 2}
    first, second = (store_for(tmp_path, pid, running, now) for pid in (1, 2))
    first.save_current({"prompt": "from the first"}, closed=False)
    second.save_current({"prompt": "from the second"}, closed=False)
    third = store_for(tmp_path, 3, running | {3}, now)
    assert third.take_left_over() is None  # both still run: neither draft is taken
    now[0] = 1010.0
    first.save_current({"prompt": "from the first, at quit"}, closed=True)
    running.discard(1)
    now[0] = 1020.0
    second.save_current({"prompt": "from the second, at quit"}, closed=True)
    running.discard(2)
    fourth = store_for(tmp_path, 4, running | {4}, now)
    assert fourth.take_left_over() == {"prompt": "from the second, at quit"}
    assert [d.body["prompt"] for d in fourth.stashed()] == ["from the first, at quit"]
    assert fourth.take_left_over() is None  # taken once


def test_a_crashed_workstation_s_autosave_is_taken(tmp_path: Path) -> None:
    now = [5.0]
    crashed = store_for(tmp_path, 7, {7}, now)
    crashed.save_current({"prompt": "typed before the crash"}, closed=False)
    later = store_for(tmp_path, 8, {8}, now)  # pid 7 is gone
    assert later.take_left_over() == {"prompt": "typed before the crash"}


def test_the_stash_keeps_the_last_ten_newest_first(tmp_path: Path) -> None:
    now = [0.0]
    store = store_for(tmp_path, 1, {1}, now)
    for n in range(STASH_LIMIT + 3):
        now[0] = float(n)
        store.stash({"prompt": f"draft {n}"})
    kept = store.stashed()
    assert [d.body["prompt"] for d in kept] == [f"draft {n}" for n in range(12, 2, -1)]
    assert store.take(kept[0]) == {"prompt": "draft 12"}
    assert store.take(kept[0]) is None  # already taken (by this or another workstation)
    (tmp_path / "stash-garbage.json").write_text("{not json", encoding="utf-8")
    assert len(store.stashed()) == STASH_LIMIT - 1


def test_an_empty_draft_leaves_no_file(tmp_path: Path) -> None:
    store = store_for(tmp_path, 1, {1}, [0.0])
    store.save_current({"prompt": "x"}, closed=True)
    assert store.current_file.exists()
    store.save_current(None, closed=True)
    assert not store.current_file.exists()
    assert json.loads(json.dumps(store.stashed())) == []


async def test_an_unsent_draft_survives_quit_and_restart(
    make_app: Callable[..., LumaApp],
) -> None:
    first = make_app()
    async with first.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: first.engine_started)
        await burst(pilot, *"half an idea")
    second = make_app()
    async with second.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: second.engine_started)
        prompt = second.main_screen.composer.query_one("#prompt-text", TextArea)
        assert prompt.text == "half an idea"
        toasts = [str(n.message) for n in second._notifications]
        assert "Your unsent draft from last time is back in the composer." in toasts
        # Still unsent: a chaining key asks before replacing it.
        await burst(pilot, *", more", "ctrl+j")
        await wait_until(pilot, lambda: second.main_screen.job_list.table.row_count == 1)
        assert prompt.text == "half an idea, more"
    third = make_app()
    async with third.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: third.engine_started)
        prompt = third.main_screen.composer.query_one("#prompt-text", TextArea)
        assert prompt.text == ""  # the draft was sent: nothing is left over


async def test_the_palette_s_stash_picker_restores_and_stashes_what_was_there(
    make_app: Callable[..., LumaApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen = app.main_screen
        screen.drafts.store.stash({"prompt": "stashed earlier", "type": "image"})
        await burst(pilot, *"typed now")
        screen.drafts.pick_from_stash()
        await wait_until(pilot, lambda: isinstance(app.screen, StashPicker))
        await burst(pilot, "enter")
        prompt = screen.composer.query_one("#prompt-text", TextArea)
        assert prompt.text == "stashed earlier"
        assert [d.body["prompt"] for d in screen.drafts.store.stashed()] == ["typed now"]
        # e over the restored (unsent) draft asks first; escape cancels.
        assert not isinstance(app.screen, ConfirmScreen)
