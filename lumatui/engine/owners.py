"""Is that process still alive? Lock files the kernel lets go of when their holder dies.

Each lumatui process on a history holds an exclusive `flock` on its own lock file,
`owners/<owner-id>.lock` beside the database, from before it registers until it exits.
The kernel drops the lock when the process dies, however it dies (`kill -9` too), so
"can I take its lock?" means "it is dead". Nothing here trusts a pid: pids are reused, and
an owner id is never reused. A process on another machine (a history on a shared disk)
cannot be probed this way; it counts as alive while its heartbeat is recent.

The primary role is one more lock, `<database>.lock`: whoever holds it is the primary.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.engine.claims import ProcessRow

FOREIGN_STALE_S = 90.0
"""A process on another host whose heartbeat is older than this is taken for dead."""
HOST = socket.gethostname()


def new_owner_id() -> str:
    """A fresh owner id: the pid (for people reading it) and 12 random hex digits."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


def owners_dir(database: Path) -> Path:
    """The folder of the lock files beside the database."""
    return database.parent / "owners"


class HeldLock:
    """An exclusive flock on one file, held until `release` (or the process's death)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def try_take(cls, path: Path) -> HeldLock | None:
        """Take the lock on `path` (created if needed) without waiting; None if it is held."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    @property
    def held(self) -> bool:
        """True until released."""
        return self._fd is not None

    def release(self, *, unlink: bool = False) -> None:
        """Let go of the lock (removing the file first when asked: nobody else uses it)."""
        if self._fd is None:
            return
        if unlink:
            with contextlib.suppress(OSError):
                self.path.unlink()
        os.close(self._fd)
        self._fd = None


def take_owner_lock(database: Path, owner: str) -> HeldLock:
    """This process's liveness lock; taken before it registers, kept until it exits."""
    lock = HeldLock.try_take(owners_dir(database) / f"{owner}.lock")
    if lock is None:  # owner ids are unique: only a clash of 48 random bits gets here
        raise RuntimeError(f"the owner id {owner} is in use")
    return lock


def owner_alive(database: Path, owner: str) -> bool:
    """True while the process that registered `owner` on this host is alive."""
    path = owners_dir(database) / f"{owner}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        # Dead: its lock file is ours to remove (while we hold it, nobody else decides).
        with contextlib.suppress(OSError):
            path.unlink()
        return False
    finally:
        os.close(fd)


def process_alive(database: Path, row: ProcessRow, now: float) -> bool:
    """Whether a registered process is alive (by its lock here, by heartbeat elsewhere)."""
    if row.host != HOST:
        return now - row.heartbeat_at < FOREIGN_STALE_S
    return owner_alive(database, row.owner)


def primary_lock_path(database: Path) -> Path:
    """The primary's lock file."""
    return database.parent / f"{database.name}.lock"
