"""End to end in a real terminal: tmux types `F3 e <prompt> ctrl+j` in one go, no pauses
(and a prompt typed before the app has even started).

`tmux send-keys` delivers the whole sequence at once, as a fast typist over SSH does; the
edit job stored in the history must carry exactly that prompt and the selected image as
its source. Runs `python -m lumatui --sim` on a private tmux server; skipped without tmux.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
DEADLINE_S = 90.0


class Tmux:
    """A private tmux server (its own socket) running one session."""

    def __init__(self, socket: str, session: str) -> None:
        self.socket = socket
        self.session = session

    def run(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        """One send-keys: every key goes to the terminal at once."""
        self.run("send-keys", "-t", self.session, *keys)


def until(condition: Callable[[], Any], what: str, tmux: Tmux) -> Any:
    """Poll `condition` (each poll runs a process or a query) until it is truthy."""
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        value = condition()
        if value:
            return value
        tmux.run("display-message", "-p", "#{pane_pid}")  # a round trip instead of a sleep
    raise AssertionError(f"never saw {what}; the screen was:\n{tmux.screen()}")


def jobs(database: Path) -> list[tuple[str, str | None, str]]:
    """(state, generation id, request body) of every stored job, oldest first."""
    if not database.exists():
        return []
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return list(
                db.execute("SELECT state, generation_id, request_json FROM jobs ORDER BY seq")
            )
    except sqlite3.OperationalError:
        return []  # the schema is still being created


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    home = tmp_path / "home"
    env = {
        "LUMATUI_HOME": str(home),
        "LUMATUI_SIM__SPEED": "1000",
        "TERM": "xterm-256color",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    command = " ".join(
        [
            "env",
            "-u",
            "LUMA_AGENTS_API_KEY",
            "-u",
            "LUMA_BASE_URL",
            *(f"{name}={shlex.quote(value)}" for name, value in env.items()),
            shlex.quote(sys.executable),
            "-m",
            "lumatui",
            "--sim",
        ]
    )
    session = Tmux(f"lumatui-test-{os.getpid()}-{tmp_path.name}", "workstation")
    session.run("new-session", "-d", "-s", session.session, "-x", "120", "-y", "40", command)
    try:
        yield session
    finally:
        session.run("kill-server")


def test_f3_e_a_prompt_and_ctrl_j_typed_at_once_send_exactly_that_edit(
    tmux: Tmux, tmp_path: Path
) -> None:
    database = tmp_path / "home" / "data" / "lumatui.db"
    until(lambda: "Composer F2" in tmux.screen(), "the workstation", tmux)
    tmux.keys("a red fox in snow", "C-j")
    first = until(
        lambda: [j for j in jobs(database) if j[0] == "completed"], "the first job done", tmux
    )
    until(lambda: "completed" in tmux.screen(), "the list showing it completed", tmux)
    parent_id = first[0][1]

    tmux.keys("F3", "e", "make it blue", "C-j")

    second = until(lambda: jobs(database)[1:], "the edit job", tmux)
    body = json.loads(second[0][2])
    assert body == {
        "prompt": "make it blue",
        "type": "image_edit",
        "model": "uni-1",
        "source": {"generation_id": parent_id},
    }
    assert len(jobs(database)) == 2  # nothing else was sent (no a/r/u acted on the list)


def test_a_prompt_typed_before_the_workstation_starts_is_sent_exactly(
    tmux: Tmux, tmp_path: Path
) -> None:
    """`lumatui` Enter, then the prompt at once: the keys wait in the terminal while the
    app starts (and while textual-image asks the terminal what it can draw, reading the
    answers from the same input); none is lost, and no answer is typed into the prompt."""
    database = tmp_path / "home" / "data" / "lumatui.db"
    tmux.keys("a fox at dawn", "C-j")  # at once: the process is only starting
    (job,) = until(lambda: jobs(database), "the job", tmux)
    assert json.loads(job[2])["prompt"] == "a fox at dawn"
    until(lambda: "Composer F2" in tmux.screen(), "the workstation", tmux)
    assert len(jobs(database)) == 1
