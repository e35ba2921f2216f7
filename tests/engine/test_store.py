"""The durable history: submissions before POSTs, state changes, outputs, paging, recovery."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.queries import JobQuery
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "db" / "lumatui.db") as opened:
        yield opened


def generation(state: str = "queued", **fields: Any) -> Generation:
    """A server reply for a fresh generation."""
    return Generation.model_validate(
        {
            "id": fields.pop("id", str(uuid.uuid4())),
            "created_at": "2026-11-27T10:00:00Z",
            "model": "uni-1",
            "state": state,
            "type": "image",
            **fields,
        }
    )


def submit(store: JobStore, prompt: str = "a cat", **body: Any) -> str:
    """Record and 'send' a request; returns the local job id."""
    job = store.record_submission(GenerationRequest.model_validate({"prompt": prompt, **body}))
    return store.mark_submitted(job.id, generation()).id


def test_submission_is_written_before_the_post(store: JobStore) -> None:
    request = GenerationRequest.model_validate({"prompt": "a cat", "aspect_ratio": "16:9"})
    job = store.record_submission(request, now=100.0)
    assert job.state is JobState.SUBMITTING
    assert job.generation_id is None
    assert json.loads(job.request_json) == {"prompt": "a cat", "aspect_ratio": "16:9"}
    assert (job.type, job.model) == ("image", "uni-1")


def test_post_answer_gives_the_job_its_id(store: JobStore) -> None:
    job = store.record_submission(GenerationRequest(prompt="p"), now=1.0)
    gen = generation()
    done = store.mark_submitted(job.id, gen, now=2.0)
    assert done.generation_id == gen.id
    assert done.state is JobState.QUEUED
    assert store.find(gen.id) == done
    assert store.find(gen.id[:8]) == done
    assert [s for s, _, _ in store.state_history(job.id)] == [JobState.SUBMITTING, JobState.QUEUED]


def test_state_changes_are_recorded_once(store: JobStore) -> None:
    job_id = submit(store)
    gen_id = store.get(job_id).generation_id
    processing, changed = store.record_state(job_id, generation("processing", id=gen_id), now=5.0)
    assert changed and processing.state is JobState.PROCESSING
    assert not store.record_state(job_id, generation("processing", id=gen_id), now=6.0)[1]
    failed, changed = store.record_state(
        job_id,
        generation("failed", id=gen_id, failure_code="content_moderated", failure_reason="no"),
    )
    assert changed and failed == store.get(job_id), "a write returns the row as stored"
    job = store.get(job_id)
    assert (job.state, job.failure_code, job.failure_reason) == (
        JobState.FAILED,
        "content_moderated",
        "no",
    )
    assert job.finished_at is not None
    states = [s for s, _, _ in store.state_history(job_id)]
    assert states == [JobState.SUBMITTING, JobState.QUEUED, JobState.PROCESSING, JobState.FAILED]


def test_unknown_api_state_keeps_the_job_polled(store: JobStore) -> None:
    job_id = submit(store)
    store.record_state(job_id, generation("uncertain"))
    assert store.get(job_id).state is JobState.PROCESSING
    assert [j.id for j in store.polled()] == [job_id]


def test_an_unowned_submission_is_adopted_as_uncertain_not_resent(store: JobStore) -> None:
    job = store.record_submission(GenerationRequest(prompt="p"))
    (recovered,) = store.adopt("primary", [])
    assert recovered.id == job.id
    assert recovered.state is JobState.UNCERTAIN
    assert recovered.note and "may have been created" in recovered.note
    assert recovered.owner is None, "nothing is left to do for it"
    assert store.in_state(JobState.SUBMITTING) == []


def test_outputs_and_downloads(store: JobStore) -> None:
    job_id = submit(store)
    store.record_outputs(
        job_id, [GenerationOutput(type="image", url="http://127.0.0.1/a")], now=1.0
    )
    assert [o.url for o in store.pending_downloads()] == ["http://127.0.0.1/a"]
    store.record_outputs(
        job_id, [GenerationOutput(type="image", url="http://127.0.0.1/b")], now=2.0
    )
    (out,) = store.outputs(job_id)
    assert (out.url, out.url_fetched_at, out.is_downloaded) == ("http://127.0.0.1/b", 2.0, False)
    store.record_download(job_id, 0, "/x/0.png", 10, "ab")
    (out,) = store.outputs(job_id)
    assert out.is_downloaded and out.size_bytes == 10
    assert store.pending_downloads() == []


def test_paging_filtering_and_counting(store: JobStore) -> None:
    ids = [submit(store, f"prompt {i}") for i in range(30)]
    store.mark_local(ids[0], JobState.WAITING, "rate limit")
    newest = store.page(JobQuery(), limit=5)
    assert [j.id for j in newest] == ids[::-1][:5]
    assert [j.id for j in store.page(JobQuery(), offset=25, limit=10)] == ids[4::-1]
    assert store.count(JobQuery(text="prompt 1")) == 11
    assert store.count(JobQuery(states=frozenset({"waiting"}))) == 1
    assert store.count(JobQuery(text="100%_")) == 0
    oldest = store.page(JobQuery(descending=False), limit=1)
    assert oldest[0].id == ids[0]
    assert store.counts_by_state() == {JobState.QUEUED: 29, JobState.WAITING: 1}


def test_hide_finished(store: JobStore) -> None:
    running, done = submit(store), submit(store)
    gen_id = store.get(done).generation_id
    store.record_state(done, generation("completed", id=gen_id))
    assert [j.id for j in store.page(JobQuery(hide_finished=True))] == [running]


def test_durations_of_similar_jobs(store: JobStore) -> None:
    job = store.record_submission(GenerationRequest(prompt="p"), now=0.0)
    gen = generation()
    store.mark_submitted(job.id, gen, now=10.0)
    store.record_state(job.id, generation("completed", id=gen.id), now=42.0)
    assert store.durations("uni-1", "image") == [32.0]
    assert store.durations("ray-3.2", "video") == []


def test_finished_runs_carry_the_video_settings_asked_for(store: JobStore) -> None:
    settings = {"resolution": "1080p", "duration": "10s", "hdr": True}
    for video, finished in ((settings, 400.0), (None, 150.0)):
        body = {"prompt": "p", "type": "video"} | ({"video": video} if video else {})
        job = store.record_submission(GenerationRequest.model_validate(body), now=0.0)
        gen = generation(model="ray-3.2", type="video")
        store.mark_submitted(job.id, gen, now=10.0)
        completed = generation("completed", id=gen.id, model="ray-3.2", type="video")
        store.record_state(job.id, completed, now=finished)
    runs = sorted(store.finished_runs("ray-3.2", "video"))
    assert runs == [(140.0, None, None, None), (390.0, "1080p", "10s", 1)]


def test_the_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "lumatui.db"
    with JobStore.open(path) as first:
        job_id = submit(first)
    with JobStore.open(path) as second:
        assert second.get(job_id).state is JobState.QUEUED
        assert second.integrity_ok()


def test_verified_facts_are_kept_with_the_output(store: JobStore) -> None:
    from lumatui.engine.media_kinds import VerifiedMedia

    job_id = submit(store)
    store.record_outputs(job_id, [GenerationOutput(type="video", url="http://127.0.0.1/v")])
    clip = VerifiedMedia("video", "video/mp4", 256, 144, 5.0, "mp4", 120)
    _, out = store.record_download(job_id, 0, "/x/0.mp4", 10, "ab", media=clip)
    assert (out.mime, out.width, out.height, out.duration_s, out.frame_count) == (
        "video/mp4",
        256,
        144,
        5.0,
        120,
    )
    assert out.has_facts and out.is_video
    # An output downloaded before facts were kept gets them measured once, while it is
    # still the file that was measured.
    store.record_download(job_id, 0, "/x/0.mp4", 10, "ab")
    (bare,) = store.outputs(job_id)
    assert not bare.has_facts and bare.is_video  # the API's word until measured
    assert store.record_media_facts(job_id, 0, "/elsewhere.mp4", clip) is None
    measured = store.record_media_facts(job_id, 0, "/x/0.mp4", clip)
    assert measured is not None and measured.frame_count == 120


def test_a_history_from_before_the_facts_migrates(tmp_path: Path) -> None:
    import sqlite3

    from lumatui.engine.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    connection = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:3]):
        for statement in script.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {version + 1}")
    connection.execute(
        "INSERT INTO jobs (id, type, model, prompt, request_json, state, created_at, updated_at)"
        " VALUES ('j', 'image', 'uni-1', 'p', '{\"prompt\": \"p\"}', 'completed', 1, 2)"
    )
    connection.execute(
        "INSERT INTO outputs (job_id, n, media_type, url, url_fetched_at, local_path)"
        " VALUES ('j', 0, 'image', 'u', 1, '/x/0.png')"
    )
    connection.close()
    with JobStore.open(path) as store:
        (job,) = store.page(JobQuery())
        assert job.origin is None and not job.simulated
        (out,) = store.outputs("j")
        assert out.is_downloaded and out.mime is None and not out.has_facts


def test_the_origin_of_a_job_is_kept(store: JobStore) -> None:
    made = store.record_submission(GenerationRequest(prompt="p"), origin="simulator")
    assert made.simulated
    assert not store.record_submission(GenerationRequest(prompt="q"), origin="api").simulated


def test_a_read_under_way_keeps_its_connection_when_the_store_is_closed(tmp_path: Path) -> None:
    """Closed under a read on another thread, a connection crashed the whole process; the
    read now ends on it, and closes it."""
    import sqlite3
    import threading

    store = JobStore.open(tmp_path / "jobs.db")
    inside, closed = threading.Event(), threading.Event()
    found: list[object] = []

    def read() -> None:
        with store.reading() as db:
            inside.set()
            assert closed.wait(30)
            found.append(db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")  # closed once the read was over
        found.append("closed after")

    reader = threading.Thread(target=read)
    reader.start()
    assert inside.wait(30)
    store.close()
    closed.set()
    reader.join(30)
    assert found == [0, "closed after"]
    with pytest.raises(sqlite3.ProgrammingError):
        store.count(JobQuery())  # no new read once closed
