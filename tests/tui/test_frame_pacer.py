"""A screen's frames: at most one per PERIOD, each as soon as that allows, never later."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

from lumatui.tui.frame_pacer import PERIOD, FramePacer, PacedFrames
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class Paced(PacedFrames, Screen[None]):
    def compose(self) -> Any:
        yield Input(id="field")


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Paced())


def pacer_of(screen: Screen[Any]) -> FramePacer:
    pacer = screen._update_timer
    assert isinstance(pacer, FramePacer)
    return pacer


async def test_the_screen_is_drawn_by_its_pacer_and_keys_show() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        pacer = pacer_of(screen)
        drawn = pacer._last_frame
        app.set_focus(screen.query_one(Input))
        await burst(pilot, text="paced")
        await pilot.pause()
        assert screen.query_one(Input).value == "paced"
        assert pacer._last_frame > drawn  # the keys' frames came from the pacer


@asynccontextmanager
async def paused_pacer() -> AsyncIterator[tuple[FramePacer, asyncio.AbstractEventLoop]]:
    """The pacer of a running screen, with no frame asked for."""
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        pacer = pacer_of(app.screen)
        pacer.pause()
        yield pacer, asyncio.get_running_loop()


async def test_a_frame_asked_for_right_after_one_waits_one_period_not_two() -> None:
    async with paused_pacer() as (pacer, loop):
        pacer._last_frame = loop.time()  # a frame began just now
        pacer.resume()
        assert pacer._due is not None
        # Textual's grid timer would skip to the grid point after the next (up to 2 periods).
        assert pacer._due.when() == pytest.approx(pacer._last_frame + PERIOD)
        pacer.resume()  # asked again: still the one frame
        assert pacer._due.when() == pytest.approx(pacer._last_frame + PERIOD)
        pacer.pause()
        assert pacer._due is None


async def test_a_frame_asked_for_after_a_quiet_spell_is_drawn_at_once() -> None:
    async with paused_pacer() as (pacer, loop):
        pacer._last_frame = loop.time() - 10 * PERIOD
        pacer.resume()
        after = loop.time()
        assert pacer._due is not None and pacer._due.when() <= after  # due now, not later


async def test_a_screen_gone_is_never_drawn_again() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        pacer = pacer_of(app.screen)
        app.pop_screen()
        await pilot.pause()
        pacer.resume()
        assert pacer._due is None  # stopped with its screen
