"""The preview: the selected job's output as large as the pane allows, and all about it.

The picture is a `MediaView` (one output scaled to its region at its aspect ratio, a video
frame by frame); the details sit under it, or beside it when that gives a larger picture
(a wide pane, a portrait picture). The job's outputs and history are read in a worker;
a result for a job no longer shown is dropped. The widget never calls the API: the app
feeds it `show`, `job_updated`, `output_ready` and `download_progress`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import ProgressBar, Static

from lumatui.engine.astore import AsyncJobStore
from lumatui.tui.deferred import deferred
from lumatui.tui.widgets.preview.details import DownloadState, details_content
from lumatui.tui.widgets.preview.layer_view import LayerPreview
from lumatui.tui.widgets.preview.media_view import MediaView
from lumatui.tui.widgets.preview.thumbnail import requested_protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual import events
    from textual.app import ComposeResult

    from lumatui.engine.jobs import Job, JobState, Output
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

DETAILS_MIN_ROWS = 4
"""Rows of details always left under the picture (the rest scrolls)."""
SIDE_DETAILS_WIDTH = 46
"""Columns the details take when they sit beside the picture."""
SIDE_GAIN = 1.15
"""Beside is chosen only when it gives a clearly larger picture."""
NO_JOB = "Select a job to see its output here."


class Preview(LayerPreview, can_focus=True):
    """The selected job's output (a video frame by frame, a layering job's layers), details."""

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
        Binding(
            "comma",
            "step_frame(-1)",
            "Prev frame",
            id="preview.previous_frame",
            tooltip="A video: the previous frame",
        ),
        Binding(
            "full_stop",
            "step_frame(1)",
            "Next frame",
            id="preview.next_frame",
            tooltip="A video: the next frame",
        ),
        Binding(
            "space",
            "toggle_play",
            "Play",
            id="preview.play",
            tooltip="A video: play it at a low frame rate, or pause",
        ),
        Binding(
            "escape",
            "restore",
            "Restore",
            show=False,
            id="preview.restore",
            tooltip="Leave the maximized preview (as z does)",
        ),
    ]

    @dataclass
    class RestoreRequested(Message):
        """escape in a maximized preview: the screen puts the panes back."""

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
        self._downloads: dict[int, DownloadState] = {}
        self._detail_rows = -1
        self._stale_rows = 0

    @property
    def job(self) -> Job | None:
        """The job shown."""
        return self._job

    @property
    def current_output(self) -> Output | None:
        """The output shown (the app opens its local file with the system viewer)."""
        return self._outputs[self._index] if self._outputs else None

    @property
    def stale_results(self) -> int:
        """How many worker results were dropped because the selection had moved on."""
        return self._stale_rows + self.media.stale_results

    def compose(self) -> ComposeResult:
        """The picture, then the download bar and the details (scrolling)."""
        yield MediaView(self._thumbnails, protocol=self.protocol, classes="preview-media")
        with VerticalScroll(classes="preview-side"):
            # Hidden until an output of the shown job downloads: with no total it would
            # draw an indeterminate bar that animates (and repaints) forever.
            bar = ProgressBar(classes="preview-download", show_eta=False)
            bar.display = False
            yield bar
            layer = Static(classes="preview-layer", markup=False)
            layer.display = False  # a layering job's layer line only
            yield layer
            yield Static(classes="preview-details")

    def on_mount(self) -> None:
        """Start empty; tick once a second for countdowns and running timers."""
        self.media.show(None, NO_JOB)
        self.set_interval(1.0, self._tick)

    # -- what is shown ----------------------------------------------------------------------

    def show(self, job: Job | None) -> None:
        """Show `job` (or nothing); its first output unless it is the job already shown."""
        if job is None or self._job is None or job.id != self._job.id:
            self._index, self.composite = 0, False
            self._downloads.clear()
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

    # -- keys -------------------------------------------------------------------------------

    def action_next_output(self) -> None:
        """Step to the next output (wrapping)."""
        self._step(1)

    def action_previous_output(self) -> None:
        """Step to the previous output (wrapping)."""
        self._step(-1)

    def action_step_frame(self, delta: int) -> None:
        """Step a video one frame back or on (pausing it)."""
        self.media.pause()
        self.media.step(delta)

    def action_toggle_play(self) -> None:
        """Play the video at a low rate, or pause it."""
        self.media.toggle_play()

    def action_restore(self) -> None:
        """Ask the screen to leave the maximized preview."""
        self.post_message(self.RestoreRequested())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """escape belongs to the preview only while it is maximized."""
        if action == "restore":
            return self.has_class("-maximized")
        return True

    def _step(self, delta: int) -> None:
        if len(self._outputs) < 2:
            return
        self._index = (self._index + delta) % len(self._outputs)
        self.composite = False  # stepping shows one layer again
        self._show_output()

    # -- reading and drawing ----------------------------------------------------------------

    def _reload(self) -> None:
        job = self._job
        if job is None:
            self._outputs, self._history = [], []
            self._rows_token += 1
            self._show_download()
            self.media.show(None, NO_JOB)
            self._render_details()
            self._layout()
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
            self._stale_rows += 1  # the selection moved on meanwhile
            return
        self._outputs, self._history = outputs, history
        self._index = min(self._index, max(len(self._outputs) - 1, 0))
        self._show_output()

    def _show_output(self) -> None:
        """The shown output in the picture (or why there is none), then the layout."""
        job, output = self._job, self.current_output
        self._show_download()
        if job is None:
            return
        self.query_one(".preview-layer").display = False  # until a layer is drawn
        if output is None:
            self.media.show(None, _no_output_message(job))
        elif output.local_path is not None:
            self._show_downloaded(output)
        elif output.final:
            self.media.show(None, f"Output {output.index + 1} could not be downloaded.")
        elif output.error:
            message = f"Output {output.index + 1} is not here yet; it is tried again (n: now)."
            self.media.show(None, message)
        else:
            self.media.show(None, f"Output {output.index + 1} is downloading…")
        self._render_details()
        self._layout()

    def on_media_view_measured(self, message: MediaView.Measured) -> None:
        """An output stored before facts were kept was measured: keep them, lay it out."""
        message.stop()
        out, media = message.output, message.media
        if out.local_path is not None:
            path = out.local_path
            self.run_worker(
                self._store.write(
                    lambda s: s.record_media_facts(out.job_id, out.index, path, media)
                ),
                group="preview-facts",
                exit_on_error=False,
            )
        self._outputs = [
            self.media.output or o if o.index == out.index else o for o in self._outputs
        ]
        self._render_details()
        self._layout()

    def on_resize(self, event: events.Resize) -> None:
        """A new pane size: the picture's share, and wrapped details."""
        self._layout()
        self._render_details()

    def _layout(self) -> None:
        """The picture over the details, or beside them when that is clearly larger."""
        media = self.media
        width, height = self.content_size.width, self.content_size.height
        if media.facts is None or media.output is None or width <= 0 or height <= 0:
            self.remove_class("-side")
            media.styles.width = "1fr"
            media.styles.height = "auto"
            return
        caption = media.caption_rows
        over = media.cells_for((width, height - caption - DETAILS_MIN_ROWS))
        side_width = width - SIDE_DETAILS_WIDTH - 1
        beside = media.cells_for((side_width, height - caption)) if side_width > 20 else (0, 0)
        if beside[0] * beside[1] > over[0] * over[1] * SIDE_GAIN:
            self.add_class("-side")
            media.styles.width = beside[0]
            media.styles.height = "1fr"
        else:
            self.remove_class("-side")
            media.styles.width = "1fr"
            media.styles.height = max(over[1], 1) + caption

    def _show_download(self) -> None:
        if not self.is_mounted:
            return
        bar = self.query_one(".preview-download", ProgressBar)
        output = self.current_output
        state = self._downloads.get(self._index)
        downloading = state is not None and output is not None and output.local_path is None
        bar.display = downloading
        if downloading and state is not None:
            bar.update(total=state.total, progress=state.received)

    def _render_details(self) -> None:
        if not self.is_mounted:
            return
        details = self.query_one(".preview-details", Static)
        job = self._job
        if job is None:
            details.update("")
            return
        outputs = list(self._outputs)
        shown = self.media.output
        index = self._index
        if (
            shown is not None
            and index < len(outputs)
            and outputs[index].local_path == shown.local_path
        ):
            outputs[index] = shown  # with the facts measured for it
        width = details.scrollable_content_region.width
        content = details_content(
            job,
            outputs,
            self._history,
            index=index,
            now=self._clock(),
            download=self._downloads.get(index),
            width=width or None,
        )
        # A second ticking by must not lay out the whole screen again (a key typed in that
        # frame waited for it): only a change in the number of rows needs a layout.
        rows = len(content.wrap(width)) if width else -1
        details.update(content, layout=rows < 0 or rows != self._detail_rows)
        self._detail_rows = rows

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
