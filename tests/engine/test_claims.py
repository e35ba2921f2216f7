"""Ownership in the store: claims, adoption, release, cancel, remove, and the change feed.

Several JobStore objects on one file stand in for several processes (each has its own
connections, as a process would); liveness is real: lock files held by a child process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest
from lumatui.engine.changes import ChangeFeed
from lumatui.engine.downloads import Downloader
from lumatui.engine.jobs import JobState, Orphan
from lumatui.engine.owners import owner_alive, owners_dir, take_owner_lock
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

GID = "0b1e5a0e-2f4c-4d47-9d8e-9b8f1c6a7e21"


def generation(state: str = "queued", gid: str = GID, **fields: object) -> Generation:
    """A Generation as the API returns it."""
    return Generation.model_validate(
        {
            "id": gid,
            "created_at": "2026-01-01T00:00:00Z",
            "model": "uni-1",
            "type": "image",
            "state": state,
            **fields,
        }
    )


def request(prompt: str = "a heron") -> GenerationRequest:
    """The smallest request."""
    return GenerationRequest(prompt=prompt)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "lumatui.db"


@pytest.fixture
def stores(path: Path) -> Iterator[tuple[JobStore, JobStore]]:
    """Two processes' stores on one history."""
    first, second = JobStore.open(path), JobStore.open(path)
    yield first, second
    first.close()
    second.close()


def test_only_the_owner_claims_a_job_and_only_while_it_is_unsent(
    stores: tuple[JobStore, JobStore],
) -> None:
    mine, theirs = stores
    job = mine.record_submission(request(), state=JobState.WAITING, owner="a")
    assert theirs.claim_for_send(job.id, "b") is None, "not b's job"
    claimed = mine.claim_for_send(job.id, "a")
    assert claimed is not None and claimed.state is JobState.SUBMITTING
    sent = mine.mark_submitted(job.id, generation())
    assert mine.claim_for_send(job.id, "a") is None, "it has a generation id now"
    assert sent.state is JobState.QUEUED and sent.owner == "a"


def test_a_cancel_from_another_process_wins_over_a_later_claim(
    stores: tuple[JobStore, JobStore],
) -> None:
    owner, other = stores
    job = owner.record_submission(request(), state=JobState.WAITING, owner="a")
    cancelled, why_not = other.cancel(job.id, "cancelled elsewhere")
    assert why_not is None and cancelled.state is JobState.CANCELLED
    assert cancelled.owner is None, "nothing is left to do for it"
    assert owner.claim_for_send(job.id, "a") is None, "a cancelled job is never sent"


def test_a_job_being_sent_or_sent_cannot_be_cancelled(stores: tuple[JobStore, JobStore]) -> None:
    owner, other = stores
    job = owner.record_submission(request(), state=JobState.WAITING, owner="a")
    owner.claim_for_send(job.id, "a")
    _, why_not = other.cancel(job.id, "too late")
    assert why_not is not None and "being sent" in why_not
    owner.mark_submitted(job.id, generation())
    _, why_not = other.cancel(job.id, "too late")
    assert why_not is not None and "no cancel" in why_not and "charged" in why_not


def test_a_duplicate_generation_id_is_an_error_on_that_job_not_a_crash(
    stores: tuple[JobStore, JobStore],
) -> None:
    store, _ = stores
    first = store.record_submission(request("one"), owner="a")
    second = store.record_submission(request("two"), owner="a")
    store.mark_submitted(first.id, generation())
    twin = store.mark_submitted(second.id, generation())
    assert twin.state is JobState.UNCERTAIN and twin.generation_id is None
    assert twin.note is not None and GID in twin.note and first.id[:8] in twin.note
    assert store.get(first.id).generation_id == GID, "the first job keeps its id"


