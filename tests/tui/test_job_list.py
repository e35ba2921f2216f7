"""The job list alone, over a seeded store: paging, in-place updates, filters, ticking, text."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.engine.jobs import JobState
from lumatui.engine.queries import JobQuery
from lumatui.engine.schedule import Expectation
from lumatui.engine.store import JobStore
from lumatui.tui.widgets.jobs.cells import bar, format_duration, progress_cell
from lumatui.tui.widgets.jobs.filters import describe, matches, next_sort, parse_filter
from tests.tui.conftest import (
    FIXED_NOW,
    generation_id,
    seed_batch,
    seed_job,
    settle,
    wait_until,
)
from tests.tui.list_host import listing

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lumatui.engine.jobs import Job
    from lumatui.tui.widgets.jobs.job_list import JobList


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "jobs.db") as opened:
        yield opened


def cell(job_list: JobList, job: Job, column: str) -> str:
    return str(job_list.table.get_cell(job.id, column)).strip()


def row_line(job_list: JobList, job: Job) -> int:
    """The table's line (below its header, before scrolling) that shows `job`."""
    table = job_list.table
    return table.header_height + table.get_row_index(job.id)


def keys(job_list: JobList) -> list[str]:
    return list(job_list.table.keys_in_order())


async def test_only_the_first_page_is_read_and_more_loads_near_the_end(store: JobStore) -> None:
    jobs = [seed_job(store, n, f"job {n}") for n in range(250)]
    async with listing(store, page_size=100) as (_, job_list, pilot):
        assert job_list.table.row_count == 100
        assert job_list.total == 250
        assert keys(job_list)[0] == jobs[-1].id  # newest first
        await pilot.press("G")  # to the last loaded row: the next page arrives
        await settle(pilot)
        assert job_list.table.row_count == 200
        assert len(set(keys(job_list))) == 200


