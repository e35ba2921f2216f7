"""The live job list: paged from SQLite, updated cell by cell as the engine reports changes.

Start-up reads one page (the newest 300 jobs by default), never the whole history; more
pages load as the cursor nears the end. Every read runs off the event loop (a worker
awaiting the async store), so paging never blocks a frame; a page read for an older filter
is dropped. A changed job updates only the cells that changed in its row (an older version
of a row than the one shown is ignored: changes arrive from this process's engine and from
the history's change feed); a new job adds one row on top; a removed one goes; only a new
filter or order reloads the table. Running rows in view tick their elapsed time and
estimated progress (`TICK_S`): a row is drawn again only when its text changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from lumatui.engine.jobs import JobState
from lumatui.tui.widgets.jobs.cells import elapsed_cell, state_cell
from lumatui.tui.widgets.jobs.columns import HEADER_SORTS
from lumatui.tui.widgets.jobs.filters import describe, matches, next_sort, parse_filter
from lumatui.tui.widgets.jobs.job_table import JobTable
from lumatui.tui.widgets.jobs.rows import PAGE_SIZE, JobRows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual import events
    from textual.app import ComposeResult

    from lumatui.engine.jobs import Job

__all__ = ["PAGE_SIZE", "JobList"]
LOAD_MORE_WITHIN = 40
TICK_S = 0.25
"""How often running rows look at the clock. Each row's seconds turn over at their own
moment, so four looks a second spread the redrawn rows over four frames instead of one
(a frame drawing every running row in view delayed the key that came with it), and each
shows its second within a quarter of it."""
"""Load the next page when the cursor comes this close to the last loaded row."""


class JobList(JobRows, can_focus=False):
    """Every job, newest first, filtered and ordered by `job_query`; j/k move, / filters."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "open_filter",
            "Filter",
            id="jobs.filter",
            tooltip="Filter the list: free text and state:failed type:video model:uni-1",
        ),
        Binding(
            "h",
            "toggle_finished",
            "Hide done",
            id="jobs.hide_finished",
            tooltip="Hide or show finished jobs (completed, failed, uncertain, ...)",
        ),
        Binding("t", "cycle_sort", "Sort", id="jobs.sort", tooltip="Sort by the next column"),
        Binding("T", "reverse_sort", "Reverse", id="jobs.reverse", tooltip="Flip the order"),
        Binding(
            "w",
            "toggle_wide",
            "Wide",
            show=False,
            id="jobs.wide",
            tooltip="Wide view: more columns, a shorter prompt (and back)",
        ),
        Binding(
            "escape",
            "close_filter",
            "Clear filter",
            show=False,
            id="jobs.clear_filter",
            tooltip="Clear the filter and show every job again",
        ),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            show=False,
            id="jobs.mark",
            tooltip="Mark or unmark the highlighted job (bulk cancel, remove, re-run, export)",
        ),
    ]

    @dataclass
    class JobSelected(Message):
        """The highlighted job changed (the cursor moved, or `select_job` was called)."""

        job_id: str

    @dataclass
    class MarksChanged(Message):
        """Rows were marked or unmarked; `count` are marked now."""

        count: int

    def compose(self) -> ComposeResult:
        """The filter line (hidden until `/`), the table and the highlighted job's note."""
        yield Input(placeholder="text  state:failed  type:video  model:uni-1", id="job-filter")
        yield JobTable(id="job-table")
        yield Static("", id="job-note", markup=False)

    def on_mount(self) -> None:
        """Read the first page, start the one-second tick (columns come with the size)."""
        self.query_one("#job-filter", Input).display = False
        self.fit_columns()
        self.reload()
        self._ticker = self.set_interval(TICK_S, self.tick, name="job-list-tick")
        self.table.window_moved = self._tick_rows_on_screen

    def on_resize(self, event: events.Resize) -> None:
        """The pane changed size: the columns that fit now."""
        self.call_after_refresh(self.fit_columns)

    def action_toggle_wide(self) -> None:
        """Wide view (more columns, a shorter prompt) and back."""
        self._wide = not self._wide
        self.fit_columns()
        self._describe()

    # -- live changes ---------------------------------------------------------------------

    def jobs_changed(self, jobs: Iterable[Job]) -> None:
        """Apply changed jobs: update their cells, add new ones on top, drop filtered ones.

        The changed cells are news: while keys come, they are drawn with the next key.
        """
        with self.table.news():
            self._apply_changes(jobs)

    def _apply_changes(self, jobs: Iterable[Job]) -> None:
        table = self.table
        now = self.clock()
        fresh: list[tuple[str, list[Any]]] = []
        fresh_members: list[Job] = []  # new jobs of a batch: under its group row
        groups: set[str] = set()  # group rows whose counts changed
        leaving: list[str] = []
        finished_kinds: set[tuple[str, str]] = set()
        unknown = False
        for job in jobs:
            shown = self._jobs.get(job.id)
            unknown = unknown or shown is None
            if job.id in self._removed or (shown is not None and job.rev < shown.rev):
                continue  # removed, or an older version than the one shown
            belongs = matches(job, self.job_query)
            if (group := self._groups.changed(job)) is not None:
                groups.add(group.key)
            if job.id in self._jobs:
                if belongs:
                    self._update_row(job, now)
                else:
                    leaving.append(job.id)
                    if (key := self._forget(job.id)) is not None:
                        groups.add(key)
                    self._total -= 1
            elif belongs:
                if job.batch_id is None:
                    fresh.append((job.id, self._row(job, now)))
                else:
                    fresh_members.append(job)
                self._remember(job)
                self._total += 1
            if job.state is JobState.COMPLETED:
                finished_kinds.add((job.model, job.type))
        # New durations change the estimate of that kind, from the next tick on.
        for kind in finished_kinds:
            self._expected.pop(kind, None)
        table.remove_rows(leaving)
        table.add_rows_on_top(fresh[::-1])
        for job in fresh_members:
            self._place(job, now, None, on_top=True)
        self._settle_groups(groups)
        if self._selected is not None and self._selected in self._jobs:
            self._show_note(self._selected)
        elif (fresh or fresh_members) and self._selected is None:
            self._follow_cursor()  # the first job in an empty list
        if fresh or fresh_members or leaving or unknown:
            self.recount()  # the history's total (and the filter's) as stored
        self._describe()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted row, then move to the next one; on a batch's group
        row, mark its listed jobs (or unmark them when all are marked)."""
        group = self._groups.at(self.table.key_at_cursor())
        job_id = self.selected_job_id
        if group is not None:
            ids = [m for m in group.shown if m in self._jobs]
            marking = not all(m in self.marks for m in ids)
            for member in ids:
                if (member in self.marks) != marking:
                    self.marks.toggle(member)
                self._set(member, "id", self._id_cell(self._jobs[member]))
        elif job_id is None or job_id not in self._jobs:
            return
        else:
            self.marks.toggle(job_id)
            self._set(job_id, "id", self._id_cell(self._jobs[job_id]))
            group = self._groups.of(self._jobs[job_id])
        if group is not None:
            self._refresh_group(group)
        self.table.action_cursor_down()
        self.post_message(self.MarksChanged(len(self.marks)))

    def clear_marks(self) -> None:
        """Unmark every row."""
        for job_id in self.marks.clear():
            if job_id in self._jobs:
                self._set(job_id, "id", self._id_cell(self._jobs[job_id]))
        for group in self._groups:
            self._refresh_group(group)
        self.post_message(self.MarksChanged(0))

    def jobs_removed(self, job_ids: Iterable[str]) -> None:
        """Jobs removed from the history (by any process): their rows go."""
        job_ids = list(job_ids)
        if self.marks.discard(job_ids):
            self.post_message(self.MarksChanged(len(self.marks)))
        gone = [job_id for job_id in job_ids if job_id not in self._removed]
        self._removed.update(gone)
        leaving = [job_id for job_id in gone if job_id in self._jobs]
        groups = {key for job_id in leaving if (key := self._forget(job_id, removed=True))}
        self._total -= len(leaving)
        self.table.remove_rows(leaving)
        self._settle_groups(groups)
        if self._selected in leaving:
            self._follow_cursor()
        self.recount()
        self._describe()

    def download_progress(self, job_id: str, received: int, total: int | None) -> None:
        """Show how much of a job's output has arrived (when the size is known)."""
        if job_id not in self._jobs or not total:
            return
        self._downloads[job_id] = min(received / total, 1.0)
        with self.table.news():
            self._update_progress(self._jobs[job_id], self.clock())

    def output_ready(self, job_id: str) -> None:
        """An output is on disk: the download bar gives way to the finished mark."""
        if self._downloads.pop(job_id, None) is not None and job_id in self._jobs:
            with self.table.news():
                self._update_progress(self._jobs[job_id], self.clock())

    def tick(self) -> None:
        """Advance the elapsed time and estimate of the running rows in view.

        Rows out of view wait until they come into view (`JobTable.window_moved`): with a
        hundred jobs running, working out every row's cells each second cost a key's frame
        more than drawing the few on screen.
        """
        if not self._ticking:
            return
        with self.table.news():  # while keys come, drawn with the next key
            if self._selected in self._ticking:
                self._show_note(self._selected)  # a waiting job's countdown to its next try
            self._tick_rows_on_screen()

    def _tick_rows_on_screen(self) -> None:
        """Bring the elapsed time and estimate of the running rows in view up to date."""
        ticking = self._ticking
        if not ticking:
            return
        now = self.clock()
        table = self.table
        with table.news():  # while keys come, drawn with the next key
            for job_id in table.keys_on_screen():
                if job_id in ticking:
                    job = self._jobs[job_id]
                    self._set(job_id, "elapsed", elapsed_cell(job, now))
                    self._update_progress(job, now)

    def restyle(self) -> None:
        """Redraw the state colours after the theme changed."""
        colours = self.app.theme_variables
        for job_id, job in self._jobs.items():
            self._set(job_id, "state", state_cell(job.state, colours))
        for group in self._groups:
            self._refresh_group(group)

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
        row = event.row_key.value
        key = self._job_at(row)
        if key is not None and key != self._selected:
            self._selected = key
            self.post_message(self.JobSelected(key))
        if key is not None:
            self._show_note(row if row is not None and self._groups.at(row) else key)
        if event.cursor_row >= self.table.row_count - LOAD_MORE_WITHIN:
            self.call_later(self.load_more)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A click on a highlighted batch's group row opens or closes it."""
        event.stop()
        self.open_group(None)

    def on_job_table_group_key(self, event: JobTable.GroupKey) -> None:
        """enter flips the batch group under the cursor, → opens it, ← closes it (or the
        group of the job under the cursor)."""
        event.stop()
        self.open_group(event.opened)

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
        """A new filter or order: read the list again (the sort arrow moves at once)."""
        self._label_sort()
        self.reload()
