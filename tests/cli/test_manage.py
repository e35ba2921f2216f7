"""`lumatui cancel`, `lumatui rm` and `lumatui queue`: acting on the history from a script."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest
from lumatui.config import app_paths
from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.cli.conftest import Ran

GID = "3f2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d"


def history() -> JobStore:
    paths = app_paths()
    paths.ensure_dirs()
    return JobStore.open(paths.database)


def sent(store: JobStore, state: str = "queued", gid: str = GID) -> str:
    """A job the API accepted, then moved to `state`; its local id."""
    job = store.record_submission(GenerationRequest(prompt=f"a {state} job"))
    answer = {
        "id": gid,
        "created_at": "2026-01-01T00:00:00Z",
        "model": "uni-1",
        "type": "image",
        "state": "queued",
    }
    store.mark_submitted(job.id, Generation.model_validate(answer))
    if state != "queued":
        output = [GenerationOutput(type="image", url="https://cdn.example/0.png")]
        store.record_state(
            job.id, Generation.model_validate({**answer, "state": state, "output": output})
        )
    return job.id


def test_cancel_a_waiting_job_and_refuse_a_queued_one(cli: Callable[..., Ran]) -> None:
    with history() as store:
        waiting = store.record_submission(
            GenerationRequest(prompt="held"), state=JobState.WAITING, owner="a-script"
        ).id
        queued = sent(store)
    ran = cli("cancel", waiting)
    assert ran.code == 0 and ran.out.startswith("cancelled")
    ran = cli("cancel", GID[:8])
    assert ran.code == 1
    assert "no cancel" in ran.err and "charged" in ran.err
    with history() as store:
        assert store.get(waiting).state is JobState.CANCELLED
        assert store.get(queued).state is JobState.QUEUED


def test_rm_removes_finished_jobs_and_their_files_only_when_asked(
    cli: Callable[..., Ran],
) -> None:
    paths = app_paths()
    with history() as store:
        done = sent(store, "completed")
        running = sent(store, "processing", gid="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
        folder = paths.outputs_dir / GID
        folder.mkdir(parents=True)
        (folder / "0.png").write_bytes(b"png")
        store.record_download(done, 0, str(folder / "0.png"), 3, "ab")
    refused = cli("rm", running)
    assert refused.code == 1 and "only a finished job" in refused.err
    ran = cli("rm", done, "--delete-outputs", "--json")
    assert ran.code == 0, ran.err
    (record,) = json.loads(ran.out)
    assert record["id"] == GID and record["deleted"] == 1
    assert not (folder / "0.png").exists()
    with history() as store:
        assert store.find(done) is None
        assert store.get(running).state is JobState.PROCESSING
    assert cli("rm", done).code == 2, "an unknown id is a usage error"


def test_queue_lists_who_holds_each_unsent_job(cli: Callable[..., Ran]) -> None:
    with history() as store:
        store.record_submission(
            GenerationRequest(prompt="queued for later"), state=JobState.WAITING
        )
    ran = cli("queue", "--json")
    assert ran.code == 0
    (entry,) = json.loads(ran.out)
    assert entry["held_by"] == "the history's queue" and entry["prompt"] == "queued for later"
