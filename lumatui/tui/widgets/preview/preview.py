"""The preview: the selected job's output as a thumbnail, and everything known about it.

Decoding and scaling run in an exclusive thread worker; every request carries a token, and
a result whose token is no longer current (the selection moved on) is dropped, so moving
through the list never stutters and never shows the wrong picture. The widget never calls
the API: the app feeds it `show`, `job_updated`, `output_ready` and `download_progress`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import ProgressBar, Static

from lumatui.engine.astore import AsyncJobStore
from lumatui.tui.deferred import deferred
from lumatui.tui.widgets.preview.details import DownloadState, MediaInfo, details_content
from lumatui.tui.widgets.preview.thumbnail import (
    LoadedMedia,
    image_widget_class,
    load_media,
    requested_protocol,
    set_image,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import ComposeResult

    from lumatui.engine.jobs import Job, JobState, Output
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

FRAME_NAMES = ("first", "middle", "last")
_MediaKey = tuple[str, int, str | None, str | None]


class Preview(VerticalScroll, can_focus=True):
    """The selected job's output (three frames for a video) above its details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "previous_output",
            "Prev output",
            id="preview.previous_output",
            tooltip="Show the previous output of this job",
        ),
        Binding(
            "right_square_bracket",
            "next_output",
            "Next output",
            id="preview.next_output",
            tooltip="Show the next output of this job",
        ),
    ]

    @dataclass
    class MediaLoaded(Message):
        """The thumbnail worker finished; `token` says which request it answers."""

        token: int
        key: _MediaKey
        media: LoadedMedia

    def __init__(
        self,
        store: AsyncJobStore | JobStore,
        thumbnails: ThumbnailCache,
        *,
        renderer: str | None = None,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Preview jobs from `store`; `renderer` forces a textual-image renderer (halfcell, ...)."""
        super().__init__(name=name, id=id, classes=classes)
        self.protocol = requested_protocol(renderer)
        self._store = store if isinstance(store, AsyncJobStore) else AsyncJobStore(store)
        self._rows_token = 0
        self._thumbnails = thumbnails
        self._clock = clock
        self._job: Job | None = None
        self._outputs: list[Output] = []
        self._history: list[tuple[JobState, float, str | None]] = []
        self._index = 0
        self._token = 0
        self._shown_key: _MediaKey | None = None
        self._media: MediaInfo | None = None
        self._known: dict[tuple[str, str | None], MediaInfo] = {}
        self._downloads: dict[int, DownloadState] = {}
        self._composed = False
        self._detail_rows = -1
        self.stale_results = 0
        """How many worker results were dropped because the selection had moved on."""

    @property
    def job(self) -> Job | None:
        """The job shown."""
        return self._job

    @property
    def current_output(self) -> Output | None:
        """The output shown (the app opens its local file with the system viewer)."""
        return self._outputs[self._index] if self._outputs else None

    def compose(self) -> ComposeResult:
        """A message line, three frame cells, the download bar and the details."""
        yield Static(classes="preview-message")
        image_class = image_widget_class(self.protocol)
        with Horizontal(classes="preview-frames"):
            for name in FRAME_NAMES:
                with Vertical(classes=f"preview-frame preview-frame-{name}"):
                    if image_class is not None:
                        yield image_class(classes="preview-image")
                    yield Static(classes="preview-caption")
        # Hidden until an output of the shown job downloads: with no total it would draw an
        # indeterminate bar that animates (and repaints) forever.
        bar = ProgressBar(classes="preview-download", show_eta=False)
        bar.display = False
        yield bar
        yield Static(classes="preview-details")

    def on_mount(self) -> None:
        """Start empty; tick once a second for countdowns and running timers."""
        self._composed = True
        self._show_media(None, "Select a job to see its output here.")
        self.set_interval(1.0, self._tick)

    def show(self, job: Job | None) -> None:
        """Show `job` (or nothing); its first output unless it is the job already shown."""
        if job is None or self._job is None or job.id != self._job.id:
            self._index = 0
            self._downloads.clear()
            self._media = None
            self._outputs, self._history = [], []  # until the worker has read this job's
        self._job = job
        self._reload()

    def job_updated(self, job: Job) -> None:
        """A job changed; if it is the one shown, show it as it is now."""
        if self._job is not None and job.id == self._job.id:
            self._job = job
            self._reload()

    def output_ready(self, job_id: str) -> None:
        """An output of `job_id` is on disk: show it if that job is shown."""
        if self._job is not None and job_id == self._job.id:
            self._downloads.clear()
            self._reload()

    def download_progress(self, job_id: str, index: int, received: int, total: int | None) -> None:
        """Bytes of an output received so far: a bar while the shown output downloads."""
        if self._job is None or job_id != self._job.id:
            return
        self._downloads[index] = DownloadState(received, total)
        if index == self._index:
            self._show_download()
            self._render_details()

    def action_next_output(self) -> None:
        """Step to the next output (wrapping)."""
        self._step(1)

    def action_previous_output(self) -> None:
        """Step to the previous output (wrapping)."""
        self._step(-1)

    def _step(self, delta: int) -> None:
        if len(self._outputs) < 2:
            return
        self._index = (self._index + delta) % len(self._outputs)
        self._media = None
        self._render_details()
        self._request_media()

    def _reload(self) -> None:
        job = self._job
        if job is None:
            self._outputs, self._history = [], []
            self._shown_key = None
            self._token += 1  # anything still decoding is now stale
            self._show_download()
            self._show_media(None, "Select a job to see its output here.")
            self._render_details()
            return
        self._render_details()
        self._rows_token += 1
        self.run_worker(
            deferred(self._read_rows, self._rows_token, job.id),
            group="preview-rows",
            exclusive=True,
            exit_on_error=False,
        )

    async def _read_rows(self, token: int, job_id: str) -> None:
        """Read the job's outputs and history off the event loop, then show them."""
        outputs, history = await self._store.read(
            lambda s: (s.outputs(job_id), s.state_history(job_id))
        )
        if token != self._rows_token or self._job is None or self._job.id != job_id:
            self.stale_results += 1  # the selection moved on meanwhile
            return
        self._outputs, self._history = outputs, history
        self._index = min(self._index, max(len(self._outputs) - 1, 0))
        self._render_details()
        self._request_media()

    def _request_media(self) -> None:
        """Start decoding the shown output, unless it is already on screen."""
        job, output = self._job, self.current_output
        if job is None:
            return
        self._show_download()
        if output is None:
            self._shown_key = None
            self._token += 1
            self._show_media(None, _no_output_message(job))
            return
        key: _MediaKey = (job.id, output.index, output.local_path, output.sha256)
        if key == self._shown_key:
            return
        self._shown_key = None
        self._token += 1
        if output.local_path is None and output.final:
            self._show_media(None, f"Output {output.index + 1} could not be downloaded.")
        elif output.local_path is None and output.error:
            self._show_media(
                None, f"Output {output.index + 1} is not here yet; it is tried again (n: now)."
            )
        elif output.local_path is None:
            self._show_media(None, f"Output {output.index + 1} is downloading…")
        else:
            self._show_media(None, "Loading…")
            known = self._known.get((output.local_path, output.sha256))
            self._decode(self._token, key, output, known)

    @work(thread=True, exclusive=True, group="preview-media", exit_on_error=False)
    def _decode(self, token: int, key: _MediaKey, output: Output, known: MediaInfo | None) -> None:
        """Decode and scale off the UI thread, then hand the result back as a message."""
        self.post_message(self.MediaLoaded(token, key, load_media(self._thumbnails, output, known)))

    def on_preview_media_loaded(self, message: Preview.MediaLoaded) -> None:
        """Show a worker's thumbnails, unless the selection has moved on since it started."""
        message.stop()
        if message.token != self._token:
            self.stale_results += 1
            return
        media = message.media
        if media.error is not None:
            self._show_media(None, f"Cannot show output {message.key[1] + 1}: {media.error}")
            return
        self._shown_key = message.key
        self._media = media.info
        if media.info is not None and message.key[2] is not None:
            self._known[(message.key[2], message.key[3])] = media.info
        self._show_media(media, None)
        self._render_details()

    def _show_media(self, media: LoadedMedia | None, message: str | None) -> None:
        """Put thumbnails (or nothing) in the frame cells and the message above them."""
        if not self._composed:
            return
        note = self.query_one(".preview-message", Static)
        note.update(message or "")
        note.display = message is not None
        images = media.images if media is not None else ()
        frames = list(self.query(".preview-frame").results(Vertical))
        self.query_one(".preview-frames").display = bool(images)
        duration = media.info.duration_s if media and media.info else None
        for i, frame in enumerate(frames):
            image = images[i] if i < len(images) else None
            frame.display = image is not None
            for widget in frame.query(".preview-image"):
                set_image(widget, image)
            caption = frame.query_one(".preview-caption", Static)
            caption.display = media is not None and bool(media.positions)
            if media is not None and i < len(media.positions):
                at = f" {media.positions[i] * duration:.1f}s" if duration is not None else ""
                caption.update(f"{FRAME_NAMES[i]}{at}")

    def _show_download(self) -> None:
        if not self._composed:
            return
        bar = self.query_one(".preview-download", ProgressBar)
        output = self.current_output
        state = self._downloads.get(self._index)
        downloading = state is not None and output is not None and output.local_path is None
        bar.display = downloading
        if downloading and state is not None:
            bar.update(total=state.total, progress=state.received)

    def _render_details(self) -> None:
        if not self._composed:
            return
        details = self.query_one(".preview-details", Static)
        job = self._job
        if job is None:
            details.update("")
            return
        width = details.scrollable_content_region.width
        content = details_content(
            job,
            self._outputs,
            self._history,
            index=self._index,
            now=self._clock(),
            media=self._media,
            download=self._downloads.get(self._index),
            width=width or None,
        )
        # A second ticking by must not lay out the whole screen again (a key typed in that
        # frame waited for it): only a change in the number of rows needs a layout.
        rows = len(content.wrap(width)) if width else -1
        details.update(content, layout=rows < 0 or rows != self._detail_rows)
        self._detail_rows = rows

    def on_resize(self) -> None:
        """Wrapped lines follow the width."""
        self._render_details()

    def _tick(self) -> None:
        """Countdowns and running timers move on; nothing else is redrawn."""
        if self._job is not None and (self._job.state.is_running or self._outputs):
            self._render_details()


def _no_output_message(job: Job) -> str:
    if job.state.is_running:
        return f"No output yet: the job is {job.state.value}."
    if job.state.value == "completed":
        return "Completed; the outputs are being fetched."
    return f"No output: the job is {job.state.value}."
