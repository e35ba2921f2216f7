"""The simulator's durable state: one SQLite file under the state dir, surviving restarts.

A generation's state is never written as it changes: the row holds its timeline (when it
starts processing, when it ends, and how) and the state is worked out from the clock, so
nothing needs a ticker and a restart keeps every job where it should be. Callers are
stored as the SHA-256 of their key, never the key.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lumatui.api.enums import GenerationState

if TYPE_CHECKING:
    from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    caller TEXT NOT NULL,
    type TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL NOT NULL,
    finish_at REAL NOT NULL,
    failure_code TEXT,
    failure_reason TEXT,
    price_usd REAL NOT NULL,
    output_kind TEXT NOT NULL,
    output_ext TEXT NOT NULL,
    output_duration_s REAL,
    render_state TEXT NOT NULL,
    render_error TEXT,
    plan TEXT NOT NULL,
    outputs_json TEXT
);
CREATE INDEX IF NOT EXISTS generations_caller ON generations (caller, finish_at);
"""

PENDING, READY, BROKEN, SKIPPED = "pending", "ready", "failed", "skipped"
"""Render states: not rendered yet, rendered, the renderer failed, no render needed."""


@dataclass(frozen=True)
class GenerationRow:
    """One stored generation: its identity, timeline, outcome, price and render."""

    id: str
    caller: str
    type: str
    model: str
    created_at: float
    started_at: float
    finish_at: float
    failure_code: str | None
    failure_reason: str | None
    price_usd: float
    output_kind: str
    output_ext: str
    output_duration_s: float | None
    render_state: str
    render_error: str | None
    plan: str
    outputs_json: str | None = None
    """The outputs a render made beyond one file: a JSON list of `{"name", "layer"}`."""

    def state_at(self, now: float) -> GenerationState:
        """The state at time `now`; a completed job waits for its render."""
        if now < self.started_at:
            return GenerationState.QUEUED
        if now < self.finish_at:
            return GenerationState.PROCESSING
        if self.failure_code is not None or self.render_state == BROKEN:
            return GenerationState.FAILED
        if self.render_state == READY:
            return GenerationState.COMPLETED
        return GenerationState.PROCESSING


_COLUMNS = ", ".join(GenerationRow.__dataclass_fields__)


class SimStore:
    """Thread-safe access to the simulator's SQLite database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync: durable across a process crash, no fsync per request.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(generations)")}
        if "outputs_json" not in columns:  # a state dir from before layering
            self._db.execute("ALTER TABLE generations ADD COLUMN outputs_json TEXT")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement under the store's lock (for the tables beside generations)."""
        return self._query(sql, params)

    def script(self, sql: str) -> None:
        """Run a schema script (CREATE ... IF NOT EXISTS) under the store's lock."""
        with self._lock:
            self._db.executescript(sql)

    def insert(self, row: GenerationRow) -> None:
        """Store a new generation."""
        values = tuple(getattr(row, name) for name in GenerationRow.__dataclass_fields__)
        marks = ", ".join("?" for _ in values)
        self._query(f"INSERT INTO generations ({_COLUMNS}) VALUES ({marks})", values)

    def get(self, generation_id: str) -> GenerationRow | None:
        """The generation with this id, whoever owns it."""
        rows = self._query(f"SELECT {_COLUMNS} FROM generations WHERE id = ?", (generation_id,))
        return GenerationRow(*rows[0]) if rows else None

    def pending_renders(self) -> list[GenerationRow]:
        """Generations whose output still has to be rendered (after a restart, say)."""
        rows = self._query(
            f"SELECT {_COLUMNS} FROM generations WHERE render_state = ? ORDER BY created_at",
            (PENDING,),
        )
        return [GenerationRow(*row) for row in rows]

    def finish_render(
        self,
        generation_id: str,
        *,
        error: str | None,
        duration_s: float | None = None,
        outputs_json: str | None = None,
    ) -> None:
        """Record a render as done (error None) or failed (with the error)."""
        state = READY if error is None else BROKEN
        self._query(
            "UPDATE generations SET render_state = ?, render_error = ?, output_duration_s = "
            "COALESCE(?, output_duration_s), outputs_json = COALESCE(?, outputs_json) "
            "WHERE id = ?",
            (state, error, duration_s, outputs_json, generation_id),
        )

    def active_jobs(self, caller: str, now: float) -> list[float]:
        """When each of the caller's active (queued or processing) jobs is due to end."""
        rows = self._query(
            "SELECT finish_at FROM generations WHERE caller = ? AND "
            "(finish_at > ? OR (render_state = ? AND failure_code IS NULL))",
            (caller, now, PENDING),
        )
        return sorted(float(r[0]) for r in rows)

    def spent(self, caller: str, now: float) -> float:
        """The caller's charges so far, less the refunds of jobs that have failed by `now`."""
        rows = self._query(
            "SELECT COALESCE(SUM(price_usd), 0) FROM generations WHERE caller = ? AND NOT "
            "(finish_at <= ? AND (failure_code IS NOT NULL OR render_state = ?))",
            (caller, now, BROKEN),
        )
        return float(rows[0][0])

    def committed(self, caller: str) -> float:
        """What the caller's jobs that are meant to complete cost, in all."""
        rows = self._query(
            "SELECT COALESCE(SUM(price_usd), 0) FROM generations "
            "WHERE caller = ? AND failure_code IS NULL",
            (caller,),
        )
        return float(rows[0][0])

    def count(self) -> int:
        """How many generations are stored."""
        return int(self._query("SELECT COUNT(*) FROM generations")[0][0])
