"""A large local video through the composer: made, sent, and every read of it audited.

Shared by the suite (a 12 MB clip) and `bench/big_upload.py` (180 MB). The clip is a real
H.264 MP4 (a 2 s encode) followed by a top-level `free` box of zeros up to the size asked
for: a player, the simulator's probe and its renderer read it as the short clip it is, and
the file is as large as a real one on disk (written sparse, so making it takes no time).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.widgets import Select, TextArea

from lumatui.tui.widgets.composer.ref_field import RefField
from tests.tui.conftest import wait_until
from tests.tui.keyboard import burst
from tests.tui.preview_host import write_mp4

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp


def padded_mp4(path: Path, size: int) -> Path:
    """A decodable MP4 of exactly `size` bytes: a short clip, then a `free` box of zeros."""
    write_mp4(path)
    clip = path.stat().st_size
    padding = size - clip
    if padding < 16:
        raise ValueError(f"{size} bytes is not larger than the clip itself ({clip})")
    with path.open("r+b") as handle:
        handle.seek(clip)
        if padding <= 0xFFFFFFFF:
            handle.write(struct.pack(">I4s", padding, b"free"))
        else:  # a 64-bit box size
            handle.write(struct.pack(">I4sQ", 1, b"free", padding))
        handle.truncate(size)  # the rest of the box: zeros, sparse on disk
    return path


@dataclass
class ReadAudit:
    """Every read of one file by this process (size of each `read()`), and whole reads."""

    path: Path
    reads: list[int] = field(default_factory=list)
    whole_reads: int = 0

    @property
    def largest(self) -> int:
        """The largest single read, in bytes."""
        return max(self.reads, default=0)


class _Audited:
    """A file object whose reads are logged (everything else passes through)."""

    def __init__(self, handle: Any, audit: ReadAudit) -> None:
        self._handle = handle
        self._audit = audit

    def read(self, size: int = -1) -> Any:
        data = self._handle.read(size)
        if size is None or size < 0:
            self._audit.whole_reads += 1
        self._audit.reads.append(len(data))
        return data

    def __enter__(self) -> _Audited:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@contextlib.contextmanager
def audit_reads(path: Path) -> Iterator[ReadAudit]:
    """Log every `open()`-based read of `path` in this process (Path.open, read_bytes...)."""
    audit = ReadAudit(path)
    real_open = io.open
    target = os.path.realpath(path)

    def opening(file: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, *args, **kwargs)
        is_target = isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == target
        return _Audited(handle, audit) if is_target else handle

    io.open = opening  # pathlib opens through io.open
    try:
        yield audit
    finally:
        io.open = real_open


@dataclass
class Sent:
    """What sending the clip as a video_edit from the composer did."""

    job: Job
    body: dict[str, Any]
    request_bytes: int
    status: str
    toasts: list[str]
    """Every notification shown meanwhile."""
    upload_seconds: float
    """From ctrl+j until the request was handed to the engine (hashing and uploading)."""


async def send_video_edit(
    app: LumaApp, pilot: Pilot[None], clip: Path, *, rounds: int = 3_000
) -> Sent:
    """Type a video_edit with `clip` as its source, ctrl+j, and wait until it completed."""
    shown: list[str] = []
    real_notify = app.notify

    def notify(message: Any, *args: Any, **kwargs: Any) -> None:
        shown.append(str(message))  # every one: a notification leaves the screen after 3 s
        real_notify(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    try:
        return await _send(app, pilot, clip, rounds, shown)
    finally:
        app.notify = real_notify  # type: ignore[method-assign]


async def _send(
    app: LumaApp, pilot: Pilot[None], clip: Path, rounds: int, shown: list[str]
) -> Sent:
    composer = app.main_screen.composer
    composer.query_one("#prompt-text", TextArea).focus()
    await pilot.pause()
    await burst(pilot, *"make it snow")
    composer.query_one("#type", Select).value = "video_edit"
    await wait_until(pilot, lambda: bool(composer.query("#source")))
    source = composer.query_one("#source", RefField)
    source.set_text(str(clip))
    await pilot.pause()
    await source.settle()  # the file is checked (a stat and its first bytes) in a thread
    await pilot.pause()
    status = str(source.query_one(".ref-status").render())
    assert source.pending_upload is not None, status
    composer.focus_prompt()
    started = time.perf_counter()
    await pilot.press("ctrl+j")
    # Hashing and uploading take as long as the disk and the wire do: await that work itself
    # (a count of idle turns would run out first).
    for worker in [w for w in app.workers if w.group == "submit"]:
        await worker.wait()
    upload_seconds = time.perf_counter() - started
    assert app.engine is not None
    store = app.engine.store
    query = app.main_screen.job_list.job_query

    def finished() -> bool:
        if any(text.startswith("Not sent") for text in shown):
            return True  # the upload failed: no job will come
        jobs = store.page(query)
        return bool(jobs) and jobs[0].state in ("completed", "failed", "rejected")

    try:
        await wait_until(pilot, finished, rounds=rounds)
    except AssertionError:
        jobs = store.page(query)
        state = [(j.state, j.failure_reason, j.note) for j in jobs]
        raise AssertionError(f"not finished: jobs {state}, notices {shown}") from None
    assert not [t for t in shown if t.startswith("Not sent")], shown
    (job,) = store.page(query)
    body = json.loads(job.request_json)
    return Sent(job, body, len(job.request_json), status, shown, upload_seconds)
