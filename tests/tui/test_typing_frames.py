"""While keys come, what changed by itself (a tick, a poll) is drawn after a key's frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from textual.geometry import Region
from textual.widgets import Input, Static

from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from lumatui.tui.key_order import OrderedKeysApp
from lumatui.tui.typing_frames import PER_KEY, TYPING_S, TypingFrames
from tests.tui.conftest import seed_job
from tests.tui.keyboard import burst
from tests.tui.list_host import listing

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "jobs.db") as opened:
        yield opened


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_tick_while_keys_come_is_drawn_after_the_next_key(store: JobStore) -> None:
    running = seed_job(store, 1, "slow", state=JobState.PROCESSING)
    async with listing(store) as (app, job_list, _pilot):
        clock = Clock()
        frames = TypingFrames(app, clock)
        app.typing_frames = frames  # type: ignore[attr-defined]  # as an OrderedKeysApp has
        table = job_list.table
        line = table.header_height + table.get_row_index(running.id)

        def drawn() -> str:
            return table.render_lines(Region(0, line, table.size.width, 1))[0].text

        def elapsed() -> str:
            return str(table.get_cell(running.id, "elapsed")).strip()

        assert running.submitted_at is not None
        frames.key_handed()  # someone types
        app.now = running.submitted_at + 12
        job_list.tick()
        assert elapsed() == "12s"  # the data is new at once
        assert frames.held == 1 and "12s" not in drawn()  # its drawing waits
        frames.key_handed()  # the next key: still held while it is handled
        assert frames.held == 1 and "12s" not in drawn()
        assert frames.key_drawn()  # its frame is out: drawn now
        assert frames.held == 0 and "12s" in drawn()

        clock.now += TYPING_S  # nobody types any more: drawn at once
        app.now += 5
        job_list.tick()
        assert frames.held == 0 and "17s" in drawn()


async def test_a_newer_repaint_of_the_same_thing_replaces_the_held_one() -> None:
    app = OrderedKeysApp()
    async with app.run_test():
        frames = TypingFrames(app, Clock())
        painted: list[str] = []
        frames.repaint("row", lambda: painted.append("at once"))  # nobody typed yet
        frames.key_handed()
        frames.repaint("row", lambda: painted.append("older"))
        frames.repaint("row", lambda: painted.append("newer"))
        frames.repaint("note", lambda: painted.append("note"))
        assert frames.held == 2 and painted == ["at once"]
        assert frames.flush()  # what the deadline does when no key comes
        assert painted == ["at once", "newer", "note"]
        assert not frames.flush() and not frames.key_drawn()


async def test_each_key_frame_lets_the_oldest_few_held_repaints_out() -> None:
    app = OrderedKeysApp()
    async with app.run_test():
        frames = TypingFrames(app, Clock())
        frames.key_handed()
        painted: list[int] = []
        for n in range(PER_KEY + 2):
            frames.repaint(n, lambda n=n: painted.append(n))  # type: ignore[misc]
        frames.repaint(0, lambda: painted.append(0))  # newer, but held as long as the first
        assert frames.key_drawn()
        assert painted == list(range(PER_KEY)) and frames.held == 2
        assert frames.key_drawn()
        assert painted == list(range(PER_KEY + 2)) and frames.held == 0


class Typing(OrderedKeysApp):
    def compose(self) -> Any:
        yield Input(id="field")
        yield Static("old news", id="news")


async def test_held_news_goes_out_after_the_next_key_is_drawn() -> None:
    app = Typing()
    async with app.run_test() as pilot:
        frames = TypingFrames(app, Clock())  # the clock stands still: typing, once a key came
        app.typing_frames = frames
        field = app.query_one(Input)
        app.set_focus(field)
        await burst(pilot, "a")
        news = app.query_one("#news", Static)
        typed_when_painted: list[str] = []

        def paint() -> None:
            typed_when_painted.append(field.value)
            news.update("new news")

        frames.repaint(news, paint)
        assert frames.held == 1 and str(news.render()) == "old news"
        await burst(pilot, *"bc")
        assert frames.held == 0 and str(news.render()) == "new news"
        assert field.value == "abc"
        assert typed_when_painted[0].startswith("ab")  # after a key of its own, not before
