"""`lumatui doctor --repair`: check the history database, rebuild it if it is damaged."""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import TYPE_CHECKING

from lumatui.commands.common import EXIT_CONFIG, CommandError, print_json, warn

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def repair(*, json_mode: bool) -> int:
    """Repair the history under LUMATUI_HOME (or the user's dirs); returns the exit code."""
    from lumatui.config import app_paths
    from lumatui.engine.repair import repair_history

    database = app_paths().database
    if not database.exists():
        return _say(
            {"database": str(database), "healthy": True, "note": "no history yet"}, json_mode
        )
    with _sole_user(database):
        report = repair_history(database)
    result = {
        "database": str(database),
        "healthy": report.healthy,
        "problem": report.problem,
        "backup": str(report.backup) if report.backup else None,
        "copied": report.copied,
        "lost": report.lost,
        "unreadable_tables": report.unreadable_tables,
    }
    return _say(result, json_mode)


def _say(result: dict[str, object], json_mode: bool) -> int:
    if json_mode:
        print_json(result)
        return 0
    if result["healthy"]:
        print(f"the history {result['database']} is healthy; nothing to repair")
        return 0
    print(f"the history {result['database']} was damaged: {result['problem']}")
    print(f"  a copy of it as it was: {result['backup']}")
    copied, lost = result["copied"], result["lost"]
    assert isinstance(copied, dict) and isinstance(lost, dict)
    for table, rows in copied.items():
        missing = f", {lost[table]} unreadable" if lost.get(table) else ""
        print(f"  {table}: {rows} rows rebuilt{missing}")
    for table in result["unreadable_tables"]:  # type: ignore[attr-defined]
        print(f"  {table}: nothing could be read")
    warn("lumatui doctor: the history was rebuilt; jobs it lost can be found in the copy")
    return 0


@contextlib.contextmanager
def _sole_user(database: Path) -> Iterator[None]:
    """Hold the history's primary lock, so no engine writes while it is rebuilt."""
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandError(
                "another lumatui is using this history; quit it, then run the repair again",
                EXIT_CONFIG,
            ) from None
        yield
    finally:
        os.close(fd)
