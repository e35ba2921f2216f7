"""The simulator's uploaded files: one table beside the generations, states worked out from times.

Like a generation, a file's state is never written as it changes: the row says when its
bytes arrived, when ingest ends and how, when it expires or was deleted, and `state_at`
works the state out from the clock. Bytes live under `uploads/<id>.bin` in the state dir.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from lumatui.api.enums import FileState

if TYPE_CHECKING:
    from lumatui.sim.store import SimStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    caller TEXT NOT NULL,
    created_at REAL NOT NULL,
    mime_type TEXT NOT NULL,
    purpose TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    filename TEXT,
    user_id TEXT,
    expires_at REAL,
    deleted_at REAL,
    presigned INTEGER NOT NULL,
    upload_expires_at REAL,
    received INTEGER NOT NULL,
    ready_at REAL,
    failure_reason TEXT,
    kind TEXT,
    duration_s REAL
);
CREATE INDEX IF NOT EXISTS files_by_caller ON files (caller, created_at, id);
"""


@dataclass(frozen=True)
class FileRow:
    """One stored file: who owns it, what it claims to be, and its timeline.

    `ready_at` is None until ingest has started (a multipart upload, or a presigned one
    after `complete`); from then on the file is pending until `ready_at`, then failed when
    `failure_reason` is set, else ready. `kind` and `duration_s` are what ingest found.
    """

    id: str
    caller: str
    created_at: float
    mime_type: str
    purpose: str
    size_bytes: int
    filename: str | None
    user_id: str | None
    expires_at: float | None
    deleted_at: float | None
    presigned: bool
    upload_expires_at: float | None
    received: bool
    ready_at: float | None
    failure_reason: str | None
    kind: str | None
    duration_s: float | None

    def state_at(self, now: float) -> FileState:
        """The file's state at time `now`."""
        if self.gone_at(now) is not None:
            return FileState.DELETED
        if self.ready_at is None or now < self.ready_at:
            return FileState.PENDING
        return FileState.FAILED if self.failure_reason else FileState.READY

    def gone_at(self, now: float) -> float | None:
        """When the file was deleted or expired, if it has been by `now`."""
        if self.deleted_at is not None and now >= self.deleted_at:
            return self.deleted_at
        if self.expires_at is not None and now >= self.expires_at:
            return self.expires_at
        return None


_NAMES = [f.name for f in fields(FileRow)]
_COLUMNS = ", ".join(_NAMES)


class FileTable:
    """Reads and writes of the files table, through the simulator store's connection."""

    def __init__(self, store: SimStore) -> None:
        self._store = store
        store.script(SCHEMA)

    def insert(self, row: FileRow) -> None:
        """Store a new file."""
        values = tuple(getattr(row, name) for name in _NAMES)
        marks = ", ".join("?" for _ in values)
        self._store.query(f"INSERT INTO files ({_COLUMNS}) VALUES ({marks})", values)

    def get(self, file_id: str) -> FileRow | None:
        """The file with this id, whoever owns it."""
        rows = self._store.query(f"SELECT {_COLUMNS} FROM files WHERE id = ?", (file_id,))
        return _row(rows[0]) if rows else None

    def update(self, file_id: str, **values: Any) -> None:
        """Change some columns of one file."""
        sets = ", ".join(f"{name} = ?" for name in values)
        self._store.query(f"UPDATE files SET {sets} WHERE id = ?", (*values.values(), file_id))

    def page(self, caller: str, *, after: tuple[float, str] | None, limit: int) -> list[FileRow]:
        """The caller's files newest first, those strictly after the keyset `after`."""
        if after is None:
            rows = self._store.query(
                f"SELECT {_COLUMNS} FROM files WHERE caller = ? "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (caller, limit),
            )
        else:
            created, last_id = after
            rows = self._store.query(
                f"SELECT {_COLUMNS} FROM files WHERE caller = ? AND "
                "(created_at < ? OR (created_at = ? AND id < ?)) "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (caller, created, created, last_id, limit),
            )
        return [_row(r) for r in rows]


def _row(values: tuple[Any, ...]) -> FileRow:
    data = dict(zip(_NAMES, values, strict=True))
    data["presigned"] = bool(data["presigned"])
    data["received"] = bool(data["received"])
    return FileRow(**data)
