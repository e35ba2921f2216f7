"""The store's outputs: presigned links, downloads on disk, and downloads still to retry.

An output is fetched until it is on disk: a failed attempt records why and when the next
try is due (`attempts`, `next_try_at`), and survives restarts. Only `final` gives an output
up for good: a download lumatui refuses to make (another origin, over the size cap), or a
generation the API no longer has. Every write stamps the job with the change counter, so
other processes see an output arrive.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lumatui.engine.db import Database
from lumatui.engine.jobs import JobState
from lumatui.engine.rows import (
    MISSING_OUTPUT,
    job_in,
    select_outputs,
    settle_owner,
    touch,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lumatui.api.schema import GenerationOutput
    from lumatui.engine.db import Txn
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.media_kinds import VerifiedMedia

MAX_OUTPUTS = 16
"""The API returns one output per generation (a few for layering); more are cut short."""


def store_outputs(txn: Txn, job_id: str, outputs: Sequence[GenerationOutput], now: float) -> None:
    """Insert or refresh the links of a job's outputs (a file already on disk stays)."""
    for n, out in enumerate(outputs[:MAX_OUTPUTS]):
        layer = None if out.layer is None else out.layer.model_dump_json()
        txn.execute(
            "INSERT INTO outputs (job_id, n, media_type, url, url_fetched_at, layer_json)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, n) DO UPDATE SET"
            " media_type = excluded.media_type, url = excluded.url,"
            " url_fetched_at = excluded.url_fetched_at, layer_json = excluded.layer_json",
            (job_id, n, out.type, out.url, now, layer),
        )
    touch(txn, job_id)


class OutputRecords(Database):
    """Reads and writes of outputs (a part of JobStore)."""

    def record_outputs(
        self, job_id: str, outputs: Sequence[GenerationOutput], *, now: float | None = None
    ) -> list[Output]:
        """Store (or refresh) the presigned output URLs of a completed job."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            store_outputs(txn, job_id, outputs, now)
            return select_outputs(txn.db, "WHERE job_id = ? ORDER BY n", (job_id,))

    def record_download(
        self,
        job_id: str,
        index: int,
        local_path: str,
        size_bytes: int,
        sha256: str,
        *,
        media: VerifiedMedia | None = None,
        now: float | None = None,
    ) -> tuple[Job, Output]:
        """An output is on disk and verified (`media`: what it was verified to be, kept so
        nobody decodes it again); the job and the output as stored."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            txn.execute(
                "UPDATE outputs SET local_path = ?, size_bytes = ?, sha256 = ?, downloaded_at = ?,"
                " error = NULL, next_try_at = NULL, final = 0 WHERE job_id = ? AND n = ?",
                (local_path, size_bytes, sha256, now, job_id, index),
            )
            _set_facts(txn, job_id, index, media)
            touch(txn, job_id)
            settle_owner(txn, job_id)
            return job_in(txn, job_id), _one_output(txn, job_id, index)

    def record_media_facts(
        self, job_id: str, index: int, local_path: str, media: VerifiedMedia
    ) -> Output | None:
        """What an output downloaded before facts were kept turned out to be, measured once.

        Kept only while the output is still the file measured (`local_path`); None otherwise.
        """
        with self.transaction() as txn:
            row = txn.execute(
                "SELECT 1 FROM outputs WHERE job_id = ? AND n = ? AND local_path = ?",
                (job_id, index, local_path),
            ).fetchone()
            if row is None:
                return None
            _set_facts(txn, job_id, index, media)
            touch(txn, job_id)
            return _one_output(txn, job_id, index)

    def record_download_failure(
        self,
        job_id: str,
        index: int,
        message: str,
        *,
        next_try_at: float | None,
        final: bool = False,
    ) -> Output:
        """An attempt failed: why, and when the next one is due (or `final`: never again)."""
        with self.transaction() as txn:
            txn.execute(
                "UPDATE outputs SET error = ?, attempts = attempts + 1, next_try_at = ?,"
                " final = ? WHERE job_id = ? AND n = ?",
                (message, None if final else next_try_at, int(final), job_id, index),
            )
            touch(txn, job_id)
            settle_owner(txn, job_id)
            return _one_output(txn, job_id, index)

    def retry_downloads(self, job_id: str, *, now: float | None = None) -> list[Output]:
        """Try a job's missing outputs now, those given up for good too; returns them."""
        now = time.time() if now is None else now
        with self.transaction() as txn:
            txn.execute(
                "UPDATE outputs SET next_try_at = ?, final = 0, attempts = 0"
                " WHERE job_id = ? AND local_path IS NULL",
                (now, job_id),
            )
            touch(txn, job_id)
            return select_outputs(
                txn.db, f"WHERE job_id = ? AND {MISSING_OUTPUT} ORDER BY n", (job_id,)
            )

    def outputs(self, job_id: str) -> list[Output]:
        """The outputs of a job, in order."""
        with self.reading() as db:
            return select_outputs(db, "WHERE job_id = ? ORDER BY n", (job_id,))

    def pending_downloads(self, *, owner: str | None = None) -> list[Output]:
        """Outputs of completed jobs not on disk yet and not given up (of `owner`'s jobs)."""
        tail = f"WHERE {MISSING_OUTPUT}"
        params: tuple[object, ...] = ()
        if owner is not None:
            tail += " AND job_id IN (SELECT id FROM jobs WHERE owner = ? AND state = ?)"
            params = (owner, JobState.COMPLETED)
        with self.reading() as db:
            return select_outputs(db, f"{tail} ORDER BY rowid", params)


def _set_facts(txn: Txn, job_id: str, index: int, media: VerifiedMedia | None) -> None:
    """Keep what the file was verified to be (cleared when unknown: a new file)."""
    facts: tuple[object, ...] = (None,) * 5
    if media is not None:
        facts = (media.mime, media.width, media.height, media.duration_s, media.frame_count)
    txn.execute(
        "UPDATE outputs SET mime = ?, width = ?, height = ?, duration_s = ?, frame_count = ?"
        " WHERE job_id = ? AND n = ?",
        (*facts, job_id, index),
    )


def _one_output(txn: Txn, job_id: str, index: int) -> Output:
    """The output as this transaction sees it (KeyError when its job was removed)."""
    found = select_outputs(txn.db, "WHERE job_id = ? AND n = ?", (job_id, index))
    if not found:
        raise KeyError(f"{job_id}/{index}")
    return found[0]
