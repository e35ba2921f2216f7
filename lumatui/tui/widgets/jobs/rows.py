"""The job list's rows: read page by page off the event loop, drawn cell by cell.

A part of `JobList` (see there): the query, the rows it holds, paging in workers that
await the async store (a page read for an older filter is dropped), and the cells.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from lumatui.engine.astore import AsyncJobStore
from lumatui.engine.queries import JobQuery
from lumatui.engine.schedule import expectation
from lumatui.tui.deferred import deferred
from lumatui.tui.widgets.jobs.cells import (
    elapsed_cell,
    note_text,
    plain_cell,
    progress_cell,
    state_cell,
)
from lumatui.tui.widgets.jobs.filters import describe, matches
from lumatui.tui.widgets.jobs.job_table import JobTable
from lumatui.tui.widgets.jobs.marks import JobMarks

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.timer import Timer

    from lumatui.engine.jobs import Job
    from lumatui.engine.schedule import Expectation
    from lumatui.engine.store import JobStore

PAGE_SIZE = 300


class JobRows(Widget, can_focus=False):
    """The rows of the job list and how they are read (a part of JobList)."""

    job_query: reactive[JobQuery] = reactive(JobQuery, init=False)
    """Which jobs are listed and in what order; a new query reloads the table."""

    def __init__(
        self,
        store: AsyncJobStore | JobStore,
        *,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store = store if isinstance(store, AsyncJobStore) else AsyncJobStore(store)
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
        self._token = 0
        self._loading = False
        self._wanted: str | None = None
        self._removed: set[str] = set()
        self.marks = JobMarks()
        """The rows marked for a bulk action (space)."""

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

    # -- reading pages (off the event loop) ---------------------------------------------

    def reload(self) -> None:
        """Clear the table and read the first page of `query` (a new filter or order only)."""
        self._token += 1
        keep = self.selected_job_id
        self.table.clear()
        self._jobs.clear()
        self._ticking.clear()
        self._exhausted = False
        self._loading = True
        self.run_worker(
            deferred(self._read_first, self._token, keep),
            group="job-list-pages",
            exclusive=True,
            exit_on_error=False,
        )

    async def _read_first(self, token: int, keep: str | None) -> None:
        query, size = self.job_query, self.page_size
        total, jobs = await self.store.read(
            lambda s: (s.count(query), s.page(query, offset=0, limit=size))
        )
        if token != self._token:
            return  # a newer filter or order started its own read
        self._total = total
        self._loading = False
        self._append(jobs)
        table = self.table
        if keep is not None and table.has_row(keep):
            table.move_cursor(row=table.get_row_index(keep))
        self._after_page()

    def load_more(self) -> None:
        """Read the next page of the query (in a worker); its rows are appended."""
        if self._exhausted or self._loading:
            return
        self._loading = True
        self.run_worker(
            deferred(self._read_more, self._token, self.table.row_count),
            group="job-list-pages",
            exit_on_error=False,
        )

    async def _read_more(self, token: int, offset: int) -> None:
        query, size = self.job_query, self.page_size
        jobs = await self.store.read(lambda s: s.page(query, offset=offset, limit=size))
        if token != self._token:
            return
        self._loading = False
        self._append(jobs)
        self._after_page()

    def _append(self, jobs: list[Job]) -> int:
        if len(jobs) < self.page_size:
            self._exhausted = True
        table = self.table
        now = self.clock()
        added = 0
        for job in jobs:
            if job.id in self._jobs or job.id in self._removed:
                continue
            table.add_row(*self._cells(job, now), key=job.id)
            self._remember(job)
            added += 1
        self._describe()
        return added

    def _after_page(self) -> None:
        """A job asked for by `select_job` may be on the page that just arrived."""
        wanted = self._wanted
        if wanted is None:
            return
        if self.table.has_row(wanted):
            self._wanted = None
            self._move_to(wanted)
        elif self._exhausted:
            self._wanted = None
        else:
            self.load_more()

    def select_job(self, job: Job | str) -> bool:
        """Highlight the job, reading pages (in workers) until it is there.

        False when the filter hides it (or, given only an id, when it is not loaded).
        """
        job_id = job if isinstance(job, str) else job.id
        if self.table.has_row(job_id):
            self._move_to(job_id)
            return True
        if isinstance(job, str) or not matches(job, self.job_query):
            return False
        self._wanted = job_id
        self._selected = job_id
        self.load_more()
        return True

    def _move_to(self, job_id: str) -> None:
        self._selected = job_id
        table = self.table
        table.move_cursor(row=table.get_row_index(job_id))
        self._show_note(job_id)

    def job(self, job_id: str) -> Job | None:
        """The job as the list shows it (None when it is not loaded)."""
        return self._jobs.get(job_id)

    def _id_cell(self, job: Job) -> Text:
        if job.id in self.marks:
            return Text.assemble(("● ", "bold"), job.short_id, end="")
        return Text(job.short_id, end="")

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
        """The kind's expected durations: the prior until its history is read (in a worker)."""
        kind = (job.model, job.type)
        if kind not in self._expected:
            self._expected[kind] = expectation(job.model, job.type, [])
            self.run_worker(deferred(self._read_durations, kind), group="job-list-durations")
        return self._expected[kind]

    async def _read_durations(self, kind: tuple[str, str]) -> None:
        durations = await self.store.read(lambda s: s.durations(*kind))
        if durations:
            self._expected[kind] = expectation(*kind, durations)

    def _cells(self, job: Job, now: float) -> list[Any]:
        colours = self.app.theme_variables
        expected = self._expectation(job) if job.state.is_running else None
        return [
            state_cell(job.state, colours),
            self._id_cell(job),
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
            table.update_cell(job.id, "id", self._id_cell(job))
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
            note = note_text(job, self.clock())
            self.query_one("#job-note", Static).update(plain_cell(note, 300))

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
