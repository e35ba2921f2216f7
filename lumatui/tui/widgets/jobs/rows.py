"""The job list's rows: read page by page off the event loop, drawn cell by cell.

A part of `JobList` (see there): the rows' state, and paging in workers that await the
async store (a page read for an older filter is dropped). The selection and batch groups
are `RowSelection`'s, the cells `RowCells`'.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from lumatui.engine.astore import AsyncJobStore
from lumatui.engine.queries import JobQuery, conditions
from lumatui.tui.deferred import deferred
from lumatui.tui.first_frame import after_first_frame
from lumatui.tui.widgets.jobs.cells import cost_cell, request_price
from lumatui.tui.widgets.jobs.columns import ColumnLayout, layout_columns
from lumatui.tui.widgets.jobs.filters import describe, matches
from lumatui.tui.widgets.jobs.groups import BatchGroups
from lumatui.tui.widgets.jobs.marks import JobMarks
from lumatui.tui.widgets.jobs.row_selection import RowSelection

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent.futures import Future

    from rich.text import Text
    from textual.timer import Timer

    from lumatui.api.pricing import Price
    from lumatui.engine.jobs import Job
    from lumatui.engine.schedule import Expectation
    from lumatui.engine.store import JobStore

PAGE_SIZE = 300
FIRST_ROWS = 100
"""A list's first read: more rows than any screen shows at once. The other 200 rows of the
first page are read right after the first frame (placing all 300 before it was a tenth of
the time to it)."""


class JobRows(RowSelection, can_focus=False):
    """The rows of the job list and how they are read (a part of JobList)."""

    def __init__(
        self,
        store: AsyncJobStore | JobStore,
        *,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        prices: Mapping[str, float] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store = store if isinstance(store, AsyncJobStore) else AsyncJobStore(store)
        self.clock = clock
        self.page_size = page_size
        self.prices = dict(prices or {})
        self._jobs: dict[str, Job] = {}
        self._costs: dict[str, Price | None] = {}
        self._unpriced: dict[str, Job] = {}
        """Jobs placed whose price is still being read (the first page's follow its frame)."""
        self._layout = layout_columns(0)
        self._wide = False
        self._history_total = 0
        self._ticking: set[str] = set()
        self._downloads: dict[str, float] = {}
        self._expected: dict[tuple[str, str], Expectation] = {}
        self._priors_known: set[tuple[str, str]] = set()
        self._priors_due: set[tuple[str, str]] = set()
        self._total = 0
        self._exhausted = False
        self._selected: str | None = None
        self._ticker: Timer | None = None
        self._token = 0
        self._loading = False
        self._wanted: str | None = None
        self._keep: str | None = None
        """The job the cursor was on before a reload, when its first rows did not hold it."""
        self._removed: set[str] = set()
        self._note = ""
        self._note_shown: Text | str = ""
        self._subtitle = ""
        self.marks = JobMarks()
        """The rows marked for a bulk action (space)."""
        self._groups = BatchGroups()
        self._first_page_waiting: list[Callable[[], object]] | None = []
        self._first_size = min(page_size, FIRST_ROWS)
        self._read_ahead: Future[FirstPage] | None = self.store.read_soon(
            _first_page_reader(JobQuery(), self._first_size, self.prices, priced=False)
        )
        """The first page of the default list, read while the screen is built and laid out:
        its rows are in the second frame (read after the screen's mount, in the sixth). Its
        prices follow the first frame: the first price imports and builds the request
        schema, 60-80 ms of the one interpreter the screen is being built with."""

    @property
    def total(self) -> int:
        """How many stored jobs match the query (loaded or not)."""
        return self._total

    @property
    def history_total(self) -> int:
        """How many jobs the history holds, filtered or not."""
        return self._history_total

    @property
    def column_layout(self) -> ColumnLayout:
        """The columns shown and their widths."""
        return self._layout

    # -- reading pages (off the event loop) ---------------------------------------------

    def reload(self) -> None:
        """Clear the table and read the first page of `query` (a new filter or order only)."""
        self._token += 1
        keep = self.selected_job_id
        self.table.clear()
        self._jobs.clear()
        self._groups.clear()
        self._ticking.clear()
        self._exhausted = False
        self._loading = True
        self.run_worker(
            deferred(self._read_first, self._token, keep),
            group="job-list-pages",
            exclusive=True,
            exit_on_error=False,
        )

    def after_first_page(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the first page was read and placed (or its read failed or
        was cancelled): at once when that has happened already."""
        if self._first_page_waiting is None:
            callback()
        else:
            self._first_page_waiting.append(callback)

    def _first_page_done(self) -> None:
        waiting, self._first_page_waiting = self._first_page_waiting or [], None
        for callback in waiting:
            callback()

    async def _read_first(self, token: int, keep: str | None) -> None:
        placed = False
        try:
            placed = await self._read_first_page(token, keep)
        finally:
            if token == self._token and not placed:  # else a newer read, or the placing, says it
                self._first_page_done()

    async def _read_first_page(self, token: int, keep: str | None) -> bool:
        """Read the first page; place it now, or after the next refresh while the table has
        no width yet (at start the page comes first, and placing it before the columns fit
        the width drew every row twice). True when the placing tells `after_first_page`."""
        query, size = self.job_query, self._first_size
        ahead, self._read_ahead = self._read_ahead, None
        if ahead is not None and token == 1 and query == JobQuery():
            first = await asyncio.wrap_future(ahead)  # started while the screen was built
        else:
            if ahead is not None:
                ahead.cancel()
            first = await self.store.read(_first_page_reader(query, size, self.prices))
        total, everything, jobs, costs, batches = first
        if token != self._token:
            return False  # a newer filter or order started its own read

        def place() -> None:
            try:
                if token == self._token:
                    self._place_first_page(total, everything, jobs, costs, batches, keep, size)
            finally:
                if token == self._token:
                    self._first_page_done()

        if self.table.size.width or not self.table.display or not self.is_attached:
            place()
        else:
            self.call_after_refresh(place)
        return True

    def _place_first_page(
        self,
        total: int,
        everything: int,
        jobs: list[Job],
        costs: dict[str, Price | None] | None,
        batches: Batches,
        keep: str | None,
        asked: int,
    ) -> None:
        self._total, self._history_total = total, everything
        self._loading = False
        if costs is None:
            members = (job for batch in batches.values() for job in batch)
            self._unpriced.update((job.id, job) for job in (*jobs, *members))
            after_first_frame(self, self._price_placed)
        else:
            self._took_prices(costs)
        self.fit_columns()  # the table's width is known now: the rows are drawn once
        self._append(jobs, batches, asked=asked)
        table = self.table
        if keep is not None and (row := self._row_of(keep)) is not None:
            table.move_cursor(row=table.get_row_index(row))
        elif keep is not None and asked < self.page_size and not self._exhausted:
            self._keep = keep  # the rest of the page may hold it
        self._after_page()
        self._follow_cursor()
        if asked < self.page_size and not self._exhausted:
            after_first_frame(self, self.load_more, self.page_size - asked)  # the page's rest

    def recount(self) -> None:
        """Count the matching and all jobs again (in a worker): after adds and removals."""
        self.run_worker(
            deferred(self._read_counts, self._token),
            group="job-list-counts",
            exclusive=True,
            exit_on_error=False,
        )

    async def _read_counts(self, token: int) -> None:
        query = self.job_query
        total, everything = await self.store.read(lambda s: _counts(s, query))
        if token == self._token:
            self._total, self._history_total = total, everything
            self._describe()

    def load_more(self, rows: int | None = None) -> None:
        """Read the next page of the query, or its next `rows` (in a worker); its rows are
        appended."""
        if self._exhausted or self._loading:
            return
        self._loading = True
        self.run_worker(
            deferred(self._read_more, self._token, len(self._jobs), rows or self.page_size),
            group="job-list-pages",
            exit_on_error=False,
        )

    async def _read_more(self, token: int, offset: int, size: int) -> None:
        query, prices = self.job_query, self.prices
        known = self._groups.known()

        def read(s: JobStore) -> tuple[list[Job], dict[str, Price | None], Batches]:
            jobs = s.page(query, offset=offset, limit=size)
            batches = _batches(s, jobs, known)
            return (
                jobs,
                _prices([*jobs, *(m for b in batches.values() for m in b)], prices),
                batches,
            )

        jobs, costs, batches = await self.store.read(read)
        if token != self._token:
            return
        self._loading = False
        self._took_prices(costs)
        self._append(jobs, batches, asked=size)
        keep, self._keep = self._keep, None
        table = self.table
        if keep is not None and (row := self._row_of(keep)) is not None and table.cursor_row == 0:
            table.move_cursor(row=table.get_row_index(row))  # not moved meanwhile
        self._after_page()

    def _took_prices(self, costs: dict[str, Price | None]) -> None:
        self._costs.update(costs)
        for job_id in costs:
            self._unpriced.pop(job_id, None)

    def _price_placed(self) -> None:
        """Read the prices of the jobs placed without them (in a worker)."""
        self.run_worker(deferred(self._read_prices), group="job-list-prices", exit_on_error=False)

    async def _read_prices(self) -> None:
        waiting, prices = list(self._unpriced.values()), self.prices
        costs = await self.store.read(lambda _: _prices(waiting, prices))
        self._took_prices(costs)
        table = self.table
        if table.shows("cost"):
            for job_id, price in costs.items():
                self._set(job_id, "cost", cost_cell(price))
        for group in self._groups:
            if not costs.keys().isdisjoint(group.members):
                self._refresh_group(group)
        if (key := table.key_at_cursor()) is not None and self._groups.at(key) is not None:
            self._show_note(key)  # a group's note tells its price

    def _append(self, jobs: list[Job], batches: Batches | None = None, *, asked: int) -> int:
        if len(jobs) < asked:
            self._exhausted = True
        table = self.table
        now = self.clock()
        added = 0
        for job in jobs:
            if job.id in self._jobs or job.id in self._removed:
                continue
            self._remember(job)
            if job.batch_id is None:
                table.add_row(*self._row(job, now), key=job.id)
            else:
                self._place(job, now, (batches or {}).get(job.batch_id), on_top=False)
            added += 1
        self._describe()
        return added

    # -- a job asked for, the subtitle --------------------------------------------------

    def _after_page(self) -> None:
        """A job asked for by `select_job` may be on the page that just arrived."""
        wanted = self._wanted
        if wanted is None:
            return
        if self._row_of(wanted) is not None:
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
        if self._row_of(job_id) is not None:
            self._move_to(job_id)
            return True
        if isinstance(job, str) or not matches(job, self.job_query):
            return False
        self._wanted = job_id
        self._selected = job_id
        self.load_more()
        return True

    def _describe(self) -> None:
        """The pane's subtitle: how many match out of how many, the filter and the order."""
        query = self.job_query
        parts = [f"{self._total:,} of {self._history_total:,}"]
        if described := describe(query):
            parts.append(f"filter: {described}")
        if query.hide_finished:
            parts.append("finished hidden")
        parts.append(f"by {query.sort} {'↓' if query.descending else '↑'}")
        if self._wide:
            parts.append("wide (w)")
        subtitle = " · ".join(parts)
        if subtitle != self._subtitle:  # setting it repaints the whole pane, table and all
            self._subtitle = subtitle
            self.border_subtitle = subtitle


Batches = dict[str, list["Job"]]
"""The whole membership of batches, by batch id (read with the page that lists them)."""


FirstPage = tuple[int, int, list["Job"], dict[str, "Price | None"] | None, Batches]
"""A list's first read: how many jobs match, how many the history holds, the page's jobs,
their prices (None: not read) and their batches."""


def _first_page_reader(
    query: JobQuery, size: int, prices: Mapping[str, float], *, priced: bool = True
) -> Callable[[JobStore], FirstPage]:
    """How a list reads its first page of `query` (on a reader thread)."""

    def read(s: JobStore) -> FirstPage:
        jobs = s.page(query, offset=0, limit=size)
        batches = _batches(s, jobs, frozenset())
        members = (m for b in batches.values() for m in b)
        costs = _prices([*jobs, *members], prices) if priced else None
        return *_counts(s, query), jobs, costs, batches

    return read


def _counts(store: JobStore, query: JobQuery) -> tuple[int, int]:
    """How many jobs match `query`, and how many the history holds (counted once when the
    query filters nothing: a count walks an index)."""
    total = store.count(query)
    return total, total if not conditions(query) else store.count(JobQuery())


def _batches(store: JobStore, jobs: list[Job], known: frozenset[str]) -> Batches:
    """Every job of the batches `jobs` belong to that the list does not know yet (a batch
    is at most 64 jobs, read through its index)."""
    ids = dict.fromkeys(job.batch_id for job in jobs if job.batch_id and job.batch_id not in known)
    return {batch_id: store.batch(batch_id) for batch_id in ids if batch_id is not None}


def _prices(jobs: list[Job], overrides: Mapping[str, float]) -> dict[str, Price | None]:
    """The price of each job's request (read with its page, off the event loop)."""
    return {job.id: request_price(job.request_json, overrides) for job in jobs}
