"""`lumatui doctor`: runs without a terminal, reports every item with hints, --json parses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from lumatui.cli import main
from lumatui.tui import terminal_info
from lumatui.tui.terminal_info import (
    ClipboardRoute,
    TerminalInfo,
    colour_depth,
    gather,
    image_protocol,
    report_items,
    tmux_option,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

ITEMS = [
    "image protocol",
    "colour depth",
    "terminal size",
    "clipboard",
    "tmux",
    "ssh",
    "stdin/stdout",
]


@pytest.fixture(autouse=True)
def fresh_tmux_cache() -> Iterator[None]:
    """Forget tmux answers between tests."""
    terminal_info._TMUX_CACHE.clear()
    yield
    terminal_info._TMUX_CACHE.clear()


def info(**changes: object) -> TerminalInfo:
    """A terminal where everything is fine, with `changes`."""
    values: dict[str, object] = {
        "stdin_tty": True,
        "stdout_tty": True,
        "term": "xterm-kitty",
        "colour_depth": "truecolor",
        "size": (160, 45),
        "in_tmux": False,
        "tmux_passthrough": None,
        "tmux_set_clipboard": None,
        "over_ssh": False,
        "image_protocol": "tgp",
        "image_protocol_source": "chosen by textual-image after asking the terminal",
        "clipboard": ClipboardRoute(True, "OSC 52"),
        **changes,
    }
    return TerminalInfo(**values)  # type: ignore[arg-type]


def test_doctor_runs_without_a_tty_and_prints_every_item() -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": ""}
    done = subprocess.run(
        [sys.executable, "-m", "lumatui", "doctor"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name in ITEMS:
        assert any(line[4:].startswith(name) for line in lines), name
    assert "not asked: stdin or stdout is not a terminal" in done.stdout
    assert "hint: if the terminal shows 24-bit colour, set COLORTERM=truecolor" in done.stdout


def test_doctor_json_parses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in report["items"]] == ITEMS
    assert set(report["items"][0]) == {"name", "value", "ok", "hint"}
    assert {"stdout_tty", "image_protocol", "clipboard", "size"} <= set(report["terminal"])


def test_a_good_terminal_has_no_hints_that_matter() -> None:
    items = {item.name: item for item in report_items(info())}
    assert all(item.ok for item in items.values())
    assert items["image protocol"].value.startswith("Kitty graphics")


def test_tmux_without_passthrough_says_how_to_fix_it() -> None:
    items = {
        item.name: item
        for item in report_items(
            info(
                in_tmux=True,
                tmux_passthrough="off",
                tmux_set_clipboard="external",
                image_protocol="halfcell",
                colour_depth="256",
                over_ssh=True,
                size=(80, 24),
            )
        )
    }
    image = items["image protocol"]
    assert not image.ok
    assert image.hint == (
        "tmux passthrough off: run `tmux set -g allow-passthrough on` for Sixel/Kitty images"
    )
    assert "tmux set -g set-clipboard on" in (items["tmux"].hint or "")
    assert "AcceptEnv COLORTERM" in (items["colour depth"].hint or "")
    assert "terminal-features" in (items["colour depth"].hint or "")
    assert items["terminal size"].ok and "160x45" in (items["terminal size"].hint or "")
    assert not report_items(info(size=(70, 20)))[2].ok


def test_forced_protocol_is_reported_with_how_to_undo_it() -> None:
    protocol, source = image_protocol({"LUMATUI_IMAGE_PROTOCOL": "halfcell"})
    assert (protocol, source) == ("halfcell", "forced by LUMATUI_IMAGE_PROTOCOL=halfcell")
    item = report_items(info(image_protocol=protocol, image_protocol_source=source))[0]
    assert "unset LUMATUI_IMAGE_PROTOCOL" in (item.hint or "")


@pytest.mark.parametrize(
    ("env", "depth"),
    [
        ({"COLORTERM": "truecolor", "TERM": "xterm"}, "truecolor"),
        ({"COLORTERM": "24bit"}, "truecolor"),
        ({"TERM": "tmux-256color"}, "256"),
        ({"TERM": "xterm"}, "16"),
        ({"TERM": "dumb"}, "none"),
        ({"TERM": "xterm-256color", "NO_COLOR": "1"}, "none"),
    ],
)
def test_colour_depth(env: dict[str, str], depth: str) -> None:
    assert colour_depth(env) == depth


def test_tmux_options_are_asked_once_and_failures_are_none() -> None:
    calls: list[list[str]] = []

    def runner(args: list[str]) -> str | None:
        """A fake tmux: passthrough on, set-clipboard fails."""
        calls.append(args)
        return None if "set-clipboard" in args else "on"

    env = {"TMUX": "/tmp/tmux-9/default,1,0"}
    assert tmux_option("allow-passthrough", env, runner) == "on"
    assert tmux_option("allow-passthrough", env, runner) == "on"
    assert tmux_option("set-clipboard", env, runner) is None
    assert calls == [["show", "-gv", "allow-passthrough"], ["show", "-gv", "set-clipboard"]]
    assert tmux_option("allow-passthrough", {}, runner) is None
    gathered = gather({**env, "TERM": "screen"}, runner=runner)
    assert (gathered.in_tmux, gathered.tmux_passthrough) == (True, "on")


def test_run_tmux_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert terminal_info.run_tmux(["show", "-gv", "set-clipboard"]) is None
