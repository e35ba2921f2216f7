"""The live job list: paged from SQLite, updated cell by cell as the engine reports changes.

Start-up reads one page (the newest 300 jobs by default), never the whole history; more
pages load as the cursor nears the end. A changed job updates only the cells that changed
in its row; a new job adds one row on top; only a new filter or order reloads the table.
Running rows tick their elapsed time and estimated progress once a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from lumatui.engine.jobs import JobState
from lumatui.engine.queries import JobQuery
from lumatui.engine.schedule import expectation
from lumatui.tui.widgets.jobs.cells import (
    COLUMNS,
    HEADER_SORTS,
    elapsed_cell,
    note_text,
    plain_cell,
    progress_cell,
    state_cell,
)
from lumatui.tui.widgets.jobs.filters import describe, matches, next_sort, parse_filter
from lumatui.tui.widgets.jobs.job_table import JobTable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from textual.app import ComposeResult
    from textual.timer import Timer

    from lumatui.engine.jobs import Job
    from lumatui.engine.schedule import Expectation
    from lumatui.engine.store import JobStore

PAGE_SIZE = 300
LOAD_MORE_WITHIN = 40
"""Load the next page when the cursor comes this close to the last loaded row."""


class JobList(Widget, can_focus=False):
    """Every job, newest first, filtered and ordered by `job_query`; j/k move, / filters."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "open_filter", "Filter", id="jobs.filter", tooltip="Filter the list"),
        Binding("h", "toggle_finished", "Hide done", id="jobs.hide_finished"),
        Binding("t", "cycle_sort", "Sort", id="jobs.sort", tooltip="Sort by the next column"),
        Binding("T", "reverse_sort", "Reverse", id="jobs.reverse", tooltip="Flip the order"),
        Binding("escape", "close_filter", "Clear filter", show=False, id="jobs.clear_filter"),
    ]

    job_query: reactive[JobQuery] = reactive(JobQuery, init=False)
    """Which jobs are listed and in what order; a new query reloads the table."""

    @dataclass
    class JobSelected(Message):
        """The highlighted job changed (the cursor moved, or `select_job` was called)."""

        job_id: str

    def __init__(
        self,
        store: JobStore,
        *,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store = store
        self.clock = clock
        self.page_size = page_size
        self._jobs: dict[str, Job] = {}
        self._ticking: set[str] = set()
        self._downloads: dict[str, float] = {}
        self._expected: dict[tuple[str, str], Expectation] = {}
        self._total = 0
        self._exhausted = False
        self._selected: str | None = None
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        """The filter line (hidden until `/`), the table and the highlighted job's note."""
        yield Input(placeholder="text  state:failed  type:video  model:uni-1", id="job-filter")
        yield JobTable(id="job-table")
        yield Static("", id="job-note", markup=False)

    def on_mount(self) -> None:
        """Add the columns, read the first page, start the one-second tick."""
        table = self.table
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#job-filter", Input).display = False
        self.reload()
        self._ticker = self.set_interval(1.0, self.tick, name="job-list-tick")

    @property
    def table(self) -> JobTable:
        """The DataTable of jobs."""
        return self.query_one(JobTable)

    @property
    def selected_job_id(self) -> str | None:
        """The local id of the highlighted job."""
        return self.table.key_at_cursor()

    @property
    def total(self) -> int:
        """How many stored jobs match the query (loaded or not)."""
        return self._total

    # -- reading pages --------------------------------------------------------------------

    def reload(self) -> None:
        """Clear the table and read the first page of `query` (a new filter or order only)."""
        keep = self.selected_job_id
        table = self.table
        table.clear()
        self._jobs.clear()
        self._ticking.clear()
        self._exhausted = False
        self._total = self.store.count(self.job_query)
        self.load_more()
        if keep is not None and table.has_row(keep):
            table.move_cursor(row=table.get_row_index(keep))
        self._describe()

    def load_more(self) -> int:
        """Append the next page of the query; returns how many rows were added."""
        if self._exhausted:
            return 0
        table = self.table
        jobs = self.store.page(self.job_query, offset=table.row_count, limit=self.page_size)
        if len(jobs) < self.page_size:
            self._exhausted = True
        now = self.clock()
        added = 0
        for job in jobs:
            if job.id in self._jobs:
                continue
            table.add_row(*self._cells(job, now), key=job.id)
            self._remember(job)
            added += 1
        self._describe()
        return added

    def select_job(self, job_id: str) -> bool:
        """Highlight the job (loading pages until it is there); False if the filter hides it."""
        table = self.table
        if not table.has_row(job_id):
            try:
                job = self.store.get(job_id)
            except KeyError:
                return False
            if not matches(job, self.job_query):
                return False
            while not table.has_row(job_id) and self.load_more():
                pass
            if not table.has_row(job_id):
                return False
        self._selected = job_id
        table.move_cursor(row=table.get_row_index(job_id))
        self._show_note(job_id)
        return True

    # -- live changes ---------------------------------------------------------------------

    def jobs_changed(self, jobs: Iterable[Job]) -> None:
        """Apply changed jobs: update their cells, add new ones on top, drop filtered ones."""
        table = self.table
        now = self.clock()
        fresh: list[tuple[str, list[Any]]] = []
        leaving: list[str] = []
        finished_kinds: set[tuple[str, str]] = set()
        for job in jobs:
            belongs = matches(job, self.job_query)
            if job.id in self._jobs:
                if belongs:
                    self._update_row(job, now)
                else:
                    leaving.append(job.id)
                    self._forget(job.id)
                    self._total -= 1
            elif belongs:
                fresh.append((job.id, self._cells(job, now)))
                self._remember(job)
                self._total += 1
            if job.state is JobState.COMPLETED:
                finished_kinds.add((job.model, job.type))
        # New durations change the estimate of that kind, from the next tick on.
        for kind in finished_kinds:
            self._expected.pop(kind, None)
        table.remove_rows(leaving)
        table.add_rows_on_top(fresh[::-1])
        if self._selected is not None and self._selected in self._jobs:
            self._show_note(self._selected)
        self._describe()

    def download_progress(self, job_id: str, received: int, total: int | None) -> None:
        """Show how much of a job's output has arrived (when the size is known)."""
        if job_id not in self._jobs or not total:
            return
        self._downloads[job_id] = min(received / total, 1.0)
        self._update_progress(self._jobs[job_id], self.clock())

    def output_ready(self, job_id: str) -> None:
        """An output is on disk: the download bar gives way to the finished mark."""
        if self._downloads.pop(job_id, None) is not None and job_id in self._jobs:
            self._update_progress(self._jobs[job_id], self.clock())

    def tick(self) -> None:
        """Advance the elapsed time and estimate of running rows only."""
        if not self._ticking:
            return
        now = self.clock()
        table = self.table
        for job_id in self._ticking:
            job = self._jobs[job_id]
            table.update_cell(job_id, "elapsed", elapsed_cell(job, now))
            self._update_progress(job, now)

    def restyle(self) -> None:
        """Redraw the state colours after the theme changed."""
        colours = self.app.theme_variables
        for job_id, job in self._jobs.items():
            self.table.update_cell(job_id, "state", state_cell(job.state, colours))

    # -- keys -----------------------------------------------------------------------------

    def action_open_filter(self) -> None:
        """Show the filter line and put the cursor in it."""
        field = self.query_one("#job-filter", Input)
        field.display = True
        field.focus()

    def action_close_filter(self) -> None:
        """Clear the filter, hide its line and go back to the table."""
        field = self.query_one("#job-filter", Input)
        if not field.display and not self.job_query.text and not describe(self.job_query):
            return
        field.value = ""
        field.display = False
        self.job_query = parse_filter("", self.job_query)
        self.table.focus()

    def action_toggle_finished(self) -> None:
        """Hide or show finished jobs."""
        self.job_query = replace(self.job_query, hide_finished=not self.job_query.hide_finished)

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        self.job_query = next_sort(self.job_query)

    def action_reverse_sort(self) -> None:
        """Flip the sort direction."""
        self.job_query = replace(self.job_query, descending=not self.job_query.descending)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the person types."""
        if event.input.id == "job-filter":
            event.stop()
            self.job_query = parse_filter(event.value, self.job_query)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter keeps the filter and goes back to the table."""
        if event.input.id == "job-filter":
            event.stop()
            event.input.display = bool(event.value.strip())
            self.table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Tell the app which job is selected; read more rows near the end."""
        event.stop()
        key = event.row_key.value
        if key is not None and key != self._selected:
            self._selected = key
            self.post_message(self.JobSelected(key))
        if key is not None:
            self._show_note(key)
        if event.cursor_row >= self.table.row_count - LOAD_MORE_WITHIN:
            self.call_later(self.load_more)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Clicking a header sorts by it; clicking it again flips the order."""
        event.stop()
        sort = HEADER_SORTS.get(str(event.column_key.value))
        if sort is None:
            return
        if sort == self.job_query.sort:
            self.action_reverse_sort()
        else:
            self.job_query = replace(self.job_query, sort=sort)

    def watch_job_query(self) -> None:
        """A new filter or order: read the list again."""
        self.reload()

    # -- inner workings -------------------------------------------------------------------

    def _remember(self, job: Job) -> None:
        self._jobs[job.id] = job
        if job.state.is_running:
            self._ticking.add(job.id)
        else:
            self._ticking.discard(job.id)

    def _forget(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self._ticking.discard(job_id)
        self._downloads.pop(job_id, None)

    def _expectation(self, job: Job) -> Expectation:
        kind = (job.model, job.type)
        if kind not in self._expected:
            self._expected[kind] = expectation(
                job.model, job.type, self.store.durations(job.model, job.type)
            )
        return self._expected[kind]

    def _cells(self, job: Job, now: float) -> list[Any]:
        colours = self.app.theme_variables
        expected = self._expectation(job) if job.state.is_running else None
        return [
            state_cell(job.state, colours),
            Text(job.short_id, end=""),
            plain_cell(job.prompt),
            Text(job.type, end=""),
            Text(job.model, end=""),
            elapsed_cell(job, now),
            progress_cell(job, now, expected, colours, self._downloads.get(job.id)),
            plain_cell(job.failure_code, 30),
        ]

    def _update_row(self, job: Job, now: float) -> None:
        """Update only the cells whose content changed."""
        old = self._jobs[job.id]
        table = self.table
        if old.state is not job.state:
            table.update_cell(job.id, "state", state_cell(job.state, self.app.theme_variables))
        if old.short_id != job.short_id:
            table.update_cell(job.id, "id", Text(job.short_id, end=""))
        if old.failure_code != job.failure_code:
            table.update_cell(job.id, "failure", plain_cell(job.failure_code, 30))
        self._remember(job)
        if old.state is not job.state or job.state.is_running:
            table.update_cell(job.id, "elapsed", elapsed_cell(job, now))
            self._update_progress(job, now)

    def _update_progress(self, job: Job, now: float) -> None:
        expected = self._expectation(job) if job.state.is_running else None
        cell = progress_cell(
            job, now, expected, self.app.theme_variables, self._downloads.get(job.id)
        )
        self.table.update_cell(job.id, "progress", cell)

    def _show_note(self, job_id: str) -> None:
        """Say what the highlighted job's state means, and why it is there when known."""
        job = self._jobs.get(job_id)
        if job is not None:
            self.query_one("#job-note", Static).update(plain_cell(note_text(job), 300))

    def _describe(self) -> None:
        """The pane's subtitle: what is shown out of how many, the filter and the order."""
        query = self.job_query
        parts = [f"{self.table.row_count:,} of {self._total:,}"]
        if described := describe(query):
            parts.append(f"filter: {described}")
        if query.hide_finished:
            parts.append("finished hidden")
        parts.append(f"by {query.sort} {'↓' if query.descending else '↑'}")
        self.border_subtitle = " · ".join(parts)
