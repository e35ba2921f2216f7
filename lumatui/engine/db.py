"""SQLite connections for one history file: one writer under a lock, a pool of readers.

Several lumatui processes share one history (WAL mode). Writes are short `BEGIN IMMEDIATE`
transactions on the one write connection; a write waits for another process's write lock
for up to `busy_timeout` (never on the UI's event loop: see `AsyncJobStore`). Reads take a
connection from a pool, so a read never queues behind a write that is waiting for a lock
(in WAL a reader is never blocked by a writer). Every write transaction takes the next
value of the history's change counter (`Txn.rev`) and stamps the rows it touches with it.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lumatui.engine.migrations import migrate
from lumatui.engine.queries import register_functions

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

WRITE_BUSY_TIMEOUT_MS = 60_000
"""How long a write waits for another process's write lock (off the event loop)."""
READ_BUSY_TIMEOUT_MS = 5_000


def connect(path: Path | str, *, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL, foreign keys on, the job query's functions in."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    register_functions(db)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


class Txn:
    """One write transaction: its connection, and its change-counter value (taken on use)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._rev: int | None = None

    @property
    def rev(self) -> int:
        """The history's next change-counter value, the same for every row this writes."""
        if self._rev is None:
            (self._rev,) = self.db.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'rev' RETURNING value"
            ).fetchone()
        return self._rev

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run one statement in this transaction."""
        return self.db.execute(sql, tuple(params))


class Database:
    """The connections to one history file (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        self._db = connect(path, busy_timeout_ms=WRITE_BUSY_TIMEOUT_MS)
        migrate(self._db)
        self._readers: list[sqlite3.Connection] = []
        """The read connections not in use."""
        self._readers_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Close every connection (the last close checkpoints the WAL); a read under way on
        another thread closes its own when it ends (closed under it, the process crashed)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
            self._closed = True
        for reader in readers:
            reader.close()
        with self._write_lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Txn]:
        """A write transaction (`BEGIN IMMEDIATE`): all of it or none of it is stored."""
        with self._write_lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Txn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[sqlite3.Connection]:
        """A read connection from the pool; `snapshot` reads every statement at one instant."""
        with self._readers_lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the history is closed")
            reader = self._readers.pop() if self._readers else None
        if reader is None:
            reader = connect(self.path, busy_timeout_ms=READ_BUSY_TIMEOUT_MS)
        try:
            if snapshot:
                reader.execute("BEGIN")
            try:
                yield reader
            finally:
                if snapshot:
                    reader.execute("COMMIT")
        finally:
            with self._readers_lock:
                closed = self._closed
                if not closed:
                    self._readers.append(reader)
            if closed:
                reader.close()
