"""Batches and stars in the history: one transaction per batch, a lasting star, the filter."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.batches import plan_batch
from lumatui.api.schema import GenerationRequest
from lumatui.engine.events import JobChanged
from lumatui.engine.jobs import JobState
from lumatui.engine.migrations import MIGRATIONS, migrate
from lumatui.engine.queries import JobQuery
from lumatui.engine.store import JobStore
from lumatui.tui.widgets.jobs.filters import describe, matches, parse_filter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from lumatui.engine.events import Event
    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

WAIT_S = 30.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "db" / "lumatui.db") as opened:
        yield opened


def test_a_batch_is_recorded_at_once_under_one_id(store: JobStore) -> None:
    plan = plan_batch(GenerationRequest(prompt="a {red|blue} fox"), runs=2)
    jobs = store.record_batch(plan.requests, label=plan.label, owner="me")
    assert [j.prompt for j in jobs] == ["a red fox", "a red fox", "a blue fox", "a blue fox"]
    assert len({j.batch_id for j in jobs}) == 1 and jobs[0].batch_id
    assert {j.batch_label for j in jobs} == {"a {red|blue} fox"}
    assert store.batch(jobs[0].batch_id or "") == jobs
    lone = store.record_submission(GenerationRequest(prompt="lone"))
    assert lone.batch_id is None and lone.batch_label is None and not lone.starred
    again = store.record_batch(plan.requests[:1], label="x")
    assert again[0].batch_id != jobs[0].batch_id


def test_a_failed_batch_write_records_nothing(store: JobStore) -> None:
    good = GenerationRequest(prompt="fine")
    fields: dict[str, Any] = {"prompt": None}
    bad = GenerationRequest.model_construct(**fields)  # NOT NULL prompt: refused
    with pytest.raises(sqlite3.IntegrityError):
        store.record_batch([good, bad], label="x")
    assert store.count(JobQuery()) == 0


def test_a_star_lasts_and_other_processes_see_it(tmp_path: Path) -> None:
    path = tmp_path / "db" / "lumatui.db"
    with JobStore.open(path) as mine, JobStore.open(path) as other:
        job = mine.record_submission(GenerationRequest(prompt="a fox"))
        rev = other.current_rev()
        starred = mine.set_star(job.id, True)
        assert starred.starred and starred.rev > job.rev
        changes = other.changes_since(rev)
        assert [j.starred for j in changes.jobs] == [True]
        assert not mine.set_star(job.id, False).starred
        with pytest.raises(KeyError):
            mine.set_star("no-such-job", True)
    with JobStore.open(path) as reopened:
        assert not reopened.get(job.id).starred
        reopened.set_star(job.id, True)
    with JobStore.open(path) as reopened:
        assert reopened.get(job.id).starred


def test_star_filter_in_sql_and_in_memory_agree(store: JobStore) -> None:
    jobs = [store.record_submission(GenerationRequest(prompt=p)) for p in ("red fox", "owl", "fox")]
    store.set_star(jobs[0].id, True)
    store.set_star(jobs[1].id, True)
    jobs = store.get_many([j.id for j in jobs])
    for text in ("star:yes", "star:no", "star:yes fox", "starred:no fox", "fox", "star:maybe"):
        query = parse_filter(text)
        from_store = {j.id for j in store.page(query)}
        assert {j.id for j in jobs if matches(j, query)} == from_store, text
    assert {j.prompt for j in store.page(parse_filter("star:yes"))} == {"red fox", "owl"}
    assert [j.prompt for j in store.page(parse_filter("star:no"))] == ["fox"]
    assert describe(parse_filter("fox star:yes")) == "star:yes fox"
    assert describe(parse_filter("star:no")) == "star:no"
    assert parse_filter("star:maybe").text == "star:maybe"  # not a star token: plain text


def test_the_migration_adds_batches_and_stars_to_an_older_history(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in ";".join(MIGRATIONS[:3]).split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO jobs (id, type, model, prompt, request_json, state, created_at, updated_at)"
        " VALUES ('old', 'image', 'uni-1', 'a cat', '{\"prompt\":\"a cat\"}', 'completed', 1, 1)"
    )
    assert migrate(db) == len(MIGRATIONS)
    db.close()
    with JobStore.open(path) as store:
        old = store.get("old")
        assert (old.starred, old.batch_id, old.batch_label) == (False, None, None)


async def test_the_engine_sends_a_batch_and_publishes_stars(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    events: list[Event] = []
    engine.subscribe(events.append)
    await engine.start()
    plan = plan_batch(GenerationRequest(prompt="a {red|blue} fox"), runs=2)
    jobs = await engine.submit_batch(plan.requests, label=plan.label)
    done = await engine.wait_for([j.id for j in jobs], timeout=WAIT_S)
    assert [j.state for j in done] == [JobState.COMPLETED] * 4
    assert len({j.batch_id for j in done}) == 1
    assert len({j.generation_id for j in done}) == 4
    starred = await engine.set_star(jobs[2].id, True)
    assert starred.starred and starred.state is JobState.COMPLETED
    published = [e.job for e in events if isinstance(e, JobChanged) and e.job.id == jobs[2].id]
    assert published[-1].starred
