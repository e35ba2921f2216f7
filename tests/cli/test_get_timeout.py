"""`lumatui get --timeout`: an API that never answers cannot keep `get` waiting."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from lumatui.api.schema import Generation
from lumatui.config import app_paths
from lumatui.engine.jobs import Job, JobState
from lumatui.engine.store import JobStore
from tests.cli.conftest import KEY, stored_jobs
from tests.stored_jobs import sent_job

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from tests.cli.conftest import Ran


def test_get_gives_up_at_its_timeout_and_shows_what_is_stored(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A job the history has as queued at the API (a finished one is not asked about again).
    paths = app_paths()
    paths.ensure_dirs()
    with JobStore.open(paths.database) as store:
        queued = sent_job(store, prompt="a fox at dawn")
        store.record_state(queued.id, queued_generation(queued))
    (job,) = stored_jobs()
    assert job.generation_id and job.state is JobState.QUEUED
    # A server that takes the connection and the request, then never says a word.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
        ran = cli("get", job.generation_id, "--base-url", url, "--timeout", "0.5")
    assert ran.code == 5
    assert "timed out after 0.5 s; showing what is stored" in ran.err
    assert "a fox at dawn" in ran.out and "Traceback" not in ran.err


def test_get_timeout_must_be_positive(cli: Callable[..., Ran]) -> None:
    for bad in ("0", "-1", "nan"):
        ran = cli("get", "2a31b73f", "--timeout", bad)
        assert ran.code == 2 and "--timeout" in ran.err


def queued_generation(job: Job) -> Generation:
    """The API's reply for `job` while it waits in its queue."""
    return Generation.model_validate(
        {
            "id": job.generation_id,
            "created_at": "now",
            "model": job.model,
            "state": "queued",
            "type": job.type,
        }
    )
