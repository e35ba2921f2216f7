"""Downloads: every output fetched until it is on disk, verified, moved into place atomically.

A file is streamed to a hidden temporary name next to its final place, checked (length,
decodes as the media it claims to be), hashed, and only then renamed to
`outputs/<generation-id>/<n>.<ext>`. The temporary name carries its writer's owner id
(`.<n>.<owner>.<random>.part`), so a sweep removes only the partial files of processes
that are dead, never one another live process is writing.

An output is never given up while its generation exists: a cut-off, a 5xx, a network
outage, a full disk or a file that does not verify is tried again with backoff (the next
try is stored, so it survives restarts), a link is refreshed with a GET right before a
fetch when it may have expired, and an expired one is refreshed at once. Only a download
lumatui refuses to make (another origin, over the size cap) or a generation the API no
longer has is final, and even those are tried again on request (`retry_now`).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lumatui.api import errors
from lumatui.api.download import output_cap, output_folder
from lumatui.api.retry import backoff_delay
from lumatui.engine.events import DownloadProgress, JobChanged, JobError, OutputReady
from lumatui.engine.media import MediaError, verify_file
from lumatui.engine.thumbnails import file_sha256

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine
    from pathlib import Path

    from lumatui.api.client import AgentsClient
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.events import EventBus
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.thumbnails import ThumbnailCache

log = logging.getLogger("lumatui.engine")
DEFAULT_MAX_BYTES = 2 * 1024**3
PROGRESS_STEP = 256 * 1024
RETRY_CAP_S = 120.0
DISK_FULL_CAP_S = 30.0
"""A full disk is tried again at least this often, so a freed disk is used soon."""
LINK_TTL_S = 3600.0
"""Luma's presigned links expire after an hour; one older than 80% of that is refreshed."""
MAX_UNVERIFIED = 5
"""A download that arrives whole but is not the media it claims, this many times in all, is
given up (hostile or broken content does not change by asking again; `retry_now` can)."""
LEGACY_PART_AGE_S = 600.0
"""A partial file without an owner in its name (older lumatui) is removed after this."""


@dataclass(frozen=True)
class _Failure:
    message: str
    final: bool = False
    refresh: bool = False
    cap: float = RETRY_CAP_S


