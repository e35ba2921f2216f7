"""Hostile server replies, one job at a time: each ends as a clean message on that job alone.

One engine (the real client and engine, on the simulator) lives through the whole corpus,
so it must survive every case. For each case three jobs are submitted; the middle one
(`HOSTILE <case id>`) gets the bad reply. The test checks that its
message is where the case says (note, failure, output error, JobError, Connectivity or the
queue's pause) and contains the expected words; that every stored or published text is
clean (no escape or control characters, markup kept as literal text); that the other jobs
complete and a job submitted afterwards completes too (the engine is still running); that
nothing went to another host; and that no file appeared outside the data dir, with outputs
only as `outputs/<uuid>/<n>.<ext>`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from lumatui.engine.events import Connectivity, JobError, QueueStatus, SubmissionRejected
from lumatui.engine.jobs import JobState
from lumatui.sim import SimSettings, start_in_background
from tests.reliability.conftest import (
    SPEED,
    WAIT_S,
    EventLog,
    assert_clean,
    build_engine,
    close_engine,
    request,
    tree,
)
from tests.reliability.hostile_corpus import CORPUS
from tests.reliability.hostile_server import HOSTILE, HostileApi, HostileFiles

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator
    from tests.reliability.hostile_server import Case

OUTPUT_NAME = re.compile(r"^data/outputs/([0-9a-f-]{36})(/[0-9]+\.(png|jpg|mp4))?$")
ALLOWED = re.compile(r"^(data|cache)(/.*)?$")


@dataclass
class Corpus:
    """The simulator, the hostile transports and the one engine every case goes through."""

    sim: RunningSimulator
    api: HostileApi
    files: HostileFiles
    engine: Engine
    log: EventLog
    root: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Corpus]:
    """One simulator and one engine for the whole corpus: it must survive every case."""
    root = tmp_path_factory.mktemp("hostile")
    # Every case uses the same key: limits high enough that no case waits for another's.
    settings = SimSettings.for_tests(
        root / "simulator", speed=SPEED, requests_per_minute=100_000, concurrent_jobs=1000
    )
    sim = start_in_background(settings)
    api = HostileApi()
    files = HostileFiles(api)
    engine = build_engine(
        sim.base_url,
        root / "home",
        transport=api,
        download_transport=files,
        max_download_bytes=4 * 1024 * 1024,
        read_timeout=10.0,
    )
    log = EventLog(engine)
    await engine.start()
    yield Corpus(sim, api, files, engine, log, root / "home")
    await close_engine(engine)
    sim.stop()


def messages(corpus: Corpus, since: int, job_id: str, sink: str) -> list[str]:
    """Every message the case's sink holds for the hostile job (events since `since`)."""
    store, events = corpus.engine.store, corpus.log.events[since:]
    job = store.get(job_id)
    if sink == "note":
        found = [job.note or ""] + [d or "" for _, _, d in store.state_history(job_id)]
        rejected = [e.job for e in events if isinstance(e, SubmissionRejected)]
        return found + [str(j.note) for j in rejected if j.id == job_id]
    if sink == "failure":
        return [f"{job.failure_code} {job.failure_reason}"]
    if sink == "output_error":
        return [o.error or "" for o in store.outputs(job_id)]
    if sink == "job_error":
        return [e.message for e in events if isinstance(e, JobError) and e.job_id == job_id]
    if sink == "connectivity":
        return [e.detail or "" for e in events if isinstance(e, Connectivity) and not e.online]
    if sink == "paused":
        return [e.paused_reason or "" for e in events if isinstance(e, QueueStatus)]
    return []


def reached(corpus: Corpus, since: int, case: Case, job_id: str) -> bool:
    """True once the hostile job has ended as the case says."""
    found = messages(corpus, since, job_id, case.sink)
    said = any(case.text.lower() in m.lower() for m in found)
    if case.sink in ("job_error", "connectivity"):
        return said
    store = corpus.engine.store
    # An output that failed is tried again (never given up while the generation exists):
    # the case is reached once it was refused for good, or tried and refused twice.
    settled = store.get(job_id).state.is_finished and all(
        o.is_settled or (o.error and o.attempts >= 2) for o in store.outputs(job_id)
    )
    return settled and (said or case.sink != "paused")


