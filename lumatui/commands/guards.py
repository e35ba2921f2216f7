"""Bad input and local faults turned into one clear line and a documented exit code.

Argument types refuse absurd values when the command line is read (exit 2, nothing done):
a `--timeout` of 0, -1, `nan` or `inf`, a count too large for SQLite. `local_fault` names
what went wrong on this machine (a read-only or full disk, a damaged history database, a
folder that is a file, input nested too deeply) instead of a traceback.
"""

from __future__ import annotations

import argparse
import errno
import math
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

EXIT_USAGE = 2
EXIT_LOCAL = 3
MAX_SECONDS = 10_000_000.0  # about 115 days: longer than any job, small enough for any clock
MAX_COUNT = 2**62  # SQLite integers are 64-bit
REPAIR_HINT = "`lumatui doctor --repair` keeps a copy of it and rebuilds what it can"

_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
_FULL = (errno.ENOSPC, errno.EDQUOT)


def seconds(text: str) -> float:
    """An argparse type: a duration in seconds, more than 0 and finite."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds (got {text})")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SECONDS:g} seconds")
    return value


def positive_number(text: str) -> float:
    """An argparse type: a finite number more than 0 (a speed, a factor)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number more than 0 (got {text})")
    return value


def count(text: str) -> int:
    """An argparse type: a whole number from 0 up to what SQLite can hold."""
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_COUNT} (got {text})")
    return value


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high} (got {text})")
        return value

    return parse


def amount(text: str) -> float:
    """An argparse type: a finite number of dollars, 0 or more."""
    try:
        value = finite_float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative (got {text})")
    return value


def finite_float(text: str) -> float:
    """A number written in text, or ValueError for text, NaN and infinities."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def local_fault(exc: BaseException, database: Path | None = None) -> tuple[str, int] | None:
    """(message, exit code) for a fault of this machine or of the input; None for a bug."""
    if database is None:
        database = history_path()
    if isinstance(exc, sqlite3.Error):
        return _database_fault(exc, database), EXIT_LOCAL
    if isinstance(exc, OSError) and exc.errno is not None:
        return _os_fault(exc), EXIT_LOCAL
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read", EXIT_USAGE
    if isinstance(exc, OverflowError):
        return f"a number is too large ({_reason(exc)})", EXIT_USAGE
    if isinstance(exc, MemoryError):
        return "out of memory", EXIT_LOCAL
    return None


def _database_fault(exc: sqlite3.Error, database: Path | None) -> str:
    where = f"the history {database}" if database is not None else "the history database"
    reason = _reason(exc)
    text = reason.lower()
    if "readonly" in text or "read-only" in text:
        return f"cannot write {where}: the disk or folder is read-only"
    if "disk is full" in text or "disk full" in text:
        return f"the disk holding {where} is full; free some space and try again"
    if "locked" in text or "busy" in text:
        return f"{where} is busy in another process; try again"
    if "unable to open" in text:
        return f"cannot open {where} (is its folder missing, or not writable?)"
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return f"{where} is damaged ({reason}); {REPAIR_HINT}"
    if "malformed" in text or "corrupt" in text or "not a database" in text:
        return f"{where} is damaged ({reason}); {REPAIR_HINT}"
    return f"{where} cannot be used: {reason}"


def _os_fault(exc: OSError) -> str:
    from lumatui.api.text import clean_text

    if exc.filename is None:  # a socket, a pipe: what the system said is all there is
        return f"{exc.strerror or _reason(exc)} (errno {exc.errno})"
    name = clean_text(str(exc.filename), 200)
    if exc.errno in _FULL:
        return f"the disk is full (writing {name}); free some space and try again"
    if exc.errno == errno.EROFS:
        return f"cannot write {name}: the disk is read-only"
    if exc.errno in _READ_ONLY:
        return f"cannot write {name}: permission denied"
    return f"cannot use {name}: {exc.strerror or _reason(exc)}"


def _reason(exc: BaseException) -> str:
    from lumatui.api.text import clean_text

    return clean_text(str(exc), 160) or type(exc).__name__


def history_path() -> Path | None:
    """Where the history database is (None if even that cannot be told)."""
    try:
        from lumatui.config import app_paths

        return app_paths().database
    except Exception:
        return None
