"""A batch in the job list: one group row, opened and closed by keys, marked as one, filtered,
paged and updated live like any row."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from lumatui.tui.widgets.jobs.filters import parse_filter
from lumatui.tui.widgets.jobs.groups import group_key
from lumatui.tui.widgets.jobs.job_list import JobList
from tests.tui import list_host
from tests.tui.conftest import FIXED_NOW, seed_batch, seed_job, settle

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lumatui.engine.jobs import Job

FOX = "a {red|blue} fox at {dawn|dusk}"
FOUR = [
    ("a red fox at dawn", JobState.COMPLETED),
    ("a red fox at dusk", JobState.COMPLETED),
    ("a blue fox at dawn", JobState.PROCESSING),
    ("a blue fox at dusk", JobState.QUEUED),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "jobs.db") as opened:
        yield opened


def listing(store: JobStore, *, page_size: int = 300) -> Any:
    return list_host.listing(store, page_size=page_size, size=(150, 30))


def keys(job_list: JobList) -> list[str]:
    return list(job_list.table.keys_in_order())


def text(job_list: JobList, key: str, column: str) -> str:
    return str(job_list.table.get_cell(key, column)).strip()


async def test_a_batch_is_one_closed_group_row_that_opens_and_closes(store: JobStore) -> None:
    before = seed_job(store, 0, "a lone hare")
    batch = seed_batch(store, 1, FOX, FOUR)
    after = seed_job(store, 10, "a lone owl")
    group = group_key(batch[0].batch_id or "")
    async with listing(store) as (_app, job_list, pilot):
        assert keys(job_list) == [after.id, group, before.id]
        prompt = text(job_list, group, "prompt")
        assert prompt == f"▸ {FOX} · 2 running"  # Est. and Cost say the rest
        assert text(job_list, group, "cost") == "$0.1616"  # 4 x uni-1: the whole batch
        assert text(job_list, group, "id") == "▸ 4 jobs"
        assert text(job_list, group, "progress") == "2 of 4 done"
        assert job_list.total == 6  # jobs, not rows

        await pilot.press("j", "right")  # onto the group, open it
        await settle(pilot)
        newest_first = [job.id for job in reversed(batch)]
        assert keys(job_list) == [after.id, group, *newest_first, before.id]
        assert text(job_list, group, "id") == "▾ 4 jobs"
        assert text(job_list, batch[0].id, "prompt") == "│ a red fox at dawn"
        assert job_list.selected_job_id == batch[-1].id  # the group row acts on a job

        await pilot.press("j", "j", "left")  # from one of its jobs: closes, cursor on it
        await settle(pilot)
        assert keys(job_list) == [after.id, group, before.id]
        assert job_list.table.key_at_cursor() == group

        await pilot.press("enter")  # enter flips it too
        await settle(pilot)
        assert len(keys(job_list)) == 7
        await pilot.press("enter")
        await settle(pilot)
        assert len(keys(job_list)) == 3


async def test_a_filter_lists_the_group_with_the_jobs_it_keeps(store: JobStore) -> None:
    batch = seed_batch(store, 1, FOX, FOUR)
    group = group_key(batch[0].batch_id or "")
    async with listing(store) as (_app, job_list, pilot):
        job_list.job_query = parse_filter("blue", job_list.job_query)
        await settle(pilot)
        assert keys(job_list) == [group]
        prompt = text(job_list, group, "prompt")
        assert text(job_list, group, "progress") == "2 of 4 done"  # the whole batch
        assert prompt.endswith("· 2 running, 2 listed")
        await pilot.press("right")
        await settle(pilot)
        assert keys(job_list) == [group, batch[3].id, batch[2].id]
        job_list.job_query = parse_filter("", job_list.job_query)  # open across reloads
        await settle(pilot)
        assert len(keys(job_list)) == 5


async def test_space_on_the_group_marks_its_jobs_and_again_unmarks_them(store: JobStore) -> None:
    lone = seed_job(store, 0, "a lone hare")
    batch = seed_batch(store, 1, FOX, FOUR)
    group = group_key(batch[0].batch_id or "")
    async with listing(store) as (_app, job_list, pilot):
        await pilot.press("space")  # on the group (the newest row)
        await settle(pilot)
        assert sorted(job_list.marks.ids) == sorted(job.id for job in batch)
        assert text(job_list, group, "id") == "●▸ 4 jobs"
        assert job_list.table.key_at_cursor() == lone.id
        await pilot.press("k", "space")
        await settle(pilot)
        assert job_list.marks.ids == []
        await pilot.press("k", "right", "j", "space")  # one job of the open group
        await settle(pilot)
        assert job_list.marks.ids == [batch[-1].id]
        assert text(job_list, batch[-1].id, "id").startswith("●")
        assert text(job_list, group, "id") == "●▾ 4 jobs"


async def test_a_batch_arriving_live_is_one_group_on_top_and_its_counts_follow(
    store: JobStore,
) -> None:
    old = seed_job(store, 0, "a lone hare")
    async with listing(store) as (_app, job_list, pilot):
        batch = seed_batch(store, 1, FOX, [(p, JobState.QUEUED) for p, _ in FOUR])
        job_list.jobs_changed(batch)
        await settle(pilot)
        group = group_key(batch[0].batch_id or "")
        assert keys(job_list) == [group, old.id]
        assert job_list.table.key_at_cursor() == old.id  # the cursor stayed on its job
        assert text(job_list, group, "cost") == "$0.1616"
        assert text(job_list, group, "progress") == "0 of 4 done"
        done = replace(batch[1], state=JobState.COMPLETED, finished_at=FIXED_NOW, rev=99)
        starred = replace(batch[2], starred=True, rev=99)
        job_list.jobs_changed([done, starred])
        await settle(pilot)
        assert text(job_list, group, "progress") == "1 of 4 done"
        assert text(job_list, group, "prompt").startswith(f"▸ ★1 {FOX}")
        job_list.jobs_removed([job.id for job in batch])
        await settle(pilot)
        assert keys(job_list) == [old.id]


async def test_a_batch_across_pages_is_one_group_counted_whole(store: JobStore) -> None:
    for n in range(60):
        seed_job(store, 100 + n, f"older {n}")
    six = [(f"fox {i}", JobState.COMPLETED) for i in range(6)]
    batch = seed_batch(store, 200, "a {a|b|c|d|e|f} fox", six)
    for n in range(48):
        seed_job(store, 300 + n, f"newer {n}")
    async with listing(store, page_size=50) as (_app, job_list, pilot):
        group = group_key(batch[0].batch_id or "")
        assert len(job_list._jobs) == 50  # one page: 48 newer jobs and 2 of the batch
        assert text(job_list, group, "progress") == "6 of 6 done"
        assert "2 listed" in text(job_list, group, "prompt")
        await pilot.press("G")
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert len(job_list._jobs) == 114  # every job once: no page skipped or read twice
        assert keys(job_list).count(group) == 1
        assert "listed" not in text(job_list, group, "prompt")


async def test_selecting_a_job_of_a_closed_group_lands_on_the_group_row(store: JobStore) -> None:
    batch = seed_batch(store, 1, FOX, FOUR)
    lone = seed_job(store, 10, "a lone owl")
    async with listing(store) as (app, job_list, pilot):
        assert job_list.select_job(batch[1])
        await settle(pilot)
        assert job_list.table.key_at_cursor() == group_key(batch[0].batch_id or "")
        assert job_list.selected_job_id == batch[1].id
        assert app.selected[-1] != batch[0].id  # the group row did not pick another job
        note = str(job_list.query_one("#job-note").render())
        assert "enter/→ opens" in note and batch[1].short_id in note
        assert job_list.select_job(lone)


def test_a_job_outside_any_batch_has_no_group(store: JobStore) -> None:
    job: Job = seed_job(store, 1, "alone")
    assert job.batch_id is None


async def test_a_narrow_list_cuts_the_label_and_keeps_the_counts_and_price(
    store: JobStore,
) -> None:
    long = (
        "a very long prompt for a {red|blue} fox that runs through the snowy forest at {dawn|dusk}"
    )
    batch = seed_batch(store, 1, long, FOUR)
    app = list_host.ListHost(store, 300)
    async with app.run_test(size=(80, 20)) as pilot:
        await settle(pilot)
        job_list = app.query_one(JobList)
        group = group_key(batch[0].batch_id or "")
        assert not job_list.table.shows("cost")
        prompt = text(job_list, group, "prompt")
        assert prompt.endswith("· 2 running, $0.1616") or prompt.endswith("…")
        assert "$0.16" in prompt and "a very long" in prompt


async def test_sorted_by_prompt_the_group_sits_at_its_first_job_and_the_preview_follows(
    store: JobStore,
) -> None:
    hare = seed_job(store, 0, "a hare")
    batch = seed_batch(store, 1, FOX, FOUR)
    zebra = seed_job(store, 10, "zebra")
    group = group_key(batch[0].batch_id or "")
    async with listing(store) as (app, job_list, pilot):
        job_list.job_query = replace(job_list.job_query, sort="prompt", descending=False)
        await settle(pilot)
        # "a blue fox ..." sorts first of the batch, before "a hare": the group goes there.
        assert keys(job_list) == [group, hare.id, zebra.id]
        await pilot.press("g", "right")
        await settle(pilot)
        by_prompt = sorted(batch, key=lambda job: job.prompt or "")
        assert keys(job_list) == [group, *(job.id for job in by_prompt), hare.id, zebra.id]
        assert app.selected[-1] == by_prompt[0].id  # the group row shows its first job
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.selected[-1] == by_prompt[1].id