def outputs_settled(corpus: Corpus, job_id: str) -> bool:
    """Every output of the job on disk, or given up for good (nothing being fetched)."""
    store = corpus.engine.store
    job = store.get(job_id)
    if job.state is not JobState.COMPLETED:
        return True
    return all(o.is_settled for o in store.outputs(job_id))


def every_text(corpus: Corpus, since: int) -> Iterator[tuple[str, str | None]]:
    """Every text the engine stored, and published since `since`, named by where it is."""
    store = corpus.engine.store
    for state in JobState:
        for job in store.in_state(state):
            yield "note", job.note
            yield "failure_code", job.failure_code
            yield "failure_reason", job.failure_reason
            for _, _, detail in store.state_history(job.id):
                yield "history", detail
            for output in store.outputs(job.id):
                yield "output error", output.error
                yield "output type", output.media_type
    for event in corpus.log.events[since:]:
        if isinstance(event, JobError):
            yield "JobError", event.message
        elif isinstance(event, Connectivity):
            yield "Connectivity", event.detail
        elif isinstance(event, QueueStatus):
            yield "QueueStatus", event.paused_reason


def check_files(root: Path, before: set[str], after: set[str]) -> None:
    """New files only under data/ and cache/; outputs only as outputs/<uuid>/<n>.<ext>."""
    for name in sorted(after - before):
        assert ALLOWED.match(name), f"written outside the data dir: {name}"
        if name.startswith("data/outputs/"):
            match = OUTPUT_NAME.match(name)
            assert match, f"unexpected output path: {name}"
            uuid.UUID(match.group(1))
    assert not list(root.rglob("*.part")), "a partial file was left behind"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
async def test_hostile_reply(case: Case, corpus: Corpus) -> None:
    engine, root = corpus.engine, corpus.root
    outside, sim_dir = root.parent.parent, corpus.sim.simulator.settings.state_dir
    before_outside = tree(outside, exclude=(root, sim_dir), companions=False)
    before = tree(root)
    since = len(corpus.log.events)
    armed = corpus.api.arm(case)
    try:
        first = await engine.submit(request("normal job before"))
        hostile = await engine.submit(request(f"{HOSTILE} {case.id}", **case.body))
        second = await engine.submit(request("normal job after"))
        await corpus.log.until(lambda: reached(corpus, since, case, hostile.id))
        normal = await engine.wait_for([first.id, second.id], timeout=WAIT_S)
        later = await engine.submit(request("submitted after the hostile reply"))
        normal += await engine.wait_for([later.id], timeout=WAIT_S)
        assert all(not task.done() for task in engine._tasks), "an engine task stopped"

        found = messages(corpus, since, hostile.id, case.sink)
        if case.sink == "completes":
            assert engine.store.get(hostile.id).state is JobState.COMPLETED
            assert all(o.is_downloaded for o in engine.store.outputs(hostile.id))
        else:
            assert any(case.text.lower() in m.lower() for m in found), found
        for job in normal:
            assert job.state is JobState.COMPLETED, (job.note, job.failure_reason)
            outputs = engine.store.outputs(job.id)
            assert outputs and all(o.is_downloaded for o in outputs), outputs
        for where, text in every_text(corpus, since):
            assert_clean(text, where)
        assert armed.served >= 1, "the hostile reply was never served"
        assert not corpus.api.offhost, f"a request left loopback: {corpus.api.offhost}"
        assert all("authorization" not in h for h in corpus.files.headers_seen)
    finally:
        armed.retired = True  # its job may finish now, and stops costing requests
    # The server answers normally now: an output that was only tried again arrives.
    await corpus.log.until(lambda: outputs_settled(corpus, hostile.id))
    check_files(root, before, tree(root))
    assert tree(outside, exclude=(root, sim_dir), companions=False) == before_outside, (
        "files appeared elsewhere"
    )
