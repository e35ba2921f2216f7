"""=: the marked jobs (two to four) side by side, their outputs in step, how their requests differ.

Each job gets an equal column: its first downloaded output scaled to the column
(`MediaView`), under it its short id and the request fields in which it differs from the
others (dotted paths, plain text). Videos move together: `,` `.` step every one by the same
fraction of its length (the longest one a frame at a time), space plays them all in step;
1-4 show one job alone on the whole width (the same key brings the others back).
Store reads and writes run in workers (a column still waiting for its output reads again
each second); escape closes and the main screen is as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from lumatui.api.text import clean_text
from lumatui.tui.frame_pacer import PacedFrames
from lumatui.tui.screens.compare_fields import differences
from lumatui.tui.widgets.key_bar import KeyBar
from lumatui.tui.widgets.preview.media_view import DEFAULT_PLAY_FPS, PLAY_FPS, MediaView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from textual.app import ComposeResult
    from textual.timer import Timer

    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.jobs import Job, Output
    from lumatui.engine.thumbnails import ThumbnailCache
    from lumatui.tui.screens.main import MainScreen

REFRESH_S = 1.0
"""How often a column still waiting for its output reads the history again."""
COMPARE_MIN, COMPARE_MAX = 2, 4
"""How many marked jobs a comparison takes."""


def open_compare(screen: MainScreen) -> None:
    """Compare the marked jobs shown in the list, or say why not."""
    job_list = screen.job_list
    jobs = [job for job_id in job_list.marks if (job := job_list.job(job_id))]
    if not COMPARE_MIN <= len(jobs) <= COMPARE_MAX:
        screen.notify(
            f"Mark {COMPARE_MIN} to {COMPARE_MAX} jobs to compare them (space in the job list); "
            f"{len(jobs)} marked.",
            severity="warning",
        )
        return
    protocol = screen.preview.protocol
    screen.app.push_screen(CompareScreen(jobs, screen.engine.db, screen.thumbnails, protocol))


class CompareScreen(PacedFrames, Screen[None]):
    """Two to four jobs' outputs side by side, with the fields where their requests differ."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="compare.close", tooltip="Close the comparison"),
        Binding(
            "comma",
            "step(-1)",
            "Prev frame",
            id="compare.previous_frame",
            tooltip="Every video back by the same share of its length",
        ),
        Binding(
            "full_stop",
            "step(1)",
            "Next frame",
            id="compare.next_frame",
            tooltip="Every video on by the same share of its length",
        ),
        Binding(
            "space",
            "toggle_play",
            "Play",
            id="compare.play",
            tooltip="Play the videos together (in step), or pause",
        ),
        *(
            Binding(
                str(n + 1),
                f"solo({n})",
                f"Only {n + 1}",
                show=n == 0,
                id=f"compare.solo_{n + 1}",
                tooltip=f"Job {n + 1} alone on the whole width, and back (the same key)",
            )
            for n in range(COMPARE_MAX)
        ),
    ]

    def __init__(
        self,
        jobs: Sequence[Job],
        store: AsyncJobStore,
        thumbnails: ThumbnailCache,
        protocol: str = "auto",
    ) -> None:
        super().__init__(classes="compare")
        self.jobs = list(jobs)
        self._store = store
        self._thumbnails = thumbnails
        self._protocol = protocol
        self._fields = differences([job.request_json for job in self.jobs])
        self.position = 0
        """The step all videos are at (0 .. steps - 1)."""
        self._player: Timer | None = None
        self.solo: int | None = None
        """The column shown alone (1-4 maximize one), or None for all side by side."""
        self.loaded = False
        """True once the outputs were read and handed to the views."""

    def compose(self) -> ComposeResult:
        """A title line, one column per job, the footer."""
        yield Static(id="compare-title", markup=False)
        with Horizontal(id="compare-columns"):
            for n in range(len(self.jobs)):
                with Vertical(classes="compare-column"):
                    yield MediaView(self._thumbnails, protocol=self._protocol, id=f"compare-{n}")
                    yield Static(self.label(n), classes="compare-fields")
        yield KeyBar(compact=True)

    def on_mount(self) -> None:
        """Read the outputs (in a worker) and show each job's first downloaded one."""
        self._title()
        for view in self.views:
            view.show(None, "Reading the outputs…")
        self.run_worker(self._load(), group="compare-load", exit_on_error=False)
        self.set_interval(REFRESH_S, self.refresh_missing, name="compare-refresh")

    def on_resize(self) -> None:
        """New column widths: the fields blocks get one height again (after the layout)."""
        self.call_after_refresh(self._align_fields)

    def _align_fields(self) -> None:
        """Give every column's fields the height of the tallest, so the pictures line up."""
        blocks = list(self.query(".compare-fields").results(Static))
        console = self.app.console
        heights = [
            len(self.label(n).wrap(console, max(block.content_size.width, 1)))
            for n, block in enumerate(blocks)
        ]
        for block in blocks:
            block.styles.height = max(heights, default=1)

    @property
    def views(self) -> list[MediaView]:
        """One picture per job, in the jobs' order."""
        return list(self.query(MediaView))

    @property
    def fields(self) -> list[list[tuple[str, str]]]:
        """Per job, (dotted path, value) where its request differs from the others'."""
        return self._fields

    def label(self, n: int) -> Text:
        """Under job `n`'s picture: its short id, state, and how its request differs."""
        job = self.jobs[n]
        text = Text(no_wrap=False, overflow="fold")
        text.append(job.short_id, style="bold")
        text.append(f" · {clean_text(str(job.state), 20)}", style="dim")
        if not self._fields[n]:
            text.append("\nsame request as the others", style="dim")
        for path, value in self._fields[n]:
            text.append(f"\n{path}: ", style="bold")
            text.append(value)
        return text

    async def _load(self) -> None:
        ids = [job.id for job in self.jobs]
        found = await self._store.read(
            lambda s: (s.get_many(ids), [s.outputs(job_id) for job_id in ids])
        )
        fresh = {job.id: job for job in found[0]}  # a removed job keeps its last state
        self.jobs = [fresh.get(job.id, job) for job in self.jobs]
        outputs = found[1]
        for job, view, stored in zip(self.jobs, self.views, outputs, strict=True):
            downloaded = [o for o in stored if o.local_path]
            if downloaded:
                view.show(downloaded[0])
            elif stored:
                view.show(None, f"{job.short_id}: its output is not downloaded yet.")
            else:
                view.show(None, f"{job.short_id} has no output ({job.state}).")
        self.loaded = True
        self._title()

    def refresh_missing(self) -> None:
        """Read again while a column waits for its output (a job still running, a download)."""
        if self.loaded and any(view.output is None for view in self.views):
            self.run_worker(self._load(), group="compare-load", exclusive=True, exit_on_error=False)

    # -- stepping -------------------------------------------------------------------------

    @property
    def steps(self) -> int:
        """Positions the videos step through: the longest one's frames."""
        return max((view.frames for view in self.views), default=1)

    def action_step(self, delta: int) -> None:
        """Move every video by the same share of its length (`delta` steps)."""
        self._stop()
        self.go_to(self.position + delta)

    def go_to(self, position: int, *, wrap: bool = False) -> None:
        """Put every video at `position` of `steps` (each at its own frame for that share)."""
        steps = self.steps
        position = position % steps if wrap else min(max(position, 0), steps - 1)
        self.position = position
        share = position / (steps - 1) if steps > 1 else 0.0
        for view in self.views:
            view.seek(round(share * (view.frames - 1)))
        self._title()

    def action_toggle_play(self) -> None:
        """Play the videos together, in step, or pause them."""
        if self._player is not None:
            self._stop()
        elif self.steps > 1:
            fps = PLAY_FPS.get(self._protocol, DEFAULT_PLAY_FPS)
            self._player = self.set_interval(1.0 / fps, self._tick, name="compare-play")
            self._title()
        else:
            self.notify("No video to play here.", severity="information")

    @property
    def playing(self) -> bool:
        """True while the videos play."""
        return self._player is not None

    def _tick(self) -> None:
        self.go_to(self.position + 1, wrap=True)

    def _stop(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player = None
            self._title()

    def action_solo(self, n: int) -> None:
        """Job `n` alone on the whole width (its picture made again at that size), or all back."""
        if n >= len(self.jobs):
            return
        self.solo = None if self.solo == n else n
        for index, column in enumerate(self.query(".compare-column")):
            column.display = self.solo is None or index == self.solo
        self._title()

    def action_close(self) -> None:
        """Back to the main screen."""
        self._stop()
        self.dismiss(None)

    # -- messages -------------------------------------------------------------------------

    def on_media_view_measured(self, message: MediaView.Measured) -> None:
        """An output stored without facts was measured: keep them (as the preview does)."""
        message.stop()
        out, media = message.output, message.media
        path = out.local_path
        if path is not None:
            self.run_worker(
                self._store.write(
                    lambda s: s.record_media_facts(out.job_id, out.index, path, media)
                ),
                group="compare-facts",
                exit_on_error=False,
            )
        self._title()

    def _title(self) -> None:
        if not self.is_mounted:
            return
        text = f"Comparing {len(self.jobs)} jobs"
        steps = self.steps
        if steps > 1:
            text += f" · step {self.position + 1} of {steps}"
            text += " · playing (space: pause)" if self.playing else " · , . step"
        if self.solo is not None:
            text += f" · only {self.solo + 1} ({self.solo + 1}: all again)"
        else:
            text += f" · 1-{len(self.jobs)}: one alone"
        text += " · esc closes"
        self.query_one("#compare-title", Static).update(text)

    def shown(self) -> list[Output | None]:
        """The output each column shows (None where there is none)."""
        return [view.output for view in self.views]
