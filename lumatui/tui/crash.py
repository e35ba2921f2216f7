"""Crash safety: a clean exit on SIGHUP and SIGTERM, crash reports, and the note next start.

People run lumatui for hours over SSH. When the link drops, the kernel sends SIGHUP; its
default action kills the process on the spot, leaving the terminal in the alternate screen
and the store unflushed. `install_exit_signals` turns SIGHUP and SIGTERM into an ordinary
`App.exit()` on the app's own loop, so Textual restores the terminal and the app's unmount
stops the engine and closes the store (a second signal of the same kind stops at once).

An unexpected exception ends the app too (Textual catches it); `write_crash_report` keeps
the traceback, the versions and the terminal's description in `crash-<UTC time>.txt`
(mode 0600) under the data folder, with the API key, bearer tokens and `luma-api-…` keys
redacted. The path is printed once the terminal is restored, and `take_unseen_report`
hands it to the next start once (a `.seen` marker beside it remembers that it was shown).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Protocol

from lumatui.logs import redact

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

    @property
    def is_running(self) -> bool:
        """True until the app's message loop has ended."""

    def exit(self, result: None = None, return_code: int = 0) -> None:
        """Leave the app the ordinary way."""

    def emergency_close(self) -> None:
        """Flush what must not be lost, from any thread, when the ordinary exit is stuck."""


# -- signals ----------------------------------------------------------------------------------


def install_exit_signals(
    app: ExitableApp, loop: asyncio.AbstractEventLoop | None = None
) -> Callable[[], None]:
    """Make SIGHUP and SIGTERM exit `app` cleanly; returns the function that undoes it.

    Call it from a coroutine on the app's loop (on_mount): the handlers run on that loop
    between callbacks, never in the middle of a store write.
    """
    running = loop or asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in EXIT_SIGNALS:
        try:
            running.add_signal_handler(signum, exit_on_signal, app, int(signum))
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            continue
        installed.append(signum)

    def remove() -> None:
        for signum in installed:
            with contextlib.suppress(Exception):
                running.remove_signal_handler(signum)

    return remove


def exit_on_signal(app: ExitableApp, signum: int) -> None:
    """The handler: note the signal and exit; the same signal again ends the process at once."""
    if app.exit_signal == signum:
        # The clean exit is stuck (or the person insists): do what the signal does by default.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    app.exit_signal = signum
    app.exit(return_code=128 + signum)
    # After a hang-up the terminal is gone, and restoring it can stall: if the ordinary
    # exit has not finished in time, flush the store and leave anyway.
    watchdog = threading.Timer(EXIT_GRACE_S, _force_exit, args=(app, signum))
    watchdog.daemon = True
    watchdog.start()


def _force_exit(app: ExitableApp, signum: int) -> None:
    if not app.is_running:  # the ordinary exit got through; nothing to force
        return
    with contextlib.suppress(Exception):
        app.emergency_close()
    os._exit(128 + signum)


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
    crash_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"{REPORT_PREFIX}{moment.strftime('%Y%m%dT%H%M%SZ')}"
    for attempt in range(100):
        path = crash_dir / f"{stem}{f'-{attempt}' if attempt else ''}{REPORT_SUFFIX}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path
    raise FileExistsError(f"too many crash reports named {stem}* in {crash_dir}")


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
