"""What has been uploaded where: file ids by content, and which APIs have no Files API.

The same bytes are never uploaded twice while their file lives: a file id is remembered
per content hash (SHA-256), base URL and key. The key itself is never stored, only a
salted hash of it that cannot be turned back into the key. An entry is used only while
the file has not expired (with a margin), and the caller checks the file is still ready
before using it. An API that answered `/files` with 404 or 405 is remembered per base URL
for a day, so lumatui falls back to inline data without asking again every time.

Its own SQLite file beside the history (several processes may use it at once: WAL).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploaded (
    content_sha256 TEXT NOT NULL,
    base_url TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    file_id TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    expires_at REAL,
    uploaded_at REAL NOT NULL,
    PRIMARY KEY (content_sha256, base_url, key_hash)
);
CREATE TABLE IF NOT EXISTS no_files_api (
    base_url TEXT PRIMARY KEY,
    since REAL NOT NULL
);
"""
EXPIRY_MARGIN_S = 600.0
"""A file this close to expiring is uploaded again rather than referenced."""
RECHECK_FILES_API_S = 86_400.0
"""How long "this API has no Files API" is believed before /files is tried again."""


def key_hash(api_key: str) -> str:
    """A one-way fingerprint of an API key: which key, never the key."""
    return hashlib.sha256(b"lumatui-file-ids\0" + api_key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Remembered:
    """One remembered upload."""

    file_id: str
    size_bytes: int
    mime_type: str
    expires_at: float | None
    uploaded_at: float


class FileIdCache:
    """Remembered uploads and Files-API support, in one small SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def lookup(
        self, content_sha256: str, base_url: str, key: str, *, now: float | None = None
    ) -> Remembered | None:
        """The file these bytes were uploaded as, if it has not expired (with a margin)."""
        now = time.time() if now is None else now
        with self._lock:
            row = self._db.execute(
                "SELECT file_id, size_bytes, mime_type, expires_at, uploaded_at FROM uploaded"
                " WHERE content_sha256 = ? AND base_url = ? AND key_hash = ?",
                (content_sha256, base_url, key),
            ).fetchone()
        if row is None:
            return None
        found = Remembered(*row)
        if found.expires_at is not None and found.expires_at - EXPIRY_MARGIN_S <= now:
            self.forget(found.file_id)
            return None
        return found

    def remember(
        self,
        content_sha256: str,
        base_url: str,
        key: str,
        *,
        file_id: str,
        size_bytes: int,
        mime_type: str,
        expires_at: float | None,
        now: float | None = None,
    ) -> None:
        """Remember that these bytes now live as `file_id`."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO uploaded VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (content_sha256, base_url, key, file_id, size_bytes, mime_type, expires_at, now),
            )

    def forget(self, file_id: str) -> None:
        """The file is gone (deleted, expired, failed): never reference it again."""
        with self._lock:
            self._db.execute("DELETE FROM uploaded WHERE file_id = ?", (file_id,))

    def mark_unsupported(self, base_url: str, *, now: float | None = None) -> None:
        """This API answered `/files` with 404 or 405."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO no_files_api VALUES (?, ?)", (base_url, now))

    def unsupported(self, base_url: str, *, now: float | None = None) -> bool:
        """True when this API was found to have no Files API within the last day."""
        now = time.time() if now is None else now
        with self._lock:
            row = self._db.execute(
                "SELECT since FROM no_files_api WHERE base_url = ?", (base_url,)
            ).fetchone()
        return row is not None and now - float(row[0]) < RECHECK_FILES_API_S
