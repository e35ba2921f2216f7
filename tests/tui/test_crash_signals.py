"""A real `python -m lumatui` under a pseudo-terminal, ended by SIGHUP, a hang-up or SIGTERM.

Each run submits a job (to the built-in simulator), then ends the way an SSH drop or a
`kill` would. The process must exit on its own with 128 + the signal, after leaving the
alternate screen (the terminal is usable) without printing a traceback, and leave a store
that passes `PRAGMA integrity_check`, holds the job, and has its WAL folded in.

Then the same three endings for a small app guarded the same way whose event loop is
blocked for good (`blocked_loop_app.py`): the watchdog, armed from the signal itself, must
flush and end it within its grace.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import sqlite3
import struct
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from lumatui.config import AppPaths

pty = pytest.importorskip("pty")
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")
if not hasattr(os, "pidfd_open"):
    pytest.skip("needs os.pidfd_open (Linux) to wait for the child", allow_module_level=True)

DEADLINE_S = 60.0
ROOT = Path(__file__).resolve().parents[2]
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
_ESCAPES = re.compile(
    rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)"
)


def plain(screen: bytes) -> str:
    """What the terminal showed, without escape sequences."""
    return _ESCAPES.sub(b"", screen).decode("utf-8", errors="replace")


class Terminal:
    """The parent side of a pseudo-terminal running lumatui."""

    def __init__(self, home: str, argv: tuple[str, ...] = ("-m", "lumatui", "--sim")) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LUMA", "PYTEST"))}
        env.update(LUMATUI_HOME=home, TERM="xterm-256color", COLORTERM="truecolor")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(":")
        pid, fd = pty.fork()
        if pid == 0:  # the child: a 120x40 terminal, then lumatui
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
                os.execve(sys.executable, [sys.executable, *argv], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.pidfd = os.pidfd_open(pid)
        self.screen = b""
        self.started = time.monotonic()

    def _left(self) -> float:
        left = DEADLINE_S - (time.monotonic() - self.started)
        assert left > 0, f"lumatui did not get there in time; it showed:\n{plain(self.screen)}"
        return left

    def read_until(self, *words: str, wait: float | None = None) -> None:
        """Read what the app draws until one of `words` is on screen (or `wait` s pass)."""
        while not any(word in plain(self.screen) for word in words):
            ready, _, _ = select.select([self.fd], [], [], min(wait or 1e9, self._left()))
            if ready:
                self.screen += os.read(self.fd, 65536)
            elif wait is not None:
                return

    def type(self, keys: bytes) -> None:
        """Type on the terminal's keyboard."""
        os.write(self.fd, keys)

    def wait_exit(self, *, drain: bool) -> int:
        """Wait for the process to end (reading its last output if `drain`); its exit code."""
        while True:
            watched = [self.pidfd, self.fd] if drain else [self.pidfd]
            ready, _, _ = select.select(watched, [], [], self._left())
            if self.fd in ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child's side closed: it has gone
                    chunk = b""
                self.screen += chunk
                drain = bool(chunk)
            if self.pidfd in ready:
                _, status = os.waitpid(self.pid, 0)
                return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """Hang up: what sshd does when the connection drops."""
        os.close(self.fd)
        self.fd = -1

    def cleanup(self) -> None:
        """Whatever happened, leave no process behind."""
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        for fd in (self.fd, self.pidfd):
            with contextlib.suppress(OSError):
                if fd >= 0:
                    os.close(fd)


@pytest.mark.parametrize("how", ["SIGHUP", "hang-up", "SIGTERM"])
def test_a_signal_exits_cleanly_and_keeps_the_store(paths: AppPaths, how: str) -> None:
    terminal = Terminal(os.environ["LUMATUI_HOME"])
    try:
        terminal.read_until("SIMULATOR")
        terminal.type(b"a lighthouse at dusk")
        terminal.read_until("a lighthouse at dusk")
        terminal.type(b"\n")  # ctrl+j: submit
        # The header counts it in every layout (the job list may be a hidden tab).
        terminal.read_until("queued", "processing", "completed", "1 running")
        before = len(terminal.screen)
        if how == "hang-up":
            terminal.close()
            code = terminal.wait_exit(drain=False)
            assert code == 128 + signal.SIGHUP
        else:
            signum = getattr(signal, how)
            os.kill(terminal.pid, signum)
            code = terminal.wait_exit(drain=True)
            assert code == 128 + signum
            after = terminal.screen[before:]
            assert LEAVE_ALT_SCREEN in after  # Textual put the terminal back
            assert "Traceback" not in plain(after) and "Error" not in plain(after)
    finally:
        terminal.cleanup()

    assert not paths.database.with_name(paths.database.name + "-wal").exists()
    with contextlib.closing(sqlite3.connect(paths.database)) as db, db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        prompts = [row[0] for row in db.execute("SELECT prompt FROM jobs")]
    assert prompts == ["a lighthouse at dusk"]
    assert not list(paths.crash_dir.glob("crash-*"))  # a signal is not a crash


@pytest.mark.parametrize("how", ["SIGHUP", "hang-up", "SIGTERM"])
def test_a_signal_ends_the_process_even_when_its_event_loop_is_blocked(
    tmp_path: Path, how: str
) -> None:
    marker = tmp_path / "flushed"
    argv = ("-m", "tests.tui.blocked_loop_app", str(marker))
    terminal = Terminal(str(tmp_path), argv)
    try:
        terminal.read_until("READY")
        terminal.type(b"b")
        while not marker.with_suffix(".blocked").exists():  # the loop is stuck from here on
            terminal.read_until("never drawn", wait=0.05)
        signum = signal.SIGHUP if how == "hang-up" else getattr(signal, how)
        if how == "hang-up":
            terminal.close()
        else:
            os.kill(terminal.pid, signum)
        code = terminal.wait_exit(drain=how != "hang-up")
    finally:
        terminal.cleanup()
    assert code == 128 + signum
    assert marker.read_text() == "flushed"  # the store would have been flushed first


@pytest.mark.parametrize("moment", ["its first output", "SIMULATOR", "Composer F2"])
def test_a_hang_up_while_the_workstation_starts_is_an_exit_not_a_crash(
    paths: AppPaths, moment: str
) -> None:
    """SIGHUP as the app starts (before its first frame, as it draws it, while the form
    and the engine follow it): what still runs finds widgets gone; that is the exit."""
    terminal = Terminal(os.environ["LUMATUI_HOME"])
    try:
        if moment == "its first output":
            while not terminal.screen:
                terminal.read_until("\x1b", wait=0.05)
        else:
            terminal.read_until(moment)
        os.kill(terminal.pid, signal.SIGHUP)
        code = terminal.wait_exit(drain=True)
    finally:
        terminal.cleanup()
    if moment == "its first output":  # perhaps before the app set its handler: either way
        assert code in (128 + signal.SIGHUP, -signal.SIGHUP)
    else:
        assert code == 128 + signal.SIGHUP
    assert not list(paths.crash_dir.glob("crash-*"))  # a signal is not a crash
