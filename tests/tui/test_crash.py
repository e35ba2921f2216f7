"""An unexpected exception: a redacted crash report, a flushed store, the path shown next start.

Also the clean exit a SIGHUP or SIGTERM handler asks for, run inside the app, and `lumatui`
without a terminal. The real signals, on a real process under a pseudo-terminal, are in
`test_crash_signals.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
import stat
import threading
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.backend import Backend
from lumatui.cli import main
from lumatui.tui.crash import (
    ExitGuard,
    crashed_message,
    take_unseen_report,
    unseen_reports,
    write_crash_report,
)
from tests.tui.conftest import wait_until
from tests.tui.screen_states import SilentClient

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.config import AppPaths, Settings
    from lumatui.tui.app import LumaApp

FAKE_KEY = "sk-fake-7f3a9c2e51b84d06"  # matches no token pattern: only the key list redacts it
NOTICE = "lumatui crashed last time; the report is at "

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def fake_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key in the environment, as a person who has one runs lumatui."""
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", FAKE_KEY)
    return FAKE_KEY


@pytest.fixture
def quiet_app(settings: Settings, paths: AppPaths) -> Callable[[], LumaApp]:
    """Apps over the test's data folder whose client never answers (no simulator needed)."""
    from lumatui.tui.app import LumaApp

    def build() -> LumaApp:
        client = SilentClient(FAKE_KEY, "http://127.0.0.1:9/v1")
        backend = Backend(client, "SIMULATOR", None, 1.0)
        return LumaApp(settings, paths, backend, image_renderer="halfcell")

    return build


def boom(*_: object) -> None:
    """A bug, with secrets in its message as a careless one would have."""
    raise RuntimeError(
        f"boom: key={FAKE_KEY} Authorization: Bearer abc.DEF-123 and luma-api-0123456789"
    )


def notices(app: Any) -> list[str]:
    """The text of every toast the app showed."""
    return [str(note.message) for note in app._notifications]


async def test_an_exception_writes_a_redacted_report_flushes_and_is_shown_once(
    fake_key: str,
    quiet_app: Callable[[], LumaApp],
    paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lumatui.tui.app import LumaApp

    app = quiet_app()
    monkeypatch.setattr(LumaApp, "action_help", boom)
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.engine_started)
            job = await app.main_screen.submit(_request())
            await pilot.press("f1")  # the bug runs inside the app's message loop
            await pilot.pause()
    monkeypatch.undo()

    report = app.crash_report
    assert report is not None and report.parent == paths.crash_dir
    assert re.fullmatch(r"crash-\d{8}T\d{6}Z\.txt", report.name)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert "in boom" in text  # the frame that raised
    assert re.search(r"textual: \d+\.\d+", text) and re.search(r"python: 3\.\d+", text)
    assert "lumatui: " in text and "term: " in text and "image protocol: " in text
    for secret in (fake_key, "abc.DEF-123", "luma-api-0123456789"):
        assert secret not in text
    assert "[redacted]" in text

    # The store was flushed and closed on the way out: the job is there, the WAL folded in.
    assert not paths.database.with_name(paths.database.name + "-wal").exists()
    with contextlib.closing(sqlite3.connect(paths.database)) as db, db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM jobs WHERE id = ?", (job.id,)).fetchone() == (1,)

    # The next start says where the report is, once (later starts ask the same function).
    again = quiet_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: again.engine_started)
        await pilot.pause()
        said = [n for n in notices(again) if n.startswith(NOTICE)]
        assert said == [NOTICE + str(report)]
    assert take_unseen_report(paths.crash_dir) is None
    assert report.exists()  # the report stays; only a marker says it was shown


def _request() -> Any:
    from lumatui.api.schema import GenerationRequest

    return GenerationRequest(prompt="a lighthouse at dusk", type="image")


async def test_the_signal_handler_exits_cleanly_and_stops_the_engine(
    quiet_app: Callable[[], LumaApp], paths: AppPaths
) -> None:
    app = quiet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        engine = app.engine
        assert engine is not None
        await app.main_screen.submit(_request())
        forced: list[int] = []
        guard = ExitGuard(app, grace=60.0, force_exit=forced.append)
        guard.handle(signal.SIGHUP)  # what Python runs when SIGHUP arrives
        await pilot.pause()
    guard.disarm()
    assert forced == []
    assert app.exit_signal == signal.SIGHUP and app.return_code == 128 + signal.SIGHUP
    assert app.crash_report is None and unseen_reports(paths.crash_dir) == []
    assert engine._tasks == []  # the engine stopped
    with pytest.raises(sqlite3.ProgrammingError):  # the store is closed
        engine.store.get("anything")


