"""Salvage a damaged history database: keep a copy, rebuild what still reads.

A disk that filled up, a copy cut short or a bad sector can leave `lumatui.db` truncated or
corrupt. `repair_history` never edits the damaged file: it copies it (with its -wal and -shm)
beside itself as `lumatui.db.damaged-<UTC time>`, builds a fresh database with the current
schema, copies every row that still reads, table by table (row by row past a bad page), and
only then moves the rebuilt file into place. Python's `sqlite3` has no `.recover`; reading
by rowid ranges gets past most damaged pages the same way.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lumatui.engine.migrations import migrate

if TYPE_CHECKING:
    from pathlib import Path

# Parents before children, so rows that refer to others find them.
TABLES = ("jobs", "state_changes", "outputs", "edges")
_SIDE_FILES = ("-wal", "-shm")
_ROWID_GAP = 10_000  # rowids probed past the last readable one before a table is done


@dataclass
class RepairReport:
    """What `repair_history` found and did."""

    database: Path
    healthy: bool
    problem: str | None = None
    backup: Path | None = None
    copied: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    unreadable_tables: list[str] = field(default_factory=list)


def check_history(database: Path) -> str | None:
    """None when the database opens and passes `PRAGMA quick_check`; else what is wrong."""
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
            db.execute("SELECT count(*) FROM jobs").fetchone()
    except sqlite3.Error as exc:
        return str(exc) or type(exc).__name__
    problems = [" ".join(str(row[0]).split()) for row in rows if row and row[0] != "ok"]
    return "; ".join(problems[:3]) if problems else None


def preflight(database: Path) -> None:
    """Open the history and take its write lock for an instant; sqlite3.Error if it cannot be.

    Cheap (no scan): it catches a file that is not a database and a read-only or full disk
    before a full-screen app starts, so they are said in one line instead of a crash.
    """
    with contextlib.closing(sqlite3.connect(str(database), timeout=5.0)) as db:
        db.execute("PRAGMA user_version").fetchone()
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")


def repair_history(database: Path, *, now: datetime | None = None) -> RepairReport:
    """Keep a copy of a damaged history and rebuild what can be read; a healthy one is left."""
    problem = check_history(database)
    if problem is None:
        return RepairReport(database, healthy=True)
    report = RepairReport(database, healthy=False, problem=problem)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    report.backup = database.with_name(f"{database.name}.damaged-{stamp}")
    shutil.copy2(database, report.backup)
    for suffix in _SIDE_FILES:
        side = database.with_name(database.name + suffix)
        if side.exists():
            shutil.copy2(side, report.backup.with_name(report.backup.name + suffix))
    rebuilt = database.with_name(f"{database.name}.rebuilding")
    rebuilt.unlink(missing_ok=True)
    try:
        _rebuild(report.backup, rebuilt, report)
        for suffix in _SIDE_FILES:  # they belong to the damaged file, now kept in the copy
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        rebuilt.replace(database)
    finally:
        rebuilt.unlink(missing_ok=True)
    return report


def _rebuild(damaged: Path, target: Path, report: RepairReport) -> None:
    with contextlib.closing(sqlite3.connect(str(target), isolation_level=None)) as new:
        migrate(new)
        new.execute("PRAGMA foreign_keys = OFF")
        try:
            old = sqlite3.connect(f"{damaged.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            report.unreadable_tables = list(TABLES)
            return
        with contextlib.closing(old):
            new.execute("BEGIN")
            for table in TABLES:
                _copy_table(old, new, table, report)
            new.execute("COMMIT")
        new.execute("PRAGMA foreign_keys = ON")


def _copy_table(
    old: sqlite3.Connection, new: sqlite3.Connection, table: str, report: RepairReport
) -> None:
    wanted = [row[1] for row in new.execute(f"PRAGMA table_info({table})")]
    try:
        present = {row[1] for row in old.execute(f"PRAGMA table_info({table})")}
    except sqlite3.Error:
        present = set()
    columns = [name for name in wanted if name in present]
    if not columns:
        report.unreadable_tables.append(table)
        return
    names = ", ".join(columns)
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    rows, lost = _readable_rows(old, table, names)
    copied = 0
    for row in rows:
        try:
            new.execute(insert, row)
            copied += 1
        except sqlite3.Error:
            lost += 1
    report.copied[table] = copied
    report.lost[table] = lost


def _readable_rows(
    old: sqlite3.Connection, table: str, names: str
) -> tuple[list[tuple[object, ...]], int]:
    """Every row that still reads (in rowid order), and how many rowids failed to read."""
    rows: list[tuple[object, ...]] = []
    last = 0
    try:
        for row in old.execute(f"SELECT rowid, {names} FROM {table} ORDER BY rowid"):
            rows.append(tuple(row[1:]))
            last = row[0]
        return rows, 0
    except sqlite3.Error:
        pass  # a bad page: go on row by row past it
    lost = 0
    misses = 0
    rowid = last
    while misses < _ROWID_GAP:
        rowid += 1
        try:
            found = old.execute(f"SELECT {names} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.Error:
            lost += 1
            misses += 1
            continue
        if found is None:
            misses += 1
            continue
        rows.append(tuple(found))
        last, misses = rowid, 0
    return rows, lost
