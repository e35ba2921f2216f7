"""Downloads: each completed output fetched once, verified, then moved into place atomically.

A file is streamed to a hidden temporary name next to its final place, checked (length,
decodes as the media it claims to be), hashed, and only then renamed to
`outputs/<generation-id>/<n>.<ext>`; a crash leaves at worst a `.part` file that is never
taken for an output and is swept on the next start. An expired presigned URL (403) is
refreshed with a GET of the generation. A corrupt file is an error on that job only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import TYPE_CHECKING

from lumatui.api import errors
from lumatui.api.download import output_cap, output_folder
from lumatui.engine.events import DownloadProgress, JobError, OutputReady
from lumatui.engine.media import MediaError, file_sha256, verify_file
from lumatui.engine.schedule import backoff_delay

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.api.client import AgentsClient
    from lumatui.engine.events import EventBus
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.media import ThumbnailCache
    from lumatui.engine.store import JobStore

log = logging.getLogger("lumatui.engine")
MAX_ATTEMPTS = 8
# The file server not answering at all (an outage, a laptop asleep) has its own, longer
# budget: with the backoff capped at two minutes, about an hour before an output is given up.
MAX_UNREACHABLE_ATTEMPTS = 36
MAX_REFRESHES = 3
DEFAULT_MAX_BYTES = 2 * 1024**3
PROGRESS_STEP = 256 * 1024


class Downloader:
    """Fetches the outputs of completed jobs, a few at a time."""

    def __init__(
        self,
        store: JobStore,
        client: AgentsClient,
        bus: EventBus,
        outputs_dir: Path,
        *,
        thumbnails: ThumbnailCache | None = None,
        max_parallel: int = 2,
        max_bytes: int = DEFAULT_MAX_BYTES,
        time_scale: float = 1.0,
    ) -> None:
        self._store = store
        self._client = client
        self._bus = bus
        self.outputs_dir = outputs_dir
        self._thumbnails = thumbnails
        self._slots = asyncio.Semaphore(max_parallel)
        self._max_bytes = max_bytes
        self._time_scale = time_scale
        self._active: set[tuple[str, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def sweep_partial_files(self) -> int:
        """Delete `.part` files a crash left behind; returns how many."""
        removed = 0
        if not self.outputs_dir.is_dir():
            return 0
        for part in self.outputs_dir.glob("*/.*.part"):
            part.unlink(missing_ok=True)
            removed += 1
        return removed

    def enqueue(self, job: Job) -> None:
        """Download every output of `job` that is not on disk yet."""
        for output in self._store.outputs(job.id):
            if output.is_downloaded or output.error is not None:
                continue
            key = (job.id, output.index)
            if key in self._active:
                continue
            self._active.add(key)
            self._idle.clear()
            task = asyncio.create_task(self._fetch(job.id, output.index))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def enqueue_pending(self) -> None:
        """Queue every output the store says is still missing (after a restart)."""
        for job_id in dict.fromkeys(o.job_id for o in self._store.pending_downloads()):
            self.enqueue(self._store.get(job_id))

    async def idle(self) -> None:
        """Wait until no download is running."""
        await self._idle.wait()

    def cancel(self) -> None:
        """Cancel every running download (their temporary files are removed)."""
        for task in self._tasks:
            task.cancel()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _fetch(self, job_id: str, index: int) -> None:
        try:
            async with self._slots:
                await self._fetch_with_retries(job_id, index)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let one file take the engine down
            log.exception("download of %s/%d failed unexpectedly", job_id, index)
            self._give_up(job_id, index, f"download failed unexpectedly: {exc!r}")
        finally:
            self._active.discard((job_id, index))

    async def _fetch_with_retries(self, job_id: str, index: int) -> None:
        """Fetch one output until it is on disk or given up (an error on the output).

        Three budgets: MAX_ATTEMPTS failed attempts (a cut-off download, a 5xx, a refresh that
        failed) and MAX_UNREACHABLE_ATTEMPTS attempts that got no answer at all, each with a
        backoff before the next; and MAX_REFRESHES expired links in a row, each refreshed
        with a GET of the generation at once. Every path ends in a file or an error.
        """
        failures = unreachable = 0
        expired_in_a_row = 0
        while True:
            output = self._output(job_id, index)
            try:
                await self._fetch_once(output)
                return
            except errors.DownloadExpired:
                expired_in_a_row += 1
                if expired_in_a_row > MAX_REFRESHES:
                    self._give_up(job_id, index, errors.DownloadExpired.summary)
                    return
                if await self._refresh(job_id):
                    continue
                # The GET for fresh links failed (a 5xx, a cut reply): back off, try again.
                message = errors.DownloadExpired.summary
            except (errors.DownloadTruncated, errors.DownloadFailed) as err:
                if not err.retryable:
                    self._give_up(job_id, index, err.message)
                    return
                expired_in_a_row = 0
                if isinstance(err, errors.DownloadFailed) and err.status is None:
                    unreachable += 1  # no answer at all: wait the outage out
                    if unreachable >= MAX_UNREACHABLE_ATTEMPTS:
                        self._give_up(job_id, index, err.message)
                        return
                    await asyncio.sleep(backoff_delay(unreachable) * self._time_scale)
                    continue
                message = err.message
            except (errors.DownloadRefused, MediaError) as err:
                self._give_up(job_id, index, str(err))
                return
            failures += 1
            if failures >= MAX_ATTEMPTS:
                self._give_up(job_id, index, message)
                return
            await asyncio.sleep(backoff_delay(failures) * self._time_scale)

    async def _refresh(self, job_id: str) -> bool:
        """GET the generation again for freshly signed URLs; False when that fails."""
        job = self._store.get(job_id)
        assert job.generation_id is not None
        try:
            generation = await self._client.get(job.generation_id)
        except errors.ApiError as err:
            log.info("could not refresh URLs of %s: %s", job.generation_id, err)
            return False
        self._store.record_outputs(job_id, generation.output or [])
        return bool(generation.output)

    async def _fetch_once(self, output: Output) -> None:
        job = self._store.get(output.job_id)
        assert job.generation_id is not None  # a UUID, checked by the schema: safe in a path
        folder = output_folder(self.outputs_dir, job.generation_id)  # never a symlink
        partial = folder / f".{output.index}.{uuid.uuid4().hex}.part"
        last_reported = [0]

        def progress(received: int, total: int | None) -> None:
            if received - last_reported[0] >= PROGRESS_STEP or received == total:
                last_reported[0] = received
                self._bus.publish(DownloadProgress(job.id, output.index, received, total))

        try:
            size = await self._client.download(
                output.url,
                partial,
                max_bytes=min(self._max_bytes, output_cap(output.media_type)),
                on_progress=progress,
            )
            kind = output.media_type if output.media_type in ("image", "video") else None
            media = await asyncio.to_thread(verify_file, partial, expected_kind=kind)
            digest = await asyncio.to_thread(file_sha256, partial)
            final = folder / f"{output.index}.{media.extension}"
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        self._store.record_download(job.id, output.index, str(final), size, digest)
        if self._thumbnails is not None:
            await self._make_thumbnails(final, media.kind, digest)
        stored = self._output(job.id, output.index)
        self._bus.publish(OutputReady(self._store.get(job.id), stored))

    async def _make_thumbnails(self, path: Path, kind: str, digest: str) -> None:
        assert self._thumbnails is not None
        try:
            if kind == "video":
                await asyncio.to_thread(self._thumbnails.video_frames, path, content_hash=digest)
            else:
                await asyncio.to_thread(self._thumbnails.thumbnail, path, content_hash=digest)
        except MediaError as err:
            log.info("no thumbnail for %s: %s", path, err)

    def _output(self, job_id: str, index: int) -> Output:
        return next(o for o in self._store.outputs(job_id) if o.index == index)

    def _give_up(self, job_id: str, index: int, message: str) -> None:
        self._store.record_download_error(job_id, index, message)
        self._bus.publish(JobError(job_id, f"output {index + 1}: {message}"))