async def test_the_first_read_is_a_screenful_and_the_rest_of_the_page_follows(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of 300 rows is read as 100 (more than a screen shows) and, after the first
    frame, its other 200: the first frame places a third of them."""
    from lumatui.tui.widgets.jobs.rows import FIRST_ROWS, JobRows

    jobs = [seed_job(store, n, f"job {n}") for n in range(500)]
    placed: list[int] = []
    real_append = JobRows._append

    def counting(self: JobRows, page: list[Job], *args: Any, **kwargs: Any) -> int:
        placed.append(len(page))
        return real_append(self, page, *args, **kwargs)

    monkeypatch.setattr(JobRows, "_append", counting)
    async with listing(store, page_size=300) as (_, job_list, pilot):
        await settle(pilot)
        assert placed == [FIRST_ROWS, 300 - FIRST_ROWS]
        assert job_list.table.row_count == 300
        assert keys(job_list) == [job.id for job in reversed(jobs)][:300]  # none twice
        await pilot.press("G")  # near the end: the next page, a whole one
        await settle(pilot)
        assert placed == [FIRST_ROWS, 300 - FIRST_ROWS, 200]
        assert job_list.table.row_count == 500


def test_the_first_page_is_read_as_soon_as_the_list_is_built(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read starts before the list is mounted: it runs while the screen is built."""
    from lumatui.tui.widgets.jobs.job_list import JobList

    seed_job(store, 1, "a heron")
    begun = threading.Event()
    real_page = JobStore.page

    def page(self: JobStore, query: JobQuery, *, offset: int = 0, limit: int = 200) -> list[Job]:
        begun.set()
        return real_page(self, query, offset=offset, limit=limit)

    monkeypatch.setattr(JobStore, "page", page)
    job_list = JobList(store)  # never mounted
    assert begun.wait(30)
    ahead = job_list._read_ahead
    assert ahead is not None
    assert [job.prompt for job in ahead.result(timeout=30)[2]] == ["a heron"]


async def test_the_read_ahead_is_the_first_page_and_is_not_read_again(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [seed_job(store, n, f"job {n}") for n in range(150)]
    offsets: list[int] = []
    real_page = JobStore.page

    def page(self: JobStore, query: JobQuery, *, offset: int = 0, limit: int = 200) -> list[Job]:
        offsets.append(offset)
        return real_page(self, query, offset=offset, limit=limit)

    monkeypatch.setattr(JobStore, "page", page)
    async with listing(store, page_size=300) as (_, job_list, pilot):
        await settle(pilot)
        assert keys(job_list) == [job.id for job in reversed(jobs)]
        assert offsets == [0, 100]  # the read ahead, then the rest of the page


async def test_a_list_that_starts_filtered_does_not_show_the_read_ahead(store: JobStore) -> None:
    from lumatui.tui.widgets.jobs.job_list import JobList
    from tests.tui.list_host import ListHost

    done = seed_job(store, 1, "finished")
    running = seed_job(store, 2, "running", state=JobState.PROCESSING)

    class FilteredHost(ListHost):
        def compose(self) -> Any:
            job_list = JobList(self.store, clock=lambda: self.now)
            job_list.set_reactive(JobList.job_query, JobQuery(hide_finished=True))
            yield job_list

    app = FilteredHost(store, 300)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        job_list = app.query_one(JobList)
        assert keys(job_list) == [running.id]
        assert done.id not in keys(job_list) and job_list.history_total == 2


async def test_the_first_pages_prices_follow_it_into_its_cost_cells_and_group_rows(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read ahead places the rows without their prices (the first price imports and
    builds the request schema); read right after, they fill the cells that show `…`."""
    from lumatui.tui.widgets.jobs import rows
    from lumatui.tui.widgets.jobs.cells import cost_cell, request_price
    from lumatui.tui.widgets.jobs.groups import group_key
    from lumatui.tui.widgets.jobs.job_list import JobList
    from tests.tui.list_host import ListHost

    jobs = [seed_job(store, n, f"job {n}") for n in range(3)]
    batch = seed_batch(store, 10, "a {red|blue} fox", [("red", JobState.COMPLETED)] * 2)
    held = threading.Event()
    real_prices = rows._prices

    def prices_when_let(jobs: list[Job], overrides: Any) -> Any:
        assert held.wait(30)
        return real_prices(jobs, overrides)

    monkeypatch.setattr(rows, "_prices", prices_when_let)
    group = group_key(batch[0].batch_id or "")
    app = ListHost(store, 300)
    async with app.run_test(size=(250, 30)) as pilot:  # wide: the Cost column is shown
        job_list = app.query_one(JobList)
        await wait_until(pilot, lambda: job_list.table.row_count == 4)  # 3 jobs, 1 group
        assert job_list.table.shows("cost")
        assert cell(job_list, jobs[0], "cost") == "…"
        assert str(job_list.table.get_cell(group, "cost")).strip() == "…"
        held.set()
        await settle(pilot)
        for job in jobs:
            assert cell(job_list, job, "cost") == cost_cell(request_price(job.request_json)).plain
        total = str(job_list.table.get_cell(group, "cost")).strip()
        assert total.startswith("$") and total != "$0.0000"


async def test_a_change_updates_only_its_cells_and_never_rebuilds(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = seed_job(store, 1, "a fox", state=JobState.PROCESSING)
    other = seed_job(store, 2, "a hare")
    async with listing(store) as (_app, job_list, pilot):
        before = keys(job_list)
        table = job_list.table
        updates: list[tuple[str, str]] = []
        original = table.set_cell

        def spy(row: str, column: str, value: Any) -> None:
            updates.append((row, column))
            original(row, column, value)

        reloads: list[int] = []
        monkeypatch.setattr(table, "set_cell", spy)
        monkeypatch.setattr(job_list, "reload", lambda: reloads.append(1))
        other_line = table.render_line(row_line(job_list, other)).text
        epoch = table._update_count
        finished = replace(
            running, state=JobState.FAILED, failure_code="content_moderated", finished_at=FIXED_NOW
        )
        job_list.jobs_changed([finished])
        await settle(pilot)
        assert keys(job_list) == before
        assert reloads == []
        assert {row for row, _ in updates} == {running.id}
        assert {column for _, column in updates} <= {"state", "failure", "elapsed", "progress"}
        assert cell(job_list, finished, "state") == "✗ failed"
        assert cell(job_list, finished, "failure") == "content_moderated"
        assert cell(job_list, other, "state") == "✓ completed"
        # The table-wide caches were kept; the changed row alone is drawn anew, and shows it.
        assert table._update_count == epoch
        assert "✗ failed" in table.render_line(row_line(job_list, running)).text
        assert table.render_line(row_line(job_list, other)).text == other_line


async def test_a_changed_cell_repaints_its_row_only_when_on_screen(store: JobStore) -> None:
    jobs = [seed_job(store, n, f"job {n}", state=JobState.PROCESSING) for n in range(60)]
    async with listing(store, size=(140, 20)) as (_app, job_list, pilot):
        table = job_list.table
        repainted: list[Any] = []
        original = table.refresh

        def spy(*regions: Any, **kw: Any) -> Any:
            repainted.append((regions, kw))
            return original(*regions, **kw)

        table.refresh = spy  # type: ignore[method-assign]
        newest, oldest = jobs[-1], jobs[0]  # the top row, and one far below the window
        for job in (newest, oldest):
            job_list.jobs_changed([replace(job, state=JobState.FAILED, finished_at=FIXED_NOW)])
        # One line each time (a cell or several of the top row), never the whole table.
        assert repainted and all(kw == {} and len(regions) == 1 for regions, kw in repainted)
        lines = {(r.y, r.height) for regions, _ in repainted for r in regions}
        assert lines == {(row_line(job_list, newest) - table.scroll_y, 1)}
        await settle(pilot)
        assert "✗ failed" in table.render_line(row_line(job_list, newest)).text
        await pilot.press("G")  # scrolled down: the row changed off screen shows its change
        await settle(pilot)
        assert table.scroll_y > 0
        shown = table.render_line(row_line(job_list, oldest) - int(table.scroll_y))
        assert "job 0" in shown.text and "✗ failed" in shown.text


async def test_a_new_job_goes_on_top_and_the_cursor_stays_on_its_job(store: JobStore) -> None:
    first = seed_job(store, 1, "one")
    second = seed_job(store, 2, "two")
    async with listing(store) as (_app, job_list, pilot):
        await pilot.press("j")  # onto `first`, the older one
        assert job_list.selected_job_id == first.id
        new = seed_job(store, 3, "three", state=JobState.QUEUED)
        job_list.jobs_changed([new])
        await settle(pilot)
        assert keys(job_list) == [new.id, second.id, first.id]
        assert job_list.selected_job_id == first.id
        assert job_list.total == 3


async def test_running_rows_tick_and_finished_rows_do_not(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = seed_job(store, 1, "slow", state=JobState.PROCESSING)
    done = seed_job(store, 2, "quick")
    async with listing(store) as (app, job_list, _pilot):
        touched: list[str] = []
        original = job_list.table.set_cell

        def spy(row: str, column: str, value: Any) -> None:
            touched.append(row)
            original(row, column, value)

        monkeypatch.setattr(job_list.table, "set_cell", spy)
        assert running.submitted_at is not None
        app.now = running.submitted_at + 12
        job_list.tick()
        assert set(touched) == {running.id}
        assert cell(job_list, running, "elapsed") == "12s"
        assert cell(job_list, running, "progress").startswith("~")
        assert cell(job_list, done, "elapsed") == "30s"


async def test_only_running_rows_in_view_tick_and_rows_scrolled_into_view_catch_up(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [seed_job(store, n, f"job {n}", state=JobState.PROCESSING) for n in range(60)]
    async with listing(store, size=(140, 20)) as (app, job_list, pilot):
        table = job_list.table
        shown = table.keys_on_screen()
        assert shown[0] == jobs[-1].id and 5 < len(shown) < 20
        touched: list[str] = []
        original = table.set_cell

        def spy(row: str, column: str, value: Any) -> None:
            touched.append(row)
            original(row, column, value)

        monkeypatch.setattr(table, "set_cell", spy)
        oldest, newest = jobs[0], jobs[-1]
        assert oldest.submitted_at is not None and newest.submitted_at is not None
        app.now = newest.submitted_at + 600
        oldest_elapsed = format_duration(app.now - oldest.submitted_at)
        job_list.tick()
        assert set(touched) == set(shown)  # the rows out of view wait
        assert cell(job_list, newest, "elapsed") == "10m00s"
        assert cell(job_list, oldest, "elapsed") != oldest_elapsed
        await pilot.press("G")  # the oldest comes into view: up to date before it is drawn
        await settle(pilot)
        assert oldest.id in table.keys_on_screen()
        assert cell(job_list, oldest, "elapsed") == oldest_elapsed


async def test_filter_tokens_text_and_hide_finished(store: JobStore) -> None:
    seed_job(store, 1, "a red fox")
    failed = seed_job(
        store, 2, "a blue fox", state=JobState.FAILED, failure_code="content_moderated"
    )
    waiting = seed_job(store, 3, "a hare", state=JobState.WAITING)
    async with listing(store) as (_app, job_list, pilot):
        await pilot.press("slash", *"state:failed", "enter")
        assert keys(job_list) == [failed.id]
        assert "filter: state:failed" in str(job_list.border_subtitle)
        await pilot.press("escape")
        assert job_list.table.row_count == 3
        await pilot.press("slash", *"fox", "enter")
        assert job_list.table.row_count == 2
        await pilot.press("escape", "h")
        assert keys(job_list) == [waiting.id]
        await settle(pilot)
        # The status line describes the highlighted (visible) job, not the hidden one.
        assert str(job_list.query_one("#job-note").render()).startswith("waiting:")
        # A job that finishes while finished ones are hidden leaves the list.
        job_list.jobs_changed([replace(waiting, state=JobState.COMPLETED)])
        await settle(pilot)
        assert job_list.table.row_count == 0


async def test_sorting_by_key_and_direction(store: JobStore) -> None:
    seed_job(store, 1, "b", type_="video", model="ray-3.2")
    seed_job(store, 2, "a")
    async with listing(store) as (_app, job_list, pilot):
        assert job_list.job_query.sort == "created"
        await pilot.press("t")
        assert job_list.job_query.sort == "state"
        await pilot.press("T")
        assert job_list.job_query.descending is False
        job_list.job_query = replace(job_list.job_query, sort="prompt")
        await settle(pilot)
        assert [str(job_list.table.get_cell(k, "prompt")).strip() for k in keys(job_list)] == [
            "a",
            "b",
        ]


async def test_prompt_and_failure_text_is_shown_literally(store: JobStore) -> None:
    job = seed_job(store, 1, "[bold red]x[/] \x1b[31mred\x07 [link=http://e]y[/link]")
    async with listing(store) as (_app, job_list, _pilot):
        shown = job_list.table.get_cell(job.id, "prompt")
        assert str(shown) == " [bold red]x[/] red [link=http://e]y[/link]"
        assert not shown.spans


async def test_select_job_loads_pages_until_the_job_is_there(store: JobStore) -> None:
    jobs = [seed_job(store, n, f"job {n}") for n in range(60)]
    async with listing(store, page_size=20) as (_app, job_list, pilot):
        assert job_list.select_job(jobs[0]), "it matches the filter: pages are read for it"
        await settle(pilot)  # the pages are read in workers, never on the event loop
        assert job_list.selected_job_id == jobs[0].id
        assert job_list.table.row_count == 60
        job_list.job_query = replace(job_list.job_query, states=frozenset({"failed"}))
        await settle(pilot)
        assert not job_list.select_job(jobs[1]), "hidden by the filter"


async def test_the_highlighted_job_is_posted_and_explained(store: JobStore) -> None:
    seed_job(store, 1, "sent")
    waiting = seed_job(store, 2, "held", state=JobState.WAITING)
    async with listing(store) as (app, job_list, _pilot):
        assert app.selected[-1] == waiting.id
        note = str(job_list.query_one("#job-note").render())
        assert "held in the local queue" in note
        assert "behind 2 job(s)" in note
        assert cell(job_list, waiting, "progress") == "local queue"


async def test_download_progress_shows_then_gives_way(store: JobStore) -> None:
    job = seed_job(store, 1, "big video", type_="video", model="ray-3.2")
    async with listing(store) as (_app, job_list, _pilot):
        job_list.download_progress(job.id, 512, 1024)
        assert cell(job_list, job, "progress").endswith(" 50%")
        job_list.output_ready(job.id)
        assert cell(job_list, job, "progress") == ""


def test_filter_text_becomes_a_query() -> None:
    query = parse_filter("state:failed,uncertain type:video model:uni-1 red fox is:waiting")
    assert query.states == {"failed", "uncertain", "waiting"}
    assert query.types == {"video"}
    assert query.models == {"uni-1"}
    assert query.text == "red fox"
    assert describe(query) == "state:failed,uncertain,waiting type:video model:uni-1 red fox"
    kept = parse_filter("fox", JobQuery(hide_finished=True, sort="model"))
    assert kept.hide_finished and kept.sort == "model"
    assert next_sort(JobQuery(sort="prompt")).sort == "created"


def test_matches_agrees_with_the_query(tmp_path: Path) -> None:
    with JobStore.open(tmp_path / "m.db") as store:
        jobs = [
            seed_job(store, 1, "Red fox"),
            seed_job(store, 2, "hare", state=JobState.FAILED, failure_code="content_moderated"),
            seed_job(store, 3, "owl", type_="video", model="ray-3.2", state=JobState.PROCESSING),
        ]
        for text in ("", "red", "moderated", "state:failed", "type:video", "model:uni-1 fox"):
            for hide in (False, True):
                query = parse_filter(text, JobQuery(hide_finished=hide))
                from_store = {j.id for j in store.page(query)}
                assert {j.id for j in jobs if matches(j, query)} == from_store, (text, hide)
        assert generation_id(2)[:8] in {j.short_id for j in jobs}


def test_progress_cells() -> None:
    assert format_duration(7) == "7s"
    assert format_duration(65) == "1m05s"
    assert format_duration(7300) == "2h01m"
    assert bar(0.5, 8) == "████····"
    assert bar(1.0, 4) == "████"
    expected = Expectation(10, 20, 40)
    colours: dict[str, str] = {}

    class _Job:
        state = JobState.PROCESSING
        submitted_at = 100.0
        created_at = 99.0
        finished_at = None
        updated_at = 100.0

    job: Any = _Job()
    assert str(progress_cell(job, 110.0, expected, colours)).startswith("~")
    assert "late" in str(progress_cell(job, 200.0, expected, colours))
