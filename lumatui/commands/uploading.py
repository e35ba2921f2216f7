"""Uploads for the command line: local media found in flags, uploaded before a job is sent.

`RefResolver` (request_flags) turns a local file that must be uploaded (a video, or larger
than the inline cap) into a placeholder `{"file_id": ...}` object and a `PendingUpload`;
the body validates with it, nothing is read yet. Once the backend is open,
`upload_pending` uploads each file (progress on stderr), and the placeholder object is
filled in place with the real reference, so the request is built from the final body.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lumatui.commands.common import warn

if TYPE_CHECKING:
    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.uploads import LocalMedia, Uploader

PROGRESS_EVERY_S = 1.0


@dataclass
class PendingUpload:
    """A local file waiting to be uploaded, and the reference object it will fill."""

    flag: str
    media: LocalMedia
    ref: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A stand-in id, so the body validates before anything is uploaded.
        self.ref.clear()
        self.ref["file_id"] = str(uuid.uuid4())


def open_uploader(backend: Backend, paths: AppPaths, settings: Settings) -> Uploader:
    """An Uploader on the backend's client whose warnings go to stderr."""
    from lumatui import backend as backends

    return backends.open_uploader(
        backend, paths, settings, warn=lambda message: warn(f"lumatui: {message}")
    )


class ProgressLine:
    """Upload progress on stderr: a percentage now and then, never a flood."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._last = 0.0
        self._done = False

    def __call__(self, sent: int, total: int) -> None:
        from lumatui.engine.uploads import size_text

        now = time.monotonic()
        finished = sent >= total
        if (finished and not self._done) or now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            self._done = finished
            percent = 100 * sent // max(1, total)
            print(
                f"lumatui: {self.label}: {percent}% of {size_text(total)} uploaded",
                file=sys.stderr,
                flush=True,
            )


async def upload_pending(uploader: Uploader, pending: list[PendingUpload]) -> None:
    """Upload every pending file and fill its reference object in place."""
    for item in pending:
        label = f"{item.flag} {item.media.path.name}"
        reference = await uploader.reference_for(item.media, on_progress=ProgressLine(label))
        item.ref.clear()
        item.ref.update(reference)
        if "file_id" in reference:
            warn(f"lumatui: {label}: sent as file {reference['file_id']}")
