"""An output is never given up while its generation exists (on the simulator, sped up).

A full disk, a file server that fails, a link that may have expired, a restart in the
middle: the output is tried again until it is on disk. Only a download lumatui refuses to
make is final, and even that is tried again on request.
"""

from __future__ import annotations

import asyncio
import errno
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lumatui.api import download as downloads
from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine.events import Event, JobError
from lumatui.engine.jobs import JobState
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore
from tests.engine.conftest import KEY, SPEED

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from lumatui.sim import RunningSimulator

WAIT_S = 60.0


class Files(httpx.AsyncBaseTransport):
    """The object store, with a switch: failing (as told) or passing downloads through."""

    reports_trace = True

    def __init__(self, failure: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failure = failure
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if self.failure is not None:
            return self.failure(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[Callable[..., Engine]]:
    """Engines on one history (each one as a separate process would be), stopped after."""
    made: list[Engine] = []

    def build(sim: RunningSimulator, files: Files | None = None, **options: Any) -> Engine:
        client = AgentsClient(KEY, sim.base_url, download_transport=files)
        engine = Engine(
            JobStore.open(tmp_path / "data" / "lumatui.db"),
            client,
            tmp_path / "data" / "outputs",
            options=EngineOptions(rate_limit=500.0, time_scale=1 / SPEED, **options),
        )
        made.append(engine)
        return engine

    yield build
    for engine in made:
        await engine.stop()
        await engine.client.aclose()
        engine.close()


def errors_of(engine: Engine) -> tuple[list[str], asyncio.Event]:
    said: list[str] = []
    seen = asyncio.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, JobError):
            said.append(event.message)
            seen.set()

    engine.subscribe(on_event)
    return said, seen


async def test_a_full_disk_is_waited_out_and_the_output_arrives(
    sim: RunningSimulator, engines: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = downloads._open_for_writing
    full = [2]

    def disk(path: Path) -> Any:
        if full[0]:
            full[0] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return opened(path)

    monkeypatch.setattr(downloads, "_open_for_writing", disk)
    engine = engines(sim)
    said, _ = errors_of(engine)
    await engine.start()
    job = await engine.submit(GenerationRequest(prompt="a disk that fills up"))
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
    (output,) = engine.store.outputs(done.id)
    assert output.is_downloaded and not output.final
    assert output.attempts == 2 and full == [0]
    assert any("disk is full" in message for message in said), said


async def test_a_link_that_may_have_expired_is_refreshed_right_before_the_fetch(
    sim: RunningSimulator, engines: Callable[..., Engine]
) -> None:
    files = Files()
    engine = engines(sim, files, link_ttl_s=0.0)  # every stored link counts as stale
    await engine.start()
    job = await engine.submit(GenerationRequest(prompt="a link refreshed before use"))
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
    (output,) = engine.store.outputs(done.id)
    assert output.is_downloaded
    assert output.url_fetched_at >= (done.finished_at or 0.0), "fetched after completion"
    assert len(files.requests) == 1, "the one fetch used the fresh link: no 403 to recover from"


async def test_a_failing_output_is_tried_again_across_a_restart(
    sim: RunningSimulator, engines: Callable[..., Engine]
) -> None:
    broken = Files(lambda request: httpx.Response(503, request=request))
    first = engines(sim, broken)
    said, seen = errors_of(first)
    await first.start()
    job = await first.submit(GenerationRequest(prompt="fetched after a restart"))
    async with asyncio.timeout(WAIT_S):
        await seen.wait()
    (output,) = first.store.outputs(job.id)
    assert not output.is_downloaded and not output.final and output.next_try_at is not None
    assert "trying again" in said[0]
    await first.stop()  # the job, completed with an output missing, is left for a primary
    assert first.store.get(job.id).owner is None

    second = engines(sim)
    await second.start()
    (done,) = await second.wait_for([job.id], timeout=WAIT_S)
    (output,) = second.store.outputs(done.id)
    assert output.is_downloaded and output.attempts >= 1


async def test_a_refused_download_is_final_until_asked_again(
    sim: RunningSimulator, engines: Callable[..., Engine]
) -> None:
    def elsewhere(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://elsewhere.example/x.png"})

    files = Files(elsewhere)
    engine = engines(sim, files)
    await engine.start()
    job = await engine.submit(GenerationRequest(prompt="a download refused, then allowed"))
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
    (output,) = engine.store.outputs(done.id)
    assert output.final and not output.is_downloaded
    assert output.error is not None and "another origin" in output.error
    assert done.state is JobState.COMPLETED and done.owner is None, "nothing more by itself"

    files.failure = None  # the file server behaves now
    assert await engine.retry_now(done) == "fetching 1 output(s)"
    (again,) = await engine.wait_for([job.id], timeout=WAIT_S)
    (output,) = engine.store.outputs(again.id)
    assert output.is_downloaded and not output.final
