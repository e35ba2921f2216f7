"""Crash safety: a clean exit on SIGHUP and SIGTERM, crash reports, and the note next start.

People run lumatui for hours over SSH. When the link drops, the kernel sends SIGHUP; its
default action kills the process on the spot, leaving the terminal in the alternate screen
and the store unflushed. `ExitGuard` turns SIGHUP and SIGTERM into an ordinary `App.exit()`
on the app's own loop, so Textual restores the terminal and the app's unmount stops the
engine and closes the store; a watchdog armed in the handler itself ends the process after
a grace period if that stalls (a second signal of the same kind stops at once).

An unexpected exception ends the app too (Textual catches it); `write_crash_report` keeps
the traceback, the versions and the terminal's description in `crash-<UTC time>.txt`
(mode 0600) under the data folder, with the API key, bearer tokens and `luma-api-…` keys
redacted. The path is printed once the terminal is restored, and `take_unseen_report`
hands it to the next start once (a `.seen` marker beside it remembers that it was shown).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import platform
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from lumatui.logs import redact
from lumatui.paths import write_private_file

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path

    from lumatui.config import Settings

EXIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGHUP, signal.SIGTERM)
EXIT_GRACE_S = 8.0
REPORT_PREFIX = "crash-"
REPORT_SUFFIX = ".txt"
SEEN_SUFFIX = ".seen"
KEY_VARIABLE = "LUMA_AGENTS_API_KEY"
_TERMINAL_VARIABLES = ("TERM", "COLORTERM", "TERM_PROGRAM", "LANG")


class ExitableApp(Protocol):
    """What the signal handler needs of the app: where to note the signal, and `exit`."""

    exit_signal: int | None

    def exit(self, result: None = None, return_code: int = 0) -> None:
        """Leave the app the ordinary way."""

    def emergency_close(self) -> None:
        """Flush what must not be lost, from any thread, when the ordinary exit is stuck."""


# -- signals ----------------------------------------------------------------------------------


class ExitGuard:
    """SIGHUP and SIGTERM end the process within `grace` seconds, whatever the app is doing.

    Two paths arm the watchdog, so that neither a blocked event loop nor a blocked main
    thread can stop it: the `signal.signal` handler, which Python runs on the main thread
    between two bytecodes, and a watcher thread that reads the signal's number from the
    wakeup fd the C-level handler writes to in whichever thread the signal landed (after a
    hang-up that is often not the main thread, and the main thread may be stuck in a wait
    that no signal interrupts). The handler also asks the app to exit on its loop: Textual
    restores the terminal and the app's unmount stops the engine and closes the store.
    After a hang-up that can stall (restoring a terminal that is gone, in
    `driver.stop_application_mode()`), so when the grace runs out the watchdog flushes the
    store (`emergency_close`) and ends the process with 128 + the signal. The same signal
    again ends it at once, as it would by default.

    Only the owner of the process installs it (the `lumatui` command); `disarm` is for code
    that must go on living after the app has gone (tests running it in-process).
    """

    def __init__(
        self,
        app: ExitableApp,
        *,
        grace: float = EXIT_GRACE_S,
        force_exit: Callable[[int], object] = os._exit,
    ) -> None:
        self.app = app
        self.grace = grace
        self._force_exit = force_exit
        self._previous: dict[signal.Signals, object] = {}
        self._lock = threading.Lock()
        self._watchdog: threading.Timer | None = None
        self._handled: int | None = None
        self._wakeup: tuple[int, int] | None = None
        self.signalled: int | None = None
        """The first exit signal received, if any."""

    def install(self) -> None:
        """Take over SIGHUP and SIGTERM (from the main thread; elsewhere it does nothing)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in EXIT_SIGNALS:
            with contextlib.suppress(OSError, ValueError):
                self._previous[signum] = signal.signal(signum, self.handle)
        self._watch_wakeup_fd()

    def _watch_wakeup_fd(self) -> None:
        """Start the watcher thread on a wakeup fd of our own, unless one is in use already."""
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)  # the C handler must never block on it
        try:
            previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        except (OSError, ValueError):
            previous = None
        if previous != -1:  # not possible here, or someone else's: the handler path remains
            if previous is not None:
                signal.set_wakeup_fd(previous)
            os.close(read_end)
            os.close(write_end)
            return
        self._wakeup = (read_end, write_end)
        threading.Thread(
            target=self._watch, args=(read_end,), name="lumatui-signal-watcher", daemon=True
        ).start()

    def _watch(self, read_end: int) -> None:
        """Arm the watchdog for each exit signal's byte; end when the pipe is closed."""
        try:
            while data := os.read(read_end, 64):
                for signum in data:
                    if signum in EXIT_SIGNALS:
                        self._arm(signum)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(read_end)

    def remove(self) -> None:
        """Give SIGHUP and SIGTERM back their previous handlers (an armed watchdog stays)."""
        for signum, previous in self._previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()
        if self._wakeup is not None:
            with contextlib.suppress(OSError, ValueError):
                signal.set_wakeup_fd(-1)
            with contextlib.suppress(OSError):
                os.close(self._wakeup[1])  # the watcher reads the end of the pipe and stops
            self._wakeup = None

    def disarm(self) -> None:
        """Cancel the watchdog: the process goes on legitimately after the app has exited."""
        with self._lock:
            if self._watchdog is not None:
                self._watchdog.cancel()

    def handle(self, signum: int, _frame: object = None) -> None:
        """The signal handler: note, arm the watchdog, ask the app's loop to exit."""
        if self._handled == signum:
            # The clean exit is stuck (or the person insists): do what the signal does by default.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self._handled is not None:  # the other exit signal: the exit is under way already
            return
        self._handled = signum
        self._arm(signum)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app is not running (yet, or any more): just leave
            raise SystemExit(128 + signum) from None
        loop.call_soon_threadsafe(functools.partial(self.app.exit, return_code=128 + signum))

    def _arm(self, signum: int) -> None:
        """Start the watchdog once, from whichever path sees the signal first."""
        with self._lock:
            if self._watchdog is not None:
                return
            self.signalled = signum
            self.app.exit_signal = signum
            self._watchdog = threading.Timer(self.grace, self._expire, args=(signum,))
            self._watchdog.daemon = True
            self._watchdog.name = "lumatui-exit-watchdog"
            self._watchdog.start()

    def _expire(self, signum: int) -> None:
        """The grace ran out: flush what can be flushed, then end the process."""
        with contextlib.suppress(Exception):
            self.app.emergency_close()
        self._force_exit(128 + signum)


