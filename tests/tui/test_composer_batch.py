"""The composer's batches: `{a|b}` alternatives times Runs, counted and priced in the bar;
ctrl+j above the threshold asks first, `n` sends nothing, `y` sends every job in one batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from lumatui.engine.queries import JobQuery
from lumatui.tui.screens.confirm import ConfirmScreen
from tests.tui.conftest import settle, wait_until

if TYPE_CHECKING:
    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp
    from lumatui.tui.screens.main import MainScreen


def app_with(settings: Settings, paths: AppPaths, backend: Backend, **changes: object) -> LumaApp:
    from lumatui.tui.app import LumaApp

    return LumaApp(settings.model_copy(update=changes), paths, backend, image_renderer="halfcell")


def stored(app: LumaApp) -> list[Job]:
    assert app.engine is not None
    return app.engine.store.page(JobQuery(), limit=100)


async def test_alternatives_and_runs_count_and_price_the_batch(
    settings: Settings, paths: AppPaths, backend: Backend
) -> None:
    app = app_with(settings, paths, backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen: MainScreen = app.screen  # type: ignore[assignment]
        view = screen.composer.view
        await pilot.press(*"a {red|blue} fox")
        assert "2 jobs, $0.0808" in view.bar.plain
        view.runs.input.focus()
        await pilot.press("end", "backspace", "2")
        assert view.runs.text == "2"
        assert "4 jobs, $0.1616" in view.bar.plain
        await pilot.press("backspace", *"65")
        assert "✗" in view.bar.plain  # 130 jobs: over the limit of 64, a problem, not sent
        await pilot.press("backspace", "backspace", "1")
        assert "2 jobs, $0.0808" in view.bar.plain
        await pilot.press("ctrl+j")  # below the $1 default: sent without asking
        await wait_until(pilot, lambda: len(stored(app)) == 2)
        assert not isinstance(app.screen, ConfirmScreen)
        assert {job.prompt for job in stored(app)} == {"a red fox", "a blue fox"}


async def test_a_batch_above_the_threshold_asks_first(
    settings: Settings, paths: AppPaths, backend: Backend
) -> None:
    app = app_with(settings, paths, backend, confirm_above_usd=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen: MainScreen = app.screen  # type: ignore[assignment]
        view = screen.composer.view
        await pilot.press(*"a {red|blue} fox")
        view.runs.input.focus()
        await pilot.press("end", "backspace", "2", "ctrl+j")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question", Static).render())
        assert "4 jobs (2 prompts x 2 runs), $0.1616" in question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and stored(app) == []

        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(stored(app)) == 4)
        jobs = stored(app)
        assert len({job.batch_id for job in jobs}) == 1 and jobs[0].batch_id is not None
        assert sorted(job.prompt for job in jobs) == ["a blue fox"] * 2 + ["a red fox"] * 2
        assert {job.batch_label for job in jobs} == {"a {red|blue} fox"}


async def test_an_unbalanced_brace_is_a_prompt_error_and_nothing_is_sent(
    settings: Settings, paths: AppPaths, backend: Backend
) -> None:
    app = app_with(settings, paths, backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen: MainScreen = app.screen  # type: ignore[assignment]
        composer = screen.composer
        await pilot.press(*"a {red|blue fox", "ctrl+j")
        await settle(pilot)
        assert composer.prompt_editor.problems is not None
        notes = [str(note) for note in composer.prompt_editor.problems.notes]
        assert any("never closed" in note for note in notes), notes
        assert stored(app) == []
        await pilot.press(*"} and a sign reading {OPEN}")  # no `|`: kept as written
        assert "2 jobs, $0.0808" in composer.view.bar.plain
        assert not composer.prompt_editor.problems.notes


async def test_one_job_of_unknown_price_asks_first_and_is_not_a_batch(
    settings: Settings, paths: AppPaths, backend: Backend
) -> None:
    app = app_with(settings, paths, backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen: MainScreen = app.screen  # type: ignore[assignment]
        screen.composer.load_body(
            {"type": "layering", "prompt": "split", "source": {"url": "https://e.test/a.png"}}
        )
        await settle(pilot)
        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question", Static).render())
        assert "this job" in question and "unknown" in question
        await pilot.press("n")
        await settle(pilot)
        assert stored(app) == []
        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(stored(app)) == 1)
        (job,) = stored(app)
        assert job.type == "layering" and job.batch_id is None
