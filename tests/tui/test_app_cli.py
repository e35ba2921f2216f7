"""`lumatui` with no subcommand: settings, backend, the app, and what happens when they fail."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.cli import ABOUT, main

if TYPE_CHECKING:
    from lumatui.config import AppPaths


@pytest.fixture(autouse=True)
def a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest captures the standard streams; these tests stand in for a terminal."""
    monkeypatch.setattr("lumatui.commands.tui_cmd.missing_terminals", lambda: [])


def test_about_prints_the_about_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--about"]) == 0
    assert capsys.readouterr().out.strip() == ABOUT.strip()


def test_a_configuration_error_is_one_message_and_exit_3(
    paths: AppPaths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths.config_file.write_text("poll_rate_limit = -1\n", encoding="utf-8")
    ran: list[Any] = []
    monkeypatch.setattr("lumatui.tui.app.LumaApp.run", lambda self: ran.append(self))
    assert main([]) == 3
    err = capsys.readouterr().err
    assert "configuration error" in err and "poll_rate_limit" in err
    assert ran == []


def test_no_key_runs_the_app_on_the_simulator_and_stops_it(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    def fake_run(app: Any) -> None:  # the app opens its backend after its first frame
        seen.append((app, app._backend_source()))

    monkeypatch.setattr("lumatui.tui.app.LumaApp.run", fake_run)
    assert main(["--base-url", "http://127.0.0.1:1/v1"]) == 0
    ((app, backend),) = seen
    assert app._backend_label == "SIMULATOR"  # the header says so from the first frame
    assert backend.label == "SIMULATOR" and backend.simulator is not None
    assert app.settings.base_url == "http://127.0.0.1:1/v1"
    assert not backend.simulator._thread.is_alive()


def test_a_backend_that_cannot_be_opened_is_one_line_after_the_app(
    paths: AppPaths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(app: Any) -> None:  # as the app does when opening the backend fails
        app.start_error = PermissionError(13, "Permission denied", str(paths.simulator_dir))

    monkeypatch.setattr("lumatui.tui.app.LumaApp.run", fake_run)
    code = main([])
    err = capsys.readouterr().err
    assert code != 0
    assert err == f"lumatui: cannot write {paths.simulator_dir}: permission denied\n"
    assert "Traceback" not in err


def test_a_crash_still_stops_the_simulator(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    def crash(app: Any) -> None:
        seen.append(app._backend_source())
        raise RuntimeError("boom")

    monkeypatch.setattr("lumatui.tui.app.LumaApp.run", crash)
    with contextlib.suppress(RuntimeError):
        main(["--sim"])
    (backend,) = seen
    assert not backend.simulator._thread.is_alive()
