"""One output, as large as its region allows at its aspect ratio; a video frame by frame.

A reusable piece: the preview holds one, and a comparison can put several side by side
(`show`, `seek` and `step` keep them in step). What the output is (its pixel size, a
video's duration and frame count) comes from the facts the downloader stored; the picture
is scaled to the region's cells (half-cell blocks) or pixels (Kitty, Sixel) in a thread
worker, from the one disk cache. Each request carries a token: a result for a region, frame
or output that is no longer wanted is dropped, so resizing and stepping never show the
wrong picture. An output stored without facts is measured once, and `Measured` tells the
owner so it can keep them. A new output's picture is asked for once the owner has laid the
view out for it (after the refresh), never first at the size the view had before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import work
from textual.containers import Center
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from lumatui.engine.media import MediaError
from lumatui.tui.widgets.preview.fit import cell_pixels, fit_cells, frame_position, pixel_size
from lumatui.tui.widgets.preview.thumbnail import (
    LoadedFrame,
    image_widget_class,
    load_frame,
    measure,
    renders_in_cells,
    set_image,
)

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult
    from textual.timer import Timer

    from lumatui.engine.jobs import Output
    from lumatui.engine.media_kinds import VerifiedMedia
    from lumatui.engine.thumbnails import ThumbnailCache

PLAY_FPS = {"sixel": 2.0}
"""Frames a second when playing: Sixel redraws the whole picture each time, so slower."""
DEFAULT_PLAY_FPS = 6.0
_FrameKey = tuple[str, str | None, int, tuple[int, int]]


@dataclass(frozen=True)
class Facts:
    """What is needed to lay an output out: its pixel size, and a video's time and frames."""

    width: int
    height: int
    mime: str
    duration_s: float | None = None
    frames: int | None = None

    @property
    def is_video(self) -> bool:
        """True for a video."""
        return self.mime.startswith("video/")


def facts_of(output: Output) -> Facts | None:
    """The stored facts of an output (None when it was downloaded before they were kept)."""
    if output.mime is None or not output.width or not output.height:
        return None
    return Facts(output.width, output.height, output.mime, output.duration_s, output.frame_count)


