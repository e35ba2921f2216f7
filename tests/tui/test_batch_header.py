"""The header's batch line: the newest running batch's counts and price, "+1 more" for others."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from textual.app import App

from lumatui.api.pricing import Price
from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from lumatui.tui.batch_summary import RunningBatches, summarize
from lumatui.tui.widgets.header import StatusHeader
from tests.tui.conftest import seed_batch, seed_job, settle

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lumatui.engine.jobs import Job

CENTS = Price(0.03, False, "test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "jobs.db") as opened:
        yield opened


def at(job: Job, state: JobState) -> Job:
    return replace(job, state=state, rev=job.rev + 1)


def test_the_newest_running_batch_is_the_line_until_it_settles(store: JobStore) -> None:
    fox = seed_batch(store, 1, "a {red|blue} fox", [(p, JobState.QUEUED) for p in "abcd"])
    batches = RunningBatches(lambda job: CENTS)
    assert batches.line() == ""
    batches.follow(fox)
    batches.follow([at(fox[0], JobState.COMPLETED), at(fox[1], JobState.COMPLETED)])
    assert batches.line() == "batch 'a {red|blue} fox': 2 of 4 done, 2 running, $0.1200"
    owl = seed_batch(store, 10, "an {old|young} owl", [(p, JobState.QUEUED) for p in "ab"])
    batches.follow(owl)
    assert batches.line().startswith("batch 'an {old|young} owl': 0 of 2 done, 2 running")
    assert batches.line().endswith(" · +1 more")
    batches.follow([at(job, JobState.FAILED) for job in owl])
    assert batches.line() == "batch 'a {red|blue} fox': 2 of 4 done, 2 running, $0.1200"
    batches.follow([at(fox[2], JobState.COMPLETED), at(fox[3], JobState.COMPLETED)])
    assert batches.line() == ""
    batches.follow([seed_job(store, 30, "alone", state=JobState.QUEUED)])
    assert batches.line() == ""  # a lone job is no batch


def test_read_at_start_a_batch_counts_its_finished_jobs_too(store: JobStore) -> None:
    states = [JobState.COMPLETED, JobState.COMPLETED, JobState.PROCESSING, JobState.WAITING]
    fox = seed_batch(store, 1, "a fox", [(p, s) for p, s in zip("abcd", states, strict=True)])
    batches = RunningBatches(lambda job: None)
    running = [job for job in fox if job.state.is_running]
    batches.follow(running, {fox[0].batch_id or "": store.batch(fox[0].batch_id or "")})
    assert batches.line() == ("batch 'a fox': 2 of 4 done, 1 running, 1 waiting, price unknown")


def test_a_summary_says_failures_and_stars(store: JobStore) -> None:
    states = [JobState.COMPLETED, JobState.FAILED]
    jobs = seed_batch(store, 1, "x", [(p, s) for p, s in zip("ab", states, strict=True)])
    members = [replace(jobs[0], starred=True), jobs[1]]
    summary = summarize("x", members, {job.id: None for job in jobs})
    assert (summary.settled, summary.failed, summary.starred) == (True, 1, 1)
    assert summary.describe() == "2 of 2 done, 1 failed, price unknown"
    # A price not read yet (the list's first page is placed before its prices).
    assert summarize("x", members, {jobs[0].id: None}).describe() == "2 of 2 done, 1 failed, …"


class HeaderHost(App[None]):
    def compose(self) -> Any:
        yield StatusHeader()


@pytest.mark.parametrize("width", [160, 80])
async def test_the_header_shows_the_batch_line_cut_to_fit(width: int) -> None:
    app = HeaderHost()
    async with app.run_test(size=(width, 5)) as pilot:
        header = app.query_one(StatusHeader)
        header.backend = "SIMULATOR"
        header.running = 3
        header.running_batch = ("a {red|blue} fox at [b]dusk[/b]", "1 of 4 done, 3 running, $0.16")
        await settle(pilot)
        line = str(header.render())
        assert len(line) <= width
        assert "1 of 4 done, 3 running" in line  # the label is cut first
        assert "batch 'a {red" in line
        if width >= 160:  # literal, never markup
            assert "batch 'a {red|blue} fox at [b]dusk[/b]': 1 of 4 done, 3 running, $0.16" in line
