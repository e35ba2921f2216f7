"""What other processes wrote: a cheap check of the history's change counter, then the rows.

`PRAGMA data_version` on a connection changes when any *other* connection (this process's
engine, or another process) commits to the database; reading it costs microseconds and
no lock. Only when it moved does the feed read what changed: jobs whose `rev` is newer
than the last one seen, and tombstones of removed jobs. A workstation polls the feed a
few times a second (off its event loop), so every process's changes reach every screen
within a second.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lumatui.engine.claims import Changes
from lumatui.engine.db import READ_BUSY_TIMEOUT_MS, connect
from lumatui.engine.rows import select_jobs

if TYPE_CHECKING:
    from pathlib import Path


class ChangeFeed:
    """Reads what changed in the history since the last poll (one connection of its own).

    `poll` runs on a reader thread while `close` comes from the event loop (the screen
    unmounting): a lock keeps the connection from being closed under a running poll, which
    would crash the process inside SQLite, and a poll after `close` reads nothing.
    """

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path, busy_timeout_ms=READ_BUSY_TIMEOUT_MS)
        self._lock = threading.Lock()
        self._closed = False
        self._version: int | None = None
        self.rev = self._counter()
        """The change counter up to which everything has been read."""
        self.polls = 0
        self.reads = 0

    def _counter(self) -> int:
        (rev,) = self._db.execute("SELECT value FROM counters WHERE name = 'rev'").fetchone()
        return int(rev)

    def poll(self) -> Changes | None:
        """What changed since the last poll, or None when nothing did (or it is closed)."""
        with self._lock:
            return None if self._closed else self._poll()

    def _poll(self) -> Changes | None:
        self.polls += 1
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        if version == self._version:
            return None
        self._version = version
        self.reads += 1
        self._db.execute("BEGIN")
        try:
            jobs = select_jobs(self._db, "WHERE rev > ? ORDER BY rev", (self.rev,))
            removed = [
                job_id
                for (job_id,) in self._db.execute(
                    "SELECT job_id FROM removed WHERE rev > ?", (self.rev,)
                )
            ]
            rev = self._counter()
        finally:
            self._db.execute("COMMIT")
        self.rev = max(rev, self.rev)
        if not jobs and not removed:
            return None
        return Changes(jobs, removed, self.rev)

    def close(self) -> None:
        """Close the feed's connection (once a poll under way has ended)."""
        with self._lock:
            self._closed = True
            self._db.close()
