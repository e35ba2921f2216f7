"""`*` on the selected job stars it (a lasting mark), the list shows ★, `star:yes` filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.tui.commands import WorkstationCommands
from lumatui.tui.screens.help import HelpScreen
from tests.tui.conftest import seed_job, settle, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.tui.app import LumaApp
    from lumatui.tui.screens.main import MainScreen


async def test_star_key_marks_filters_and_unmarks(make_app: Callable[..., LumaApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        engine = app.engine
        assert engine is not None
        fox = seed_job(engine.store, 1, "a fox")
        owl = seed_job(engine.store, 2, "an owl")
        screen: MainScreen = app.screen  # type: ignore[assignment]
        jobs = screen.job_list
        jobs.reload()
        await wait_until(pilot, lambda: jobs.table.row_count == 2)
        # In the prompt `*` is a character typed, never a star.
        await pilot.press("f2", "asterisk")
        assert screen.composer.prompt_editor.area.text == "*"
        await pilot.press("f3")
        await settle(pilot)
        assert not any(job.starred for job in (engine.store.get(fox.id), engine.store.get(owl.id)))
        selected = screen.selected_job
        assert selected is not None and selected.id in (fox.id, owl.id)
        fox, owl = (fox, owl) if selected.id == fox.id else (owl, fox)

        await pilot.press("asterisk")
        await wait_until(pilot, lambda: engine.store.get(fox.id).starred)
        await wait_until(pilot, lambda: "★" in str(jobs.table.get_cell(fox.id, "prompt")))
        assert "★" not in str(jobs.table.get_cell(owl.id, "prompt"))
        assert not engine.store.get(owl.id).starred

        await pilot.press("slash", *"star:yes", "enter")
        await wait_until(pilot, lambda: list(jobs.table.keys_in_order()) == [fox.id])
        await pilot.press("escape")
        await wait_until(pilot, lambda: jobs.table.row_count == 2)

        # Typed fast twice, the mark goes and comes back: each toggle reads the stored mark.
        await settle(pilot)
        assert screen.selected_job_id == fox.id
        await pilot.press("asterisk", "asterisk", "asterisk")
        await settle(pilot)
        assert not engine.store.get(fox.id).starred
        await wait_until(pilot, lambda: "★" not in str(jobs.table.get_cell(fox.id, "prompt")))


async def test_star_key_is_in_help(make_app: Callable[..., LumaApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.plain_text().splitlines()
        assert any(row.startswith("* | Star | Star or unstar") for row in rows), rows
        await pilot.press("escape")
        screen = app.screen
        titles = [str(hit.text) async for hit in WorkstationCommands(screen).discover()]
        assert "Star (*)" in titles