class MediaView(Widget):
    """One output scaled to this widget's region; a video one frame at a time."""

    @dataclass
    class Measured(Message):
        """An output stored without facts was measured (once): keep what it is."""

        output: Output
        media: VerifiedMedia

    @dataclass
    class FrameLoaded(Message):
        """A worker made the picture for request `token` (handled here; tools may watch)."""

        token: int
        key: _FrameKey
        frame: LoadedFrame

    @dataclass
    class _Facts(Message):
        token: int
        output: Output
        media: VerifiedMedia | None
        error: str | None

    def __init__(
        self,
        thumbnails: ThumbnailCache,
        *,
        protocol: str = "auto",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._thumbnails = thumbnails
        self.protocol = protocol
        self._image_class = image_widget_class(protocol)
        self._in_cells = renders_in_cells(self._image_class)
        self._output: Output | None = None
        self._facts: Facts | None = None
        self._frame = 0
        self._token = 0
        self._shown: _FrameKey | None = None
        self._wanted: _FrameKey | None = None
        self._player: Timer | None = None
        self._awaiting_layout = False
        self.stale_results = 0
        """Worker results dropped because the output, frame or size had changed meanwhile."""

    def compose(self) -> ComposeResult:
        """A message line, the picture (centred), the frame caption."""
        yield Static(classes="media-message", markup=False)
        with Center(classes="media-frame"):
            if self._image_class is not None:
                yield self._image_class(classes="media-image")
        yield Static(classes="media-caption", markup=False)

    def on_mount(self) -> None:
        """Nothing shown yet."""
        self._draw()

    # -- what is shown --------------------------------------------------------------------

    @property
    def output(self) -> Output | None:
        """The output shown (None for none)."""
        return self._output

    @property
    def facts(self) -> Facts | None:
        """What the shown output is, once known."""
        return self._facts

    @property
    def frame(self) -> int:
        """The video frame shown (0-based; 0 for an image)."""
        return self._frame

    @property
    def frames(self) -> int:
        """How many frames the shown video has (1 for an image)."""
        facts = self._facts
        return max(facts.frames or 1, 1) if facts is not None and facts.is_video else 1

    @property
    def token(self) -> int:
        """The number of the latest picture asked for (FrameLoaded answers carry it)."""
        return self._token

    @property
    def playing(self) -> bool:
        """True while a video plays."""
        return self._player is not None

    @property
    def picture(self) -> object | None:
        """The PIL image on screen (None when there is none)."""
        for widget in self.query(".media-image"):
            return getattr(widget, "image", None)
        return None

    def show(self, output: Output | None, message: str | None = None) -> None:
        """Show `output` (a downloaded one) or, without one, `message`."""
        same = (
            output is not None
            and self._output is not None
            and (output.job_id, output.index, output.local_path, output.sha256)
            == (
                self._output.job_id,
                self._output.index,
                self._output.local_path,
                self._output.sha256,
            )
        )
        self._output = output if output is not None and output.local_path else None
        if not same:
            self.pause()
            self._frame = 0
            self._facts = facts_of(output) if output is not None else None
            self._shown = self._wanted = None
            self._token += 1
            for widget in self.query(".media-image"):
                set_image(widget, None)  # never the last output's picture under this one
        elif output is not None and self._facts is None:
            self._facts = facts_of(output)
        self._message = message if self._output is None else None
        if self._output is not None and self._facts is None:
            self._message = "Measuring the file…"
            self._measure(self._token, self._output)
        self._draw()
        self._request_once_laid_out()

    def seek(self, frame: int) -> None:
        """Show frame `frame` of a video (clamped to its frames)."""
        frame = min(max(frame, 0), self.frames - 1)
        if frame != self._frame:
            self._frame = frame
            self._caption()
            self._request()

    def step(self, delta: int, *, wrap: bool = False) -> None:
        """Move `delta` frames (back for a negative one); `wrap` goes round at the ends."""
        target = self._frame + delta
        if wrap:
            target %= self.frames
        self.seek(target)

    def toggle_play(self) -> None:
        """Play a video at a low rate, or pause it."""
        if self._player is not None:
            self.pause()
        elif self.frames > 1:
            fps = PLAY_FPS.get(self.protocol, DEFAULT_PLAY_FPS)
            self._player = self.set_interval(1.0 / fps, self._next_frame, name="media-play")
            self._caption()

    def pause(self) -> None:
        """Stop playing."""
        if self._player is not None:
            self._player.stop()
            self._player = None
            self._caption()

    def _next_frame(self) -> None:
        if self._wanted is not None and self._wanted != self._shown:
            return  # the last frame is still being made: skip a tick rather than queue
        self.step(1, wrap=True)

    # -- layout ---------------------------------------------------------------------------

    def cells_for(self, region: tuple[int, int]) -> tuple[int, int]:
        """The picture's size in cells inside `region` (columns, rows), caption excluded."""
        facts = self._facts
        if facts is None:
            return 0, 0
        return fit_cells((facts.width, facts.height), region, cell_pixels())

    @property
    def caption_rows(self) -> int:
        """Rows the caption takes (a video's frame line)."""
        return 1 if self._facts is not None and self._facts.is_video else 0

    def on_resize(self, event: events.Resize) -> None:
        """A new region: the picture is fitted and made again at its size."""
        self._fit()
        if not self._awaiting_layout:  # else the region the owner gives is not there yet
            self._request()

    def _fit(self) -> tuple[int, int]:
        size = self.content_size
        message_rows = 1 if self._message else 0
        cells = self.cells_for((size.width, size.height - self.caption_rows - message_rows))
        for widget in self.query(".media-image"):
            widget.styles.width = max(cells[0], 1)
            widget.styles.height = max(cells[1], 1)
        return cells

    def _request_once_laid_out(self) -> None:
        """Ask after the next refresh: the owner sizes the view for these facts in this turn,
        so a picture asked for now would be made at the old size, then again at the new."""
        if self._awaiting_layout or not self.is_mounted:
            return  # one ask is pending already; before mounting, the first resize asks
        self._awaiting_layout = True
        self.call_after_refresh(self._laid_out)

    def _laid_out(self) -> None:
        self._awaiting_layout = False
        self._request()

    def _request(self) -> None:
        """Make the picture for this output, frame and size (unless it is on screen)."""
        output, facts = self._output, self._facts
        if output is None or facts is None or output.local_path is None or not self.is_mounted:
            return
        cells = self._fit()
        if cells[0] <= 0 or cells[1] <= 0:
            return
        pixels = pixel_size(cells, cell_pixels(), in_cells=self._in_cells)
        key: _FrameKey = (output.local_path, output.sha256, self._frame, pixels)
        if key in (self._shown, self._wanted):
            return
        self._token += 1
        self._wanted = key
        position = frame_position(self._frame, self.frames) if facts.is_video else None
        self._load(self._token, key, output, pixels, position)

    @work(thread=True, group="media-view", exit_on_error=False)
    def _load(
        self,
        token: int,
        key: _FrameKey,
        output: Output,
        pixels: tuple[int, int],
        position: float | None,
    ) -> None:
        """Off the UI thread: the picture from the disk cache, scaled to `pixels`."""
        self.post_message(
            self.FrameLoaded(token, key, load_frame(self._thumbnails, output, pixels, position))
        )

    @work(thread=True, group="media-measure", exit_on_error=False)
    def _measure(self, token: int, output: Output) -> None:
        """Off the UI thread: what an output without stored facts is (decoded once)."""
        try:
            media: VerifiedMedia | None = measure(output)
            error = None
        except MediaError as exc:
            media, error = None, str(exc)
        self.post_message(self._Facts(token, output, media, error))

    def on_media_view__facts(self, message: MediaView._Facts) -> None:
        """The measured facts of the shown output: lay it out and tell the owner."""
        message.stop()
        if message.token != self._token or self._output is None:
            self.stale_results += 1
            return
        if message.media is None:
            self._output = None
            self._message = f"Cannot show output {message.output.index + 1}: {message.error}"
            self._draw()
            return
        media = message.media
        self._facts = Facts(
            media.width, media.height, media.mime, media.duration_s, media.frame_count
        )
        self._output = replace(
            message.output,
            mime=media.mime,
            width=media.width,
            height=media.height,
            duration_s=media.duration_s,
            frame_count=media.frame_count,
        )
        self._message = None
        self.post_message(self.Measured(message.output, media))
        self._draw()
        self._request_once_laid_out()  # after the owner has laid the view out for the facts

    def on_media_view_frame_loaded(self, message: MediaView.FrameLoaded) -> None:
        """A worker's picture: shown unless something else is wanted by now."""
        message.stop()
        if message.token != self._token or message.key != self._wanted:
            self.stale_results += 1
            return
        frame = message.frame
        if frame.image is None:
            output = self._output
            number = output.index + 1 if output is not None else 1
            self._output = None
            self._message = f"Cannot show output {number}: {frame.error}"
            self._draw()
            return
        self._shown = message.key
        for widget in self.query(".media-image"):
            set_image(widget, frame.image)
        self._draw()

    # -- drawing --------------------------------------------------------------------------

    _message: str | None = None

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        note = self.query_one(".media-message", Static)
        note.update(self._message or "")
        note.display = bool(self._message)
        self.query_one(".media-frame").display = self._output is not None
        self._caption()

    def _caption(self) -> None:
        if not self.is_mounted:
            return
        caption = self.query_one(".media-caption", Static)
        facts = self._facts
        video = self._output is not None and facts is not None and facts.is_video
        caption.display = video
        if not video or facts is None:
            return
        frames = self.frames
        text = f"frame {self._frame + 1} of {frames}"
        if facts.duration_s:
            at = facts.duration_s * self._frame / frames  # frame i starts at i / fps
            text += f" · {at:.2f} s of {facts.duration_s:.2f} s"
        text += " · ▶ playing (space: pause)" if self.playing else " · , . step · space plays"
        caption.update(text)
