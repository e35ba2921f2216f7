"""How the job list's rows are drawn: each job's cells, the columns that fit, the note.

A part of `JobList` (see there): the rows' data lives in `JobRows`; this draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from lumatui.engine.queries import JobQuery
from lumatui.engine.schedule import expectation
from lumatui.tui.deferred import deferred
from lumatui.tui.first_frame import after_first_frame
from lumatui.tui.typing_frames import repaint_between_keys
from lumatui.tui.widgets.jobs.cells import (
    cost_cell,
    elapsed_cell,
    gap,
    note_text,
    plain_cell,
    progress_cell,
    request_price,
    state_cell,
)
from lumatui.tui.widgets.jobs.columns import HEADER_SORTS, SPECS, ColumnLayout, layout_columns
from lumatui.tui.widgets.jobs.groups import MEMBER_INDENT, group_cells, group_note
from lumatui.tui.widgets.jobs.job_table import JobTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.pricing import Price
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.jobs import Job
    from lumatui.engine.schedule import Expectation
    from lumatui.tui.widgets.jobs.groups import BatchGroup, BatchGroups
    from lumatui.tui.widgets.jobs.marks import JobMarks


class RowCells(Widget, can_focus=False):
    """The cells of the job list's rows and its columns (a part of JobList)."""

    job_query: reactive[JobQuery] = reactive(JobQuery, init=False)
    """Which jobs are listed and in what order; a new query reloads the table."""

    store: AsyncJobStore
    clock: Callable[[], float]
    prices: dict[str, float]
    marks: JobMarks
    _jobs: dict[str, Job]
    _costs: dict[str, Price | None]
    _unpriced: dict[str, Job]
    _ticking: set[str]
    _downloads: dict[str, float]
    _expected: dict[tuple[str, str], Expectation]
    _priors_known: set[tuple[str, str]]
    _priors_due: set[tuple[str, str]]
    _layout: ColumnLayout
    _wide: bool
    _groups: BatchGroups
    _selected: str | None
    _note: str
    _note_shown: Text | str

    @property
    def table(self) -> JobTable:
        """The DataTable of jobs."""
        return self.query_one(JobTable)

    def _id_cell(self, job: Job) -> Text:
        if job.id in self.marks:
            return Text.assemble(("● ", "bold"), job.short_id, end="")
        return Text(job.short_id, end="")

    def _prompt_cell(self, job: Job) -> Text:
        """The prompt, after a star when the job is starred (a lasting mark, unlike `●`)."""
        prompt = plain_cell(job.prompt)
        if job.starred:
            prompt = Text.assemble(("★ ", "bold"), prompt, end="")
        if job.batch_id is not None:  # listed under its batch's group row
            prompt = Text.assemble(MEMBER_INDENT, prompt, end="")
        return prompt

    def _remember(self, job: Job) -> None:
        self._jobs[job.id] = job
        if job.state.is_running:
            self._ticking.add(job.id)
        else:
            self._ticking.discard(job.id)

    def _expectation(self, job: Job) -> Expectation | None:
        """The kind's expected durations: the prior until its history is read (in a worker).

        None until the kind's prior is worked out: the first time, that takes tens of
        milliseconds a kind (thousands of draws), so it follows the app's first full frame
        (which shows the rows without their estimate), then fills in the kind's cells.
        """
        kind = (job.model, job.type)
        if kind not in self._expected:
            if kind not in self._priors_known:
                if kind not in self._priors_due:
                    self._priors_due.add(kind)
                    after_first_frame(self, self._work_out_prior, kind)
                return None
            self._expected[kind] = expectation(job.model, job.type, [])
            self.run_worker(deferred(self._read_durations, kind), group="job-list-durations")
        return self._expected[kind]

    def _work_out_prior(self, kind: tuple[str, str]) -> None:
        self._priors_due.discard(kind)
        self._priors_known.add(kind)
        now = self.clock()
        for job_id in list(self._ticking):
            job = self._jobs[job_id]
            if (job.model, job.type) == kind:
                self._update_progress(job, now)

    async def _read_durations(self, kind: tuple[str, str]) -> None:
        durations = await self.store.read(lambda s: s.durations(*kind))
        if durations:
            self._expected[kind] = expectation(*kind, durations)

    def _cells(self, job: Job, now: float) -> dict[str, Text]:
        """Every column's content for `job` (shown or not), without the leading gap."""
        colours = self.app.theme_variables
        expected = self._expectation(job) if job.state.is_running else None
        return {
            "state": state_cell(job.state, colours),
            "id": self._id_cell(job),
            "elapsed": elapsed_cell(job, now),
            "progress": progress_cell(job, now, expected, colours, self._downloads.get(job.id)),
            "type": Text(job.type, end=""),
            "model": Text(job.model, end=""),
            "cost": self._cost_cell(job),
            "prompt": self._prompt_cell(job),
            "failure": plain_cell(job.failure_code, 30),
        }

    def _cost_cell(self, job: Job) -> Text:
        """The job's price, read with its page (one now for a job new since); `…` while the
        prices of the first page are read (they follow the first frame)."""
        if job.id in self._unpriced:
            return Text("…", end="")
        if job.id not in self._costs:
            self._costs[job.id] = request_price(job.request_json, self.prices)
        return cost_cell(self._costs[job.id])

    def _row(self, job: Job, now: float) -> list[Text]:
        """The shown cells of `job`'s row, in column order."""
        cells = self._cells(job, now)
        return [gap(cells[key], SPECS[key].justify) for key in self._layout.keys]

    def _group_row(self, group: BatchGroup) -> list[Text]:
        """The shown cells of a batch's group row, in column order."""
        marked = sum(1 for job_id in group.shown if job_id in self.marks)
        for job in group.members.values():  # jobs new since their page was read: one price
            if job.id not in self._costs and job.id not in self._unpriced:
                self._costs[job.id] = request_price(job.request_json, self.prices)
        summary = group.summary(self._costs)
        colours, width = self.app.theme_variables, self._layout.width_of("prompt")
        cells = group_cells(
            group,
            summary,
            marked=marked,
            colours=colours,
            prompt_width=width,
            shown=self._layout.keys,
        )
        return [gap(cells[key], SPECS[key].justify) for key in self._layout.keys]

    def _row_for_key(self, key: str, now: float) -> list[Text] | None:
        """The cells of the row `key`: a job's, or a batch's group row (None: neither)."""
        group = self._groups.at(key)
        if group is not None:
            return self._group_row(group)
        job = self._jobs.get(key)
        return None if job is None else self._row(job, now)

    def _refresh_group(self, group: BatchGroup) -> None:
        """Draw a group row again: its counts, price, marks or arrow changed."""
        if not self.table.has_row(group.key):
            return
        for column, cell in zip(self._layout.keys, self._group_row(group), strict=True):
            self.table.set_cell(group.key, column, cell)

    def _set(self, job_id: str, column: str, text: Text) -> None:
        """Update one cell (nothing when its column is hidden at this width)."""
        self.table.set_cell(job_id, column, gap(text, SPECS[column].justify))

    def _update_row(self, job: Job, now: float) -> None:
        """Update only the cells whose content changed."""
        old = self._jobs[job.id]
        if old.state is not job.state:
            self._set(job.id, "state", state_cell(job.state, self.app.theme_variables))
        if old.short_id != job.short_id:
            self._set(job.id, "id", self._id_cell(job))
        if old.starred != job.starred:
            self._set(job.id, "prompt", self._prompt_cell(job))
        if old.failure_code != job.failure_code:
            self._set(job.id, "failure", plain_cell(job.failure_code, 30))
        self._remember(job)
        if old.state is not job.state or job.state.is_running:
            self._set(job.id, "elapsed", elapsed_cell(job, now))
            self._update_progress(job, now)

    def _update_progress(self, job: Job, now: float) -> None:
        if not self.table.shows("progress"):
            return
        expected = self._expectation(job) if job.state.is_running else None
        cell = progress_cell(
            job, now, expected, self.app.theme_variables, self._downloads.get(job.id)
        )
        self._set(job.id, "progress", cell)

    # -- columns ----------------------------------------------------------------------------

    def fit_columns(self, width: int | None = None) -> None:
        """Show the columns that fit the table's width (Prompt takes what is left)."""
        table = self.table
        available = table.scrollable_content_region.width if width is None else width
        if available <= 0 and table.columns:
            return  # not laid out yet: the columns come with the size
        layout = layout_columns(max(available, 0), wide=self._wide)
        if layout == self._layout and table.columns:
            return
        same_columns = layout.keys == self._layout.keys and bool(table.columns)
        self._layout = layout
        if same_columns:
            table.set_widths(dict(layout.columns))
        else:
            now = self.clock()
            rows = [
                (key, cells)
                for key in table.keys_in_order()
                if (cells := self._row_for_key(key, now)) is not None
            ]
            table.set_columns([(k, self._header(k), w) for k, w in layout.columns], rows)
        self._label_sort()

    def _header(self, key: str) -> Text:
        """A column's header: its name, and ↑ or ↓ when the list is sorted by it."""
        spec = SPECS[key]
        query = self.job_query
        label = spec.label
        if HEADER_SORTS.get(key) == query.sort:
            arrow = "↓" if query.descending else "↑"
            width = self._layout.width_of(key) - 1
            label += (" " if len(label) + 2 <= width else "") + arrow
        return gap(Text(label, style="bold", end=""), spec.justify)

    def _label_sort(self) -> None:
        for key in self._layout.keys:
            self.table.set_header(key, self._header(key))

    def _show_note(self, job_id: str) -> None:
        """Say what the highlighted job's state means, and why it is there when known."""
        group = self._groups.at(self.table.key_at_cursor())
        if group is not None and (job_id == group.key or job_id in group.members):
            acts_on = self._jobs.get(self._selected or "") if self._selected else None
            short = acts_on.short_id if acts_on is not None else None
            self._set_note(plain_cell(group_note(group, group.summary(self._costs), short), 300))
            return
        job = self._jobs.get(job_id)
        if job is not None:
            self._set_note(plain_cell(note_text(job, self.clock()), 300))

    def _set_note(self, note: Text | str) -> None:
        """Show `note` under the table; nothing is drawn when it says the same.

        The line is one row high (jobs.tcss), so a new note never needs a new layout: every
        job change and tick sets it, and a layout of the whole screen on each (the composer's
        hundreds of widgets with it) delayed the frames showing typed keys. A tick's or a
        poll's note is news: while keys come, it is drawn with the next key.
        """
        plain = note.plain if isinstance(note, Text) else note
        if plain == self._note:
            return
        self._note = plain
        line = self.query_one("#job-note", Static)
        self._note_shown = note

        def paint() -> None:  # the newest note, whenever it runs
            line.update(self._note_shown, layout=False)

        if self.table.is_news:  # a tick or a poll: while keys come, with the next key
            repaint_between_keys(self.app, line, paint)
        else:
            paint()
