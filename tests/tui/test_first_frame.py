"""Start-up: the first full frame comes before the engine's start and the list's estimates.

The workstation draws its first frame (the history's first page read by the screen itself)
and only then starts the engine; a job sent at once waits for this process's registration.
"""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

import pytest

from lumatui.engine.jobs import JobState
from lumatui.engine.service import Engine
from lumatui.tui.heap import pause_for_start_up, thaw
from lumatui.tui.screens.main import MainScreen
from tests.tui.conftest import the_only_job, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp


async def test_the_engine_starts_after_the_first_frame_and_a_job_sent_at_once_waits(
    make_app: Callable[..., LumaApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    drawn_at_start: list[bool] = []
    real_start = Engine.start

    async def start(engine: Engine) -> list[Job]:
        drawn_at_start.append(app.first_frame.drawn)
        return await real_start(engine)

    monkeypatch.setattr(Engine, "start", start)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"a heron at dawn", "ctrl+j")
        job = await the_only_job(pilot, app)
        assert job.prompt == "a heron at dawn"
        assert app.engine is not None
        store = app.engine.store
        assert job.owner == app.engine.owner or job.state is not JobState.WAITING
        owners = {row.owner for row in store.processes()}
        assert app.engine.owner in owners
    assert drawn_at_start == [True]


async def test_the_collector_rests_until_the_first_frame_and_collects_after_it(
    make_app: Callable[..., LumaApp],
) -> None:
    app = make_app()
    pause_for_start_up()  # as `lumatui` does before its imports
    try:
        assert not gc.isenabled()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.engine_started)
            assert gc.isenabled()
    finally:
        gc.enable()


def test_leaving_before_the_first_frame_turns_the_collector_back_on() -> None:
    pause_for_start_up()
    try:
        thaw()  # the app's way out, whether or not its first frame was drawn
        assert gc.isenabled()
    finally:
        gc.enable()


async def test_keys_typed_before_the_form_is_mounted_wait_and_land_in_the_prompt(
    make_app: Callable[..., LumaApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The composer's form is mounted after the first frame: keys typed before it exist
    wait, then go to the prompt in order (none to the job list, where `r` re-runs)."""
    app = make_app()
    form_may_mount = asyncio.Event()
    frame_drawn: list[bool] = []
    real_mount = MainScreen.mount_composer

    async def mount_when_allowed(screen: MainScreen) -> None:
        frame_drawn.append(True)
        await form_may_mount.wait()
        await real_mount(screen)

    monkeypatch.setattr(MainScreen, "mount_composer", mount_when_allowed)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: bool(frame_drawn))
        screen = app.main_screen
        with pytest.raises(LookupError):
            _ = screen.composer
        pressed = asyncio.ensure_future(pilot.press(*"red fox", "ctrl+j"))
        await wait_until(pilot, lambda: app.keys_pending > 0)
        assert app.keys_held_by == ["the workstation is starting"]
        form_may_mount.set()
        await pressed
        job = await the_only_job(pilot, app)
        assert job.prompt == "red fox"
        assert screen.composer.prompt_editor.area.text == "red fox"


async def test_a_backend_that_cannot_be_opened_after_the_first_frame_ends_the_app(
    settings: Settings, paths: AppPaths
) -> None:
    """The backend is opened after the first frame; when it cannot be, the app leaves and
    keeps the error for `lumatui` to say in one line (no crash report: not a bug)."""
    from lumatui.tui.app import LumaApp

    def refuse() -> Backend:
        raise PermissionError(13, "Permission denied", str(paths.simulator_dir))

    app = LumaApp(settings, paths, refuse, backend_label="SIMULATOR", image_renderer="halfcell")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.start_error is not None)
        assert "SIMULATOR" in str(app.main_screen.header.render())
    assert isinstance(app.start_error, PermissionError)
    assert app.engine is None and app.crash_report is None


@pytest.mark.parametrize("remembered", ["textual-light", "lumatui"])
async def test_the_remembered_theme_styles_the_first_frame_without_a_second_parse(
    paths: AppPaths, backend: Backend, remembered: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.color import Color
    from textual.css.stylesheet import Stylesheet

    from lumatui.config import load_settings, save_theme
    from lumatui.tui.app import LumaApp

    save_theme(paths, remembered)
    saved = paths.config_file.read_text()
    reparsed: list[str] = []
    real_reparse = Stylesheet.reparse

    def reparse(stylesheet: Stylesheet) -> None:
        reparsed.append(remembered)
        real_reparse(stylesheet)

    monkeypatch.setattr(Stylesheet, "reparse", reparse)
    settings = load_settings(paths, overrides={"poll_rate_limit": 500.0})
    app = LumaApp(settings, paths, backend, image_renderer="halfcell")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        assert reparsed == []  # every style sheet parsed once, with the theme's variables
        assert app.theme == remembered
        dark = app.current_theme.dark
        assert dark is (remembered == "lumatui")
        assert app.has_class(f"-theme-{remembered}")
        assert app.has_class("-dark-mode") is dark and app.has_class("-light-mode") is not dark
        background = Color.parse(app.get_css_variables()["background"])
        assert app.screen.styles.background == background
        assert paths.config_file.read_text() == saved  # the start does not write it again
