"""The store's versioned schema: each migration runs once, in order, inside a transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: jobs, their state history, outputs and lineage edges.
    """
    CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        generation_id TEXT UNIQUE,
        type TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request_json TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        submitted_at REAL,
        finished_at REAL,
        server_created_at TEXT,
        failure_code TEXT,
        failure_reason TEXT,
        note TEXT
    );
    CREATE INDEX jobs_by_state ON jobs (state, seq);
    CREATE INDEX jobs_by_kind ON jobs (model, type, state, finished_at);
    CREATE TABLE state_changes (
        job_seq INTEGER NOT NULL REFERENCES jobs (seq),
        state TEXT NOT NULL,
        at REAL NOT NULL,
        detail TEXT
    );
    CREATE INDEX state_changes_by_job ON state_changes (job_seq, at);
    CREATE TABLE outputs (
        job_id TEXT NOT NULL REFERENCES jobs (id),
        n INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        url TEXT NOT NULL,
        url_fetched_at REAL NOT NULL,
        local_path TEXT,
        size_bytes INTEGER,
        sha256 TEXT,
        downloaded_at REAL,
        error TEXT,
        PRIMARY KEY (job_id, n)
    );
    CREATE TABLE edges (
        child_id TEXT NOT NULL REFERENCES jobs (id),
        parent_generation_id TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (child_id, parent_generation_id, role)
    );
    CREATE INDEX edges_by_parent ON edges (parent_generation_id);
    """,
    # 2: layer metadata of each output of a layering job (JSON: index, label, description,
    # alpha_hint), as the API reported it.
    """
    ALTER TABLE outputs ADD COLUMN layer_json TEXT;
    """,
    # 3: many processes on one history. Each job that may be sent, is in flight or has
    # outputs to fetch has an owner (a live process, see `processes`); every write bumps the
    # history's change counter (`counters.rev`) and stamps the rows it touched with it, so
    # another process reads only what changed; removed jobs leave a tombstone. Downloads are
    # retried (attempts, next try) instead of being given up: only `final` is for good.
    """
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    ALTER TABLE jobs ADD COLUMN orphan TEXT NOT NULL DEFAULT 'send';
    ALTER TABLE jobs ADD COLUMN due_at REAL;
    ALTER TABLE jobs ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_by_owner ON jobs (owner) WHERE owner IS NOT NULL;
    CREATE INDEX jobs_by_rev ON jobs (rev);
    ALTER TABLE outputs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outputs ADD COLUMN next_try_at REAL;
    ALTER TABLE outputs ADD COLUMN final INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outputs_missing ON outputs (job_id) WHERE local_path IS NULL AND final = 0;
    UPDATE outputs SET error = NULL WHERE local_path IS NULL;
    CREATE TABLE processes (
        owner TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        started_at REAL NOT NULL,
        kind TEXT NOT NULL,
        role TEXT NOT NULL,
        heartbeat_at REAL NOT NULL
    );
    CREATE TABLE removed (
        job_id TEXT PRIMARY KEY,
        rev INTEGER NOT NULL
    );
    CREATE INDEX removed_by_rev ON removed (rev);
    CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    INSERT INTO counters VALUES ('rev', 0)
    """,
    # 5 (the stars-and-batches migration; 4 is output facts, from another branch): jobs sent
    # together (a prompt's alternatives times N runs) share a batch id and its label (the
    # prompt as written); `starred` is a lasting mark a person puts on a job.
    """
    ALTER TABLE jobs ADD COLUMN batch_id TEXT;
    ALTER TABLE jobs ADD COLUMN batch_label TEXT;
    ALTER TABLE jobs ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_by_batch ON jobs (batch_id, seq) WHERE batch_id IS NOT NULL;
    CREATE INDEX jobs_starred ON jobs (seq) WHERE starred = 1
    """,
)


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the database (opened in autocommit mode) to the latest schema; returns its version."""
    while True:
        # Read the version inside the write lock: two processes opening a new history at
        # once must not both run the same migration.
        connection.execute("BEGIN IMMEDIATE")
        try:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"the history database is from a newer lumatui (schema {version});"
                    " upgrade lumatui"
                )
            if version == len(MIGRATIONS):
                connection.execute("COMMIT")
                return len(MIGRATIONS)
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