def seed_every_kind(store: JobStore, owner: str) -> dict[str, str]:
    """One job of `owner` in each state that needs an owner (and one that does not)."""
    ids: dict[str, str] = {}
    ids["sending"] = store.record_submission(request("s"), owner=owner).id
    ids["queued-send"] = store.record_submission(
        request("w"), state=JobState.WAITING, owner=owner
    ).id
    ids["queued-cancel"] = store.record_submission(
        request("c"), state=JobState.WAITING, owner=owner, orphan=Orphan.CANCEL
    ).id
    polled = store.record_submission(request("p"), owner=owner)
    store.mark_submitted(polled.id, generation(gid="5f0b3f5e-5c1a-4a4e-8a44-0b0a3d4e6f01"))
    ids["polled"] = polled.id
    done = store.record_submission(request("d"), owner=owner)
    gid = "7d6c1b2a-1111-4c4c-8d8d-2e2e2e2e2e2e"
    store.mark_submitted(done.id, generation(gid=gid))
    output = GenerationOutput(type="image", url="https://cdn.example/o.png")
    store.record_state(done.id, generation("completed", gid=gid, output=[output]))
    ids["download"] = done.id
    return ids


def test_adoption_takes_a_dead_owners_work_and_settles_what_may_not_be_sent(
    stores: tuple[JobStore, JobStore],
) -> None:
    dead, primary = stores
    ids = seed_every_kind(dead, "gone")
    live = primary.record_submission(request("live"), state=JobState.WAITING, owner="alive")
    taken = {job.id: job for job in primary.adopt("primary", ["gone"])}
    assert set(taken) == set(ids.values()), "only the dead owner's jobs"
    sending = taken[ids["sending"]]
    assert sending.state is JobState.UNCERTAIN and sending.owner is None
    cancelled = taken[ids["queued-cancel"]]
    assert cancelled.state is JobState.CANCELLED and "nothing was created" in (cancelled.note or "")
    for kind in ("queued-send", "polled", "download"):
        assert taken[ids[kind]].owner == "primary", kind
    assert taken[ids["queued-send"]].state is JobState.WAITING
    assert primary.get(live.id).owner == "alive", "a live owner's job is never taken"
    assert primary.adopt("primary", ["gone"]) == [], "adopted once"


def test_a_clean_exit_releases_its_jobs_and_cancels_its_unsent_one_shot_jobs(
    stores: tuple[JobStore, JobStore],
) -> None:
    store, _ = stores
    ids = seed_every_kind(store, "me")
    store.mark_local(ids["sending"], JobState.WAITING, "not sent")  # settled before release
    released = {j.id: j for j in store.release("me", cancel_note="not sent: interrupted")}
    assert released[ids["queued-cancel"]].state is JobState.CANCELLED
    assert released[ids["queued-cancel"]].note == "not sent: interrupted"
    for kind in ("sending", "queued-send", "polled", "download"):
        assert released[ids[kind]].owner is None, kind
    assert store.owned("me") == []


def test_settling_an_interrupted_send_uses_what_the_probe_saw(
    stores: tuple[JobStore, JobStore],
) -> None:
    store, _ = stores
    unsent = store.record_submission(request("u"), state=JobState.WAITING, owner="me")
    maybe = store.record_submission(request("m"), state=JobState.WAITING, owner="me")
    store.claim_for_send(unsent.id, "me")
    store.claim_for_send(maybe.id, "me")
    back = store.settle_send(unsent.id, "me", may_have_sent=False)
    assert back is not None and back.state is JobState.WAITING
    assert "not sent" in (back.note or "")
    gone = store.settle_send(maybe.id, "me", may_have_sent=True)
    assert gone is not None and gone.state is JobState.UNCERTAIN
    store.mark_submitted(unsent.id, generation())
    assert store.settle_send(unsent.id, "me", may_have_sent=True) is None, "an answer stands"