def test_reports_are_private_numbered_and_shown_newest_first(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        raise ValueError("first")
    except ValueError as exc:
        first = write_crash_report(tmp_path / "crash", exc, now=moment)
        second = write_crash_report(tmp_path / "crash", exc, now=moment)
    assert first.name == "crash-20260101T000000Z.txt"
    assert second.name == "crash-20260101T000000Z-1.txt"
    assert stat.S_IMODE((tmp_path / "crash").stat().st_mode) == 0o700
    assert take_unseen_report(tmp_path / "crash") == second
    assert take_unseen_report(tmp_path / "crash") is None
    assert take_unseen_report(tmp_path / "nowhere") is None
    assert str(second) in crashed_message(second, ValueError("x"))
    assert "no crash report could be written" in crashed_message(None, None)


def test_lumatui_without_a_terminal_says_so_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[Any] = []
    monkeypatch.setattr("lumatui.tui.app.LumaApp.run", lambda self: ran.append(self))
    assert main([]) == 2  # pytest's captured streams are not terminals
    captured = capsys.readouterr()
    assert "lumatui's workstation needs a terminal" in captured.err
    assert "lumatui submit" in captured.err and "lumatui --help" in captured.err
    assert "not a terminal" in captured.err and captured.out == ""
    assert ran == []


def test_a_crash_in_the_running_app_prints_the_report_path_after_the_terminal(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    paths: AppPaths,
    fake_key: str,
) -> None:
    """The command line end to end: headless run, a bug, exit 1, the path on stderr."""
    from textual.app import App

    from lumatui.tui.app import LumaApp

    monkeypatch.setattr("lumatui.commands.tui_cmd.missing_terminals", lambda: [])

    async def press_help(pilot: Any) -> None:
        await wait_until(pilot, lambda: pilot.app.engine_started)
        await pilot.press("f1")

    def headless_run(self: LumaApp) -> None:
        App.run(self, headless=True, size=(100, 30), auto_pilot=press_help)

    monkeypatch.setattr(LumaApp, "run", headless_run)
    monkeypatch.setattr(LumaApp, "action_help", boom)
    assert main(["--sim"]) == 1
    err = capsys.readouterr().err
    [report] = unseen_reports(paths.crash_dir)
    assert f"The crash report (API key redacted) is at {report}" in err
    assert "Traceback" not in err and fake_key not in err  # the report has it, not the screen
    assert fake_key not in report.read_text(encoding="utf-8")


class StuckApp:
    """An app whose ordinary exit never happens (its loop is blocked or gone)."""

    def __init__(self) -> None:
        self.exit_signal: int | None = None
        self.exits: list[int] = []
        self.closed = threading.Event()

    def exit(self, result: None = None, return_code: int = 0) -> None:
        self.exits.append(return_code)

    def emergency_close(self) -> None:
        self.closed.set()


def test_the_watchdog_is_armed_in_the_handler_and_ends_a_stuck_exit() -> None:
    app = StuckApp()
    ended = threading.Event()
    codes: list[int] = []

    def force_exit(code: int) -> None:
        codes.append(code)
        ended.set()

    guard = ExitGuard(app, grace=0.0, force_exit=force_exit)
    # No event loop runs here: the handler still arms the watchdog, then leaves at once.
    with pytest.raises(SystemExit) as leaving:
        guard.handle(signal.SIGTERM)
    assert leaving.value.code == 128 + signal.SIGTERM
    assert ended.wait(timeout=30), "the watchdog never fired"
    assert app.closed.is_set()  # the store was flushed first
    assert codes == [128 + signal.SIGTERM] and app.exit_signal == signal.SIGTERM


async def test_the_handler_asks_the_loop_to_exit_and_a_second_signal_kind_is_ignored() -> None:
    app = StuckApp()
    guard = ExitGuard(app, grace=60.0, force_exit=lambda code: None)
    guard.handle(signal.SIGHUP)
    guard.handle(signal.SIGTERM)  # the watchdog is armed already; one exit is enough
    await asyncio.sleep(0)  # the loop runs the exit it was asked for
    guard.disarm()
    assert app.exits == [128 + signal.SIGHUP] and app.exit_signal == signal.SIGHUP


def test_install_and_remove_restore_the_previous_handlers() -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGHUP, signal.SIGTERM)}
    guard = ExitGuard(StuckApp())
    guard.install()
    try:
        assert signal.getsignal(signal.SIGHUP) == guard.handle
        assert signal.getsignal(signal.SIGTERM) == guard.handle
    finally:
        guard.remove()
    assert {signum: signal.getsignal(signum) for signum in before} == before