class Downloader:
    """Fetches the outputs of this process's completed jobs, a few at a time."""

    def __init__(
        self,
        store: AsyncJobStore,
        client: AgentsClient,
        bus: EventBus,
        outputs_dir: Path,
        *,
        owner: str = "local",
        thumbnails: ThumbnailCache | None = None,
        max_parallel: int = 2,
        max_bytes: int = DEFAULT_MAX_BYTES,
        time_scale: float = 1.0,
        link_ttl_s: float = LINK_TTL_S,
        clock: Callable[[], float] = time.time,
        before_get: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._bus = bus
        self.outputs_dir = outputs_dir
        self._owner = owner
        self._thumbnails = thumbnails
        self._slots = asyncio.Semaphore(max_parallel)
        self._max_bytes = max_bytes
        self._time_scale = time_scale
        self._link_ttl = link_ttl_s * time_scale
        self._clock = clock
        self._before_get = before_get
        self._active: set[tuple[str, int]] = set()
        self._stale: set[tuple[str, int]] = set()
        self._kicks: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.attempts = 0

    # -- control --------------------------------------------------------------------------

    def enqueue(self, job: Job, outputs: list[Output] | None = None) -> None:
        """Fetch every output of `job` not on disk yet (`outputs` when the caller has them)."""
        self._start(self._discover(job.id, outputs))

    async def enqueue_pending(self) -> None:
        """Queue every missing output of this process's jobs (after start or adoption)."""
        owner = self._owner
        pending = await self._store.read(lambda s: s.pending_downloads(owner=owner))
        for job_id in dict.fromkeys(o.job_id for o in pending):
            self._start(self._discover(job_id, [o for o in pending if o.job_id == job_id]))

    async def retry_now(self, job_id: str) -> int:
        """Try a job's missing outputs now (those given up for good too); how many."""
        missing = await self._store.write(lambda s: s.retry_downloads(job_id))
        self._start(self._discover(job_id, missing))
        if job_id in self._kicks:
            self._kicks[job_id].set()
        return len(missing)

    async def idle(self) -> None:
        """Wait until no download is running or waiting."""
        await self._idle.wait()

    def cancel(self) -> None:
        """Cancel every download (their temporary files are removed)."""
        for task in list(self._tasks):
            task.cancel()

    def sweep_partial_files(self, alive: Callable[[str], bool]) -> int:
        """Delete partial files whose writer is dead (`alive(owner)` says); how many."""
        removed = 0
        if not self.outputs_dir.is_dir():
            return 0
        now = time.time()
        for part in self.outputs_dir.glob("*/.*.part"):
            pieces = part.name.split(".")
            if len(pieces) == 5:
                owner = pieces[2]
                if owner == self._owner or alive(owner):
                    continue
            else:
                try:
                    if now - part.stat().st_mtime < LEGACY_PART_AGE_S:
                        continue
                except OSError:
                    continue
            try:
                part.unlink()
            except OSError:
                continue
            removed += 1
        return removed

    # -- the work -------------------------------------------------------------------------

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        self._idle.clear()
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _discover(self, job_id: str, outputs: list[Output] | None) -> None:
        if outputs is None:
            outputs = await self._store.read(lambda s: s.outputs(job_id))
        for output in outputs:
            key = (job_id, output.index)
            if output.is_settled or key in self._active:
                continue
            self._active.add(key)
            self._start(self._fetch(job_id, output.index))

    async def _fetch(self, job_id: str, index: int) -> None:
        """Fetch one output until it is on disk, given up for good, or its job removed."""
        key = (job_id, index)
        surprises = 0
        try:
            while True:
                try:
                    if not await self._round(job_id, index):
                        return
                except (asyncio.CancelledError, KeyError):
                    raise
                except Exception:  # the store, say: try again later, never give up
                    surprises += 1
                    log.exception("download of %s/%d could not be recorded", job_id, index)
                    await asyncio.sleep(backoff_delay(surprises) * self._time_scale)
        except KeyError:
            return  # its job was removed
        finally:
            self._active.discard(key)

    async def _round(self, job_id: str, index: int) -> bool:
        """One wait-then-try of an output; False when there is nothing more to do."""
        output = await self._read_output(job_id, index)
        if output is None or output.is_settled:
            return False
        await self._until(output.next_try_at, job_id)
        async with self._slots:
            failure = await self._attempt(job_id, index)
        if failure is None:
            return False
        return await self._record(job_id, index, failure)

    async def _attempt(self, job_id: str, index: int) -> _Failure | None:
        """One try: refresh the link if needed, fetch, verify, move into place."""
        key = (job_id, index)
        self.attempts += 1
        try:
            output = await self._read_output(job_id, index)
            if output is None or output.is_settled:
                return None
            job = await self._store.read(lambda s: s.get(job_id))
            if key in self._stale or self._clock() - output.url_fetched_at > 0.8 * self._link_ttl:
                output = await self._refresh(job, index)
                self._stale.discard(key)
            await self._fetch_once(job, output)
            return None
        except KeyError:  # the job was removed from the history meanwhile
            return None
        except errors.DownloadExpired:
            self._stale.add(key)
            return _Failure(errors.DownloadExpired.summary, refresh=True)
        except errors.NotFound:
            return _Failure("the generation no longer exists at the API", final=True)
        except errors.DownloadRefused as err:
            return _Failure(str(err), final=True)
        except errors.DownloadFailed as err:
            if err.status is not None and 400 <= err.status < 500:
                self._stale.add(key)  # the file server no longer knows this link
            return _Failure(str(err))
        except MediaError as err:
            # A whole file that is not what it claims, again and again, will not change.
            attempts = output.attempts if output is not None else 0
            return _Failure(str(err), final=attempts + 1 >= MAX_UNVERIFIED)
        except errors.ApiError as err:
            return _Failure(str(err))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                return _Failure(f"the disk is full ({exc.strerror})", cap=DISK_FULL_CAP_S)
            return _Failure(f"could not write the file: {exc.strerror or exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one file's surprise must never stop the others
            log.exception("download of %s/%d failed unexpectedly", job_id, index)
            return _Failure(f"download failed unexpectedly: {exc!r}")

    async def _record(self, job_id: str, index: int, failure: _Failure) -> bool:
        """Store the failure and when to try next; False when there is no next try."""
        output = await self._read_output(job_id, index)
        if output is None:
            return False
        attempts = output.attempts + 1
        # An expired link is refreshed and tried at once; expired again right after, back off.
        again = output.error == failure.message
        delay = 0.0 if failure.refresh and not again else backoff_delay(attempts, cap=failure.cap)
        due = None if failure.final else self._clock() + delay * self._time_scale
        try:
            stored = await self._store.write(
                lambda s: s.record_download_failure(
                    job_id, index, failure.message, next_try_at=due, final=failure.final
                )
            )
        except KeyError:
            return False
        if failure.final or attempts in (1, 3) or attempts % 10 == 0:
            tail = "given up" if failure.final else "trying again"
            self._bus.publish(JobError(job_id, f"output {index + 1}: {failure.message} ({tail})"))
        return not stored.final

    async def _until(self, when: float | None, job_id: str) -> None:
        """Sleep until `when` (wall clock), or until `retry_now` kicks this job."""
        if when is None:
            return
        delay = when - self._clock()
        if delay <= 0:
            return
        kick = self._kicks.setdefault(job_id, asyncio.Event())
        kick.clear()
        try:
            async with asyncio.timeout(delay):
                await kick.wait()
        except TimeoutError:
            pass

    async def _read_output(self, job_id: str, index: int) -> Output | None:
        outputs = await self._store.read(lambda s: s.outputs(job_id))
        return next((o for o in outputs if o.index == index), None)

    async def _refresh(self, job: Job, index: int) -> Output:
        """GET the generation again for freshly signed links; the output with its new link."""
        assert job.generation_id is not None
        if self._before_get is not None:
            await self._before_get()  # the GET rate cap counts refreshes too
        generation = await self._client.get(job.generation_id)
        if not generation.output:
            raise errors.DownloadFailed("the API lists no outputs for this generation now")
        links = list(generation.output)
        outputs = await self._store.write(lambda s: s.record_outputs(job.id, links))
        found = next((o for o in outputs if o.index == index), None)
        if found is None:
            raise errors.DownloadFailed(f"the API no longer lists output {index + 1}")
        return found

    async def _fetch_once(self, job: Job, output: Output) -> None:
        assert job.generation_id is not None  # a UUID, checked by the schema: safe in a path
        # Never a symbolic link (checked and made off the event loop).
        folder = await asyncio.to_thread(output_folder, self.outputs_dir, job.generation_id)
        partial = folder / f".{output.index}.{self._owner}.{uuid.uuid4().hex}.part"
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
        if self._thumbnails is not None:  # before the store says "on disk": every process
            await self._make_thumbnails(final, media.kind, digest)  # then finds them made
        stored_job, stored = await self._store.write(
            lambda s: s.record_download(job.id, output.index, str(final), size, digest, media=media)
        )
        self._bus.publish(JobChanged(stored_job))
        self._bus.publish(OutputReady(stored_job, stored))

    async def _make_thumbnails(self, path: Path, kind: str, digest: str) -> None:
        assert self._thumbnails is not None
        try:
            if kind == "video":
                await asyncio.to_thread(self._thumbnails.video_frames, path, content_hash=digest)
            else:
                await asyncio.to_thread(self._thumbnails.thumbnail, path, content_hash=digest)
        except MediaError as err:
            log.info("no thumbnail for %s: %s", path, err)