def test_removal_leaves_a_tombstone_the_feed_reports(path: Path) -> None:
    with JobStore.open(path) as store, JobStore.open(path) as other:
        feed = ChangeFeed(path)
        assert feed.poll() is None
        job = other.record_submission(request(), state=JobState.WAITING, owner="x")
        changes = feed.poll()
        assert changes is not None and [j.id for j in changes.jobs] == [job.id]
        assert feed.poll() is None, "nothing new: data_version did not move"
        with pytest.raises(ValueError, match="cancel it first"):
            store.remove(job.id)
        store.cancel(job.id, "no")
        removed, outputs = store.remove(job.id)
        assert removed.id == job.id and outputs == []
        changes = feed.poll()
        assert changes is not None and changes.removed == [job.id]
        with pytest.raises(KeyError):
            other.get(job.id)
        feed.close()


class _HeldConnection:
    """A feed's connection whose `PRAGMA data_version` waits for `release` (a poll under way)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.started = threading.Event()
        self.release = threading.Event()
        self.log: list[str] = []

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("PRAGMA data_version"):
            self.started.set()
            assert self.release.wait(timeout=30)
        result = self.db.execute(sql, *args)
        self.log.append("execute")
        return result

    def close(self) -> None:
        self.log.append("close")
        self.db.close()


def test_the_feed_is_closed_only_after_a_poll_under_way_on_another_thread(path: Path) -> None:
    with JobStore.open(path) as other:
        feed = ChangeFeed(path)
        held = _HeldConnection(feed._db)
        feed._db = held  # type: ignore[assignment]
        other.record_submission(request(), state=JobState.WAITING, owner="x")
        polled: list[object] = []
        poller = threading.Thread(target=lambda: polled.append(feed.poll()))
        poller.start()
        assert held.started.wait(timeout=30)
        closer = threading.Thread(target=feed.close)  # the screen unmounting meanwhile
        closer.start()
        held.release.set()
        poller.join(timeout=30)
        closer.join(timeout=30)
        assert not poller.is_alive() and not closer.is_alive()
        assert polled[0] is not None, "the poll under way read the new job"
        assert held.log[-1] == "close" and held.log.count("close") == 1
        assert feed.poll() is None  # closed: nothing is read any more


def test_every_write_returns_its_row_with_a_newer_revision(
    stores: tuple[JobStore, JobStore],
) -> None:
    store, _ = stores
    job = store.record_submission(request(), owner="me")
    sent = store.mark_submitted(job.id, generation())
    running, _ = store.record_state(job.id, generation("processing"))
    assert job.rev < sent.rev < running.rev
    assert running == store.get(job.id)


@pytest.fixture
def holder(path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process holding the liveness lock of owner `child` (until killed)."""
    code = (
        "import sys; from pathlib import Path;"
        "from lumatui.engine.owners import take_owner_lock;"
        f"lock = take_owner_lock(Path({str(path)!r}), 'child');"
        "print('ready', flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait()


def test_a_process_is_alive_while_it_holds_its_lock_and_dead_after_kill_9(
    path: Path, holder: subprocess.Popen[bytes]
) -> None:
    assert owner_alive(path, "child")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert not owner_alive(path, "child"), "the kernel dropped the lock"
    assert not (owners_dir(path) / "child.lock").exists(), "its lock file is cleared"
    assert not owner_alive(path, "never-registered")


def test_a_sweep_removes_only_dead_writers_partial_files(
    path: Path, holder: subprocess.Popen[bytes]
) -> None:
    outputs = path.parent / "outputs" / GID
    outputs.mkdir(parents=True)
    mine = take_owner_lock(path, "me")
    live = outputs / ".0.child.aaaa.part"
    own = outputs / ".0.me.bbbb.part"
    dead = outputs / ".0.ghost.cccc.part"
    for part in (live, own, dead):
        part.write_bytes(b"partial")
    downloader = Downloader.__new__(Downloader)  # only the sweep is used: no loop needed
    downloader.outputs_dir = path.parent / "outputs"
    downloader._owner = "me"
    removed = downloader.sweep_partial_files(lambda owner: owner_alive(path, owner))
    assert removed == 1
    assert live.exists() and own.exists() and not dead.exists()
    mine.release(unlink=True)
