"""The lumatui Textual app: opens the engine, shows the workstation, closes everything after.

The app is given its settings, its paths and a backend (or a function that opens one).
On mount it opens the store and shows the main screen over it; once that screen's first
frame is drawn it opens the backend and the engine, mounts the composer's form and starts
the engine (`engine_started` then turns true; crash-recovered uncertain jobs are
announced), keys waiting until the form is there; on exit it stops the engine and closes
the backend and the store. Run from the command line, SIGHUP and SIGTERM exit it the same
way, and an unexpected exception leaves a crash report (see `lumatui.tui.crash`).
Everything else lives in the screens and widgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content

from lumatui.resources import stylesheets
from lumatui.tui.commands import WorkstationCommands
from lumatui.tui.crash import (
    last_crash_notice,
    secrets_of,
    take_unseen_report,
    write_crash_report,
)
from lumatui.tui.first_frame import FirstFrame
from lumatui.tui.heap import freeze_start_up, start_up_over, thaw
from lumatui.tui.key_order import OrderedKeysApp
from lumatui.tui.screens.keys import PANES
from lumatui.tui.screens.panes import key_scope
from lumatui.tui.theme import HOUSE_THEME_NAME, register_house_theme, start_with_theme
from lumatui.tui.typed_ahead import as_keys

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path, PurePath

    from textual.command import Provider
    from textual.dom import DOMNode
    from textual.notifications import SeverityLevel

    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.service import Engine
    from lumatui.engine.thumbnails import ThumbnailCache
    from lumatui.tui.screens.main import MainScreen


log = logging.getLogger("lumatui.tui")

_STYLESHEETS: list[str | PurePath] = [str(path) for path in stylesheets()]


class LumaApp(OrderedKeysApp):
    """The workstation app: one main screen over one engine."""

    TITLE = "lumatui"
    CSS_PATH = _STYLESHEETS
    # This app's actions (with theme and quit), not Textual's Keys, Screenshot, ...
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {WorkstationCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit", tooltip="Leave lumatui"),
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key and action"),
        Binding("question_mark", "help", "Help", show=False, id="app.help_question"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Palette",
            show=False,
            id="app.palette",
            tooltip="Every action, on the selected job",
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        paths: AppPaths,
        backend: Backend | Callable[[], Backend],
        *,
        backend_label: str | None = None,
        clock: Callable[[], float] = time.time,
        image_renderer: str | None = None,
        typed_ahead: str = "",
    ) -> None:
        super().__init__()
        # Keys wait until the composer's form is mounted (after the first frame); the keys
        # typed before the app owned the terminal (`tui.typed_ahead`) go first.
        self._starting = self.hold_keys("the workstation is starting")
        if typed_ahead:
            self._held.extend(as_keys(typed_ahead))
        self.settings = settings
        self.paths = paths
        self._backend_source = backend
        self._backend_label = backend_label
        """What the header calls the backend before it is opened (a function's)."""
        self._history: tuple[AsyncJobStore, ThumbnailCache] | None = None
        self.start_error: Exception | None = None
        """Why the backend or the engine could not be opened, if so (the app has left)."""
        self.clock = clock
        self.image_renderer = image_renderer
        self.backend: Backend | None = None
        self.engine: Engine | None = None
        register_house_theme(self)
        start_with_theme(self, self._initial_theme())
        self.engine_started = False
        """True once the engine runs (tests wait for it)."""
        self._engine_start: asyncio.Task[None] | None = None
        self.first_frame = FirstFrame()
        """Work waiting for the first full frame and the composer's form after it."""
        self.exit_signal: int | None = None
        """The signal that ended the app, if one did (see `lumatui.tui.crash.ExitGuard`)."""
        self.crash_report: Path | None = None
        """The report written after an unexpected exception, if one was."""
        self.crash_error: BaseException | None = None

    async def on_mount(self) -> None:
        """The main screen over the history; the rest once its first frame is out."""
        from lumatui.backend import open_history
        from lumatui.tui.screens.main import MainScreen

        self.paths.ensure_dirs()
        self._history = db, thumbnails = open_history(self.paths)
        source = self._backend_source
        label = getattr(source, "label", None) or self._backend_label or ""
        screen = MainScreen(
            db,
            self.settings,
            self.paths,
            backend_label=label,
            thumbnails=thumbnails,  # the engine's too: one cache per process
            clock=self.clock,
            image_renderer=self.image_renderer,
        )
        await self.push_screen(screen)
        # The first full frame: the screen painted with the job list's first page (read off
        # the event loop) and nothing left dirty. Then the backend and the engine are
        # opened (the API client, the simulator), the composer's form is mounted (keys
        # typed meanwhile wait), what waited for the first frame runs (the list's
        # estimates), and the engine starts (registration, adoption, polling: its
        # schedules take a CPU-bound moment to plan). Tests wait for `engine_started`.
        screen.job_list.after_first_page(lambda: screen.call_after_refresh(self._finish_start_soon))

    def _finish_start_soon(self) -> None:
        # A task of the app's own, not a worker: leaving must wait for a start under way
        # (its store writes run in a thread) before the store is closed, never cancel it.
        self._engine_start = asyncio.create_task(self._finish_start(), name="lumatui-start")

    async def _finish_start(self) -> None:
        """After the first frame: the backend and the engine, the composer's form, what
        waited for that frame, the engine's start; say which jobs a crash left uncertain
        and where its report is."""
        try:
            engine = self._open_engine()
        except Exception as error:  # a simulator that cannot start, a refused key, ...
            self.start_error = error  # `lumatui` says why after the terminal is restored
            start_up_over()
            self.exit(return_code=1)
            return
        try:
            try:
                await self.main_screen.attach_engine(engine, self.backend_base_url)
            finally:
                self._starting.release()  # the keys typed meanwhile go on, in order
                start_up_over()  # the collector rested until now
            self.first_frame.drawn_now()
            uncertain = await engine.start()
        except Exception as error:  # as if it had failed in on_mount: a crash report
            self._handle_exception(error)
            return
        self.engine_started = True
        freeze_start_up()  # the start-up's objects are out of the collector's full passes
        if uncertain:
            ids = ", ".join(job.short_id for job in uncertain[:5])
            self.notify(
                f"{len(uncertain)} job(s) were being sent when lumatui stopped ({ids}). They "
                "may exist at the API, so they are marked uncertain and were not re-sent.",
                severity="warning",
                timeout=15,
                markup=False,
            )
        self._announce_last_crash()

    def _open_engine(self) -> Engine:
        """Open the backend (a function's, now) and the engine over the shown history."""
        from lumatui.backend import open_engine

        source = self._backend_source
        self.backend = backend = source() if callable(source) else source
        self.engine = engine = open_engine(
            backend, self.paths, self.settings, history=self._history
        )
        engine.ownership.start_soon()  # jobs recorded meanwhile wait for the registration
        return engine

    @property
    def backend_base_url(self) -> str:
        """The API's base URL (once the backend is open)."""
        return self.backend.client.base_url if self.backend is not None else ""

    def _announce_last_crash(self) -> None:
        """Say once where the report of the last crash is."""
        report = take_unseen_report(self.paths.crash_dir)
        if report is not None:
            self.notify(last_crash_notice(report), severity="warning", timeout=20, markup=False)

    def emergency_close(self) -> None:
        """Close the store (a WAL checkpoint) from any thread when a signal's exit is stuck."""
        if self._history is not None:
            self._history[0].sync.close()

    async def on_unmount(self) -> None:
        """Stop the engine, close the backend and the store (a WAL checkpoint)."""
        thaw()
        if self._engine_start is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(self._engine_start)  # a start under way ends first
        if self.engine is not None:
            with contextlib.suppress(Exception):
                await self.engine.stop()
        if self.backend is not None:
            with contextlib.suppress(Exception):
                await self.backend.aclose()
        if self._history is not None:
            with contextlib.suppress(Exception):
                self._history[0].close()  # the engine's store (a WAL checkpoint)

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected exception: write the crash report, then let Textual end the app.

        Textual would print a traceback with local variables once the terminal is restored;
        locals can hold a secret, so the redacted report replaces it (the command line
        prints the report's path). Once a signal's exit tears the screen down (SIGHUP while
        the workstation starts), what still runs finds widgets gone or never mounted: that
        is the exit, not a crash; it goes on, and the log keeps the error.
        """
        if self.exit_signal is not None:
            log.warning("while leaving after signal %d", self.exit_signal, exc_info=error)
            return
        if self.crash_report is None and self.crash_error is None:
            self.crash_error = error
            try:
                self.crash_report = write_crash_report(
                    self.paths.crash_dir,
                    error,
                    secrets=secrets_of(self.settings),
                    details={
                        "backend": self.backend.label if self.backend else "not open",
                        "log file": str(self.paths.log_file),
                    },
                )
            except Exception:  # a report that cannot be written must not hide the crash
                self.crash_report = None
        super()._handle_exception(error)
        if self.crash_report is not None:
            self._exit_renderables.clear()

    def settle_nodes(self) -> Iterable[DOMNode]:
        """Keys wait for the composer, the focused pane and dialogs, not for live updates."""
        try:
            main = self.main_screen
        except LookupError:
            return super().settle_nodes()
        return key_scope(self.screen, {name: main.pane(name) for name in PANES})

    @property
    def main_screen(self) -> MainScreen:
        """The workstation screen (the first one pushed)."""
        from lumatui.tui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not shown yet")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notice through the main screen's `Notices` (one per message, placed out of the
        way); Textual's own toast before that screen exists or from another thread."""
        screen = self._notices_screen()
        if screen is None or title or threading.current_thread() is not threading.main_thread():
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
            return
        text = Content.from_markup(message).plain if markup else message
        screen.notices.post(f"say:{severity}:{text}", text, severity=severity)

    def _notices_screen(self) -> MainScreen | None:
        with contextlib.suppress(LookupError):
            screen = self.main_screen
            if hasattr(screen, "notices"):
                return screen
        return None

    async def action_quit(self) -> None:
        """Leave; jobs still running at the API go on, and the exit says so."""
        screen = self._notices_screen()
        if screen is None:
            self.exit()
            return
        self.exit(
            message=quit_message(screen.header.running, screen.header.waiting, screen.header.role)
        )

    def action_help(self) -> None:
        """Show every key and action (or close the list when it is shown)."""
        from lumatui.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen(self.main_screen))

    def _initial_theme(self) -> str:
        wanted = self.settings.theme
        if wanted and wanted in self.available_themes:
            return wanted
        return HOUSE_THEME_NAME

    def watch_theme(self, theme: str) -> None:
        """Remember the person's choice of theme, and redraw colours drawn into cells."""
        from lumatui.config import ConfigError, save_theme

        try:
            save_theme(self.paths, theme)
        except (ConfigError, OSError) as exc:
            self.notify(f"Could not remember the theme: {exc}", severity="warning", markup=False)
        with contextlib.suppress(LookupError):
            self.main_screen.restyle()


def quit_message(running: int, waiting: int, role: str) -> str | None:
    """What leaving means for the jobs not finished (None when there are none)."""
    parts = []
    if running:
        who = (
            f"the primary workstation ({role.split('primary: ', 1)[-1]}) finishes them"
            if role.startswith("viewer")
            else "lumatui finishes them (fetches their outputs) on its next start"
        )
        jobs = "1 job is" if running == 1 else f"{running} jobs are"
        parts.append(f"{jobs} still running at the API: they go on, and {who}.")
    if waiting:
        jobs = "1 job waits" if waiting == 1 else f"{waiting} jobs wait"
        parts.append(f"{jobs} in the local queue, unsent: sent on the next start.")
    return " ".join(parts) or None