def signal_name(signum: int) -> str:
    """SIGHUP for 1, and so on."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


# -- reports ----------------------------------------------------------------------------------


def secrets_of(settings: Settings | None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The key in use and the key in the environment (they may differ): what to redact."""
    env = os.environ if environ is None else environ
    found = [env.get(KEY_VARIABLE, "")]
    if settings is not None and settings.api_key is not None:
        found.append(settings.api_key.get_secret_value())
    return [secret for secret in found if secret]


def write_crash_report(
    crash_dir: Path,
    error: BaseException,
    *,
    secrets: Iterable[str] = (),
    details: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the report of `error` as `crash-<UTC time>.txt` (0600); returns its path."""
    moment = now or datetime.now(UTC)
    text = redact(report_text(error, details=details, now=moment), secrets)
    stem = f"{REPORT_PREFIX}{moment.strftime('%Y%m%dT%H%M%SZ')}"
    return write_private_file(
        crash_dir, lambda attempt: f"{stem}{f'-{attempt}' if attempt else ''}{REPORT_SUFFIX}", text
    )


def report_text(
    error: BaseException, *, details: Mapping[str, str] | None = None, now: datetime
) -> str:
    """The report, before redaction: what happened, versions, terminal, traceback."""
    lines = [
        "lumatui crash report",
        f"time: {now.isoformat(timespec='seconds')}",
        f"error: {type(error).__name__}: {error}",
        "",
        "versions:",
        *(f"  {name}: {value}" for name, value in versions().items()),
        "",
        "terminal:",
        *(f"  {name}: {value}" for name, value in terminal_details().items()),
    ]
    if details:
        lines += ["", "app:", *(f"  {name}: {value}" for name, value in details.items())]
    lines += ["", "traceback:", "".join(traceback.format_exception(error)).rstrip(), ""]
    return "\n".join(lines)


def versions() -> dict[str, str]:
    """lumatui, Python, Textual, textual-image and the platform."""
    from importlib import metadata  # only a report needs it: importing it takes 10-15 ms

    from lumatui import __version__

    found = {"lumatui": __version__, "python": platform.python_version()}
    for package in ("textual", "textual-image", "rich"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["platform"] = platform.platform()
    return found


def terminal_details(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the terminal is, without asking it anything (it may be gone)."""
    from lumatui.tui.terminal_info import colour_depth, image_protocol, terminal_size

    env = os.environ if environ is None else environ
    found = {name.lower(): env.get(name, "") or "(unset)" for name in _TERMINAL_VARIABLES}
    size = terminal_size()
    found["size"] = f"{size[0]}x{size[1]}" if size else "unknown"
    found["colour depth"] = colour_depth(env)
    found["image protocol"] = "{} ({})".format(*image_protocol(env, ask=False))
    found["tmux"] = "yes" if env.get("TMUX") else "no"
    found["ssh"] = "yes" if env.get("SSH_CONNECTION") or env.get("SSH_TTY") else "no"
    found["stdin/stdout"] = f"{_tty(sys.__stdin__)}/{_tty(sys.__stdout__)}"
    return found


def _tty(stream: object) -> str:
    isatty = getattr(stream, "isatty", None)
    try:
        return "terminal" if isatty and isatty() else "not a terminal"
    except (OSError, ValueError):
        return "closed"


# -- the next start ---------------------------------------------------------------------------


def unseen_reports(crash_dir: Path) -> list[Path]:
    """Crash reports not yet shown at a start, oldest first."""
    try:
        reports = sorted(crash_dir.glob(f"{REPORT_PREFIX}*{REPORT_SUFFIX}"), key=_written_order)
    except OSError:
        return []
    return [path for path in reports if not seen_marker(path).exists()]


def _written_order(report: Path) -> tuple[str, int]:
    """`crash-<time>.txt` before `crash-<time>-1.txt` before `crash-<time>-2.txt`."""
    name = report.name.removeprefix(REPORT_PREFIX).removesuffix(REPORT_SUFFIX)
    stamp, _, number = name.partition("-")
    return stamp, int(number) if number.isdigit() else 0


def seen_marker(report: Path) -> Path:
    """The empty file that says `report` was shown."""
    return report.with_name(report.name + SEEN_SUFFIX)


def take_unseen_report(crash_dir: Path) -> Path | None:
    """The newest report not yet shown, marking every unseen one as seen; None if none."""
    reports = unseen_reports(crash_dir)
    for report in reports:
        with contextlib.suppress(OSError):
            os.close(os.open(seen_marker(report), os.O_WRONLY | os.O_CREAT, 0o600))
    return reports[-1] if reports else None


def last_crash_notice(report: Path) -> str:
    """What the next start says about a crash report."""
    return f"lumatui crashed last time; the report is at {report}"


def crashed_message(report: Path | None, error: BaseException | None) -> str:
    """What stderr says once the terminal is restored after an unexpected exception."""
    what = f" ({type(error).__name__})" if error is not None else ""
    if report is None:
        return f"lumatui stopped on an unexpected error{what}; no crash report could be written."
    return (
        f"lumatui stopped on an unexpected error{what}. Your jobs are kept and resume on the "
        f"next start.\nThe crash report (API key redacted) is at {report}"
    )
