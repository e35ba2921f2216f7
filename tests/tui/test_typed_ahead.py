"""Keys typed before the app owned the terminal: the terminal's answers dropped, the keys
parsed as Textual parses them, and typed into the workstation before any other key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.events import Key

from lumatui.tui.typed_ahead import as_keys, without_answers
from tests.tui.conftest import the_only_job

if TYPE_CHECKING:
    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings


def test_the_terminals_answers_are_dropped_and_keys_kept() -> None:
    typed = "a fox\x1b[?1;2c at\x1b[6;20;10t dawn\x1b_Gi=31;OK\x1b\\\x1b[A\x1b[15~"
    assert without_answers(typed) == "a fox at dawn\x1b[A\x1b[15~"


def test_typed_text_becomes_the_keys_a_terminal_would_have_sent() -> None:
    keys = [(key.key, key.character) for key in as_keys("a b\x1b[A\r\n") if isinstance(key, Key)]
    assert keys == [
        ("a", "a"),
        ("space", " "),
        ("b", "b"),
        ("up", None),
        ("enter", "\r"),
        ("ctrl+j", "\n"),
    ]


async def test_keys_typed_ahead_go_first_and_wait_for_the_form(
    settings: Settings, paths: AppPaths, backend: Backend
) -> None:
    from lumatui.tui.app import LumaApp

    app = LumaApp(settings, paths, backend, image_renderer="halfcell", typed_ahead="a fox")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*" at dawn", "ctrl+j")  # typed once the app owned the terminal
        job = await the_only_job(pilot, app)
        assert job.prompt == "a fox at dawn"
