"""Copying: OSC 52 where it reaches the clipboard, else a private file whose path is shown."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING, Any

import pytest
from textual.app import App

from lumatui.paths import app_paths
from lumatui.tui import terminal_info
from lumatui.tui.clipboard import OSC52_LIMIT, copy_text, save_clipboard_file
from lumatui.tui.terminal_info import clipboard_route

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lumatui.paths import AppPaths


class FakeTerminalApp:
    """Stands in for a running app on a real terminal: records what OSC 52 would carry."""

    is_headless = False

    def __init__(self) -> None:
        self.copied: list[str] = []

    def copy_to_clipboard(self, text: str) -> None:
        """Record the text instead of writing OSC 52."""
        self.copied.append(text)


@pytest.fixture
def paths() -> AppPaths:
    """The app paths under the test's LUMATUI_HOME."""
    return app_paths()  # under the test's LUMATUI_HOME


@pytest.fixture(autouse=True)
def fresh_tmux_cache() -> Iterator[None]:
    """Forget tmux answers between tests."""
    terminal_info._TMUX_CACHE.clear()
    yield
    terminal_info._TMUX_CACHE.clear()


def saved_path(message: str) -> Path:
    """The file a `Saved to ...` message names."""
    from pathlib import Path

    assert message.startswith("Saved to ")
    return Path(message.removeprefix("Saved to ").split(" (", 1)[0])


def test_osc52_on_a_plain_terminal(paths: AppPaths) -> None:
    app: Any = FakeTerminalApp()
    message = copy_text(app, "3f2a9c1e-id", paths, environ={"TERM": "xterm-256color"})
    assert app.copied == ["3f2a9c1e-id"]
    assert message == "Copied to the clipboard (OSC 52)."
    assert not (paths.data_dir / "clipboard").exists()


def test_osc52_through_tmux_with_set_clipboard_on(paths: AppPaths) -> None:
    app: Any = FakeTerminalApp()
    env = {"TMUX": "/tmp/tmux-1/default,1,0"}
    route = clipboard_route(env, runner=lambda args: "on")
    assert route.osc52 and "tmux" in route.detail
    terminal_info._TMUX_CACHE[("/tmp/tmux-1/default,1,0", "set-clipboard")] = "on"
    assert (
        copy_text(app, "x", paths, environ=env) == "Copied to the clipboard (OSC 52 through tmux)."
    )
    assert app.copied == ["x"]


def test_tmux_without_set_clipboard_writes_a_private_file(paths: AppPaths) -> None:
    app: Any = FakeTerminalApp()
    env = {"TMUX": "/tmp/tmux-1/default,2,0"}
    terminal_info._TMUX_CACHE[("/tmp/tmux-1/default,2,0", "set-clipboard")] = "external"
    message = copy_text(
        app, "curl -H 'Authorization: Bearer $LUMA_AGENTS_API_KEY'", paths, environ=env
    )
    assert app.copied == []
    path = saved_path(message)
    assert "tmux set-clipboard is external" in message
    assert "tmux set -g set-clipboard on" in message
    assert path.read_text(encoding="utf-8").endswith("$LUMA_AGENTS_API_KEY'")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent == paths.data_dir / "clipboard"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_large_text_goes_to_a_file(paths: AppPaths) -> None:
    app: Any = FakeTerminalApp()
    text = "x" * (OSC52_LIMIT + 1)
    message = copy_text(app, text, paths, environ={})
    assert app.copied == []
    assert "too much for the terminal's clipboard" in message
    assert saved_path(message).read_text(encoding="utf-8") == text


async def test_a_headless_app_writes_a_file(paths: AppPaths) -> None:
    app: App[None] = App()
    async with app.run_test():
        message = copy_text(app, "hello", paths, environ={})
    assert "no terminal to copy to" in message
    assert saved_path(message).read_text(encoding="utf-8") == "hello"


def test_file_names_never_collide(paths: AppPaths) -> None:
    first = save_clipboard_file("a", paths, now=1000.0)
    second = save_clipboard_file("b", paths, now=1000.0)
    assert first != second
    assert (first.read_text(), second.read_text()) == ("a", "b")


@pytest.mark.parametrize(
    ("env", "detail"),
    [
        ({"STY": "1234.pts-0"}, "GNU screen"),
        ({"TERM_PROGRAM": "Apple_Terminal"}, "macOS Terminal"),
    ],
)
def test_terminals_that_ignore_osc52_get_a_file(env: dict[str, str], detail: str) -> None:
    route = clipboard_route(env)
    assert not route.osc52 and detail in route.detail and route.hint
