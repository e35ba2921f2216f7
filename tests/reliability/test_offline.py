"""The backend disappears and comes back on the same port: offline shown, polling backs off,
nothing failed that did not fail, and everything resumes by itself.

Scaled time: the simulator runs 1000 times faster and the engine's waits shrink by the same
factor, so the longest backoff (two minutes) lasts 0.12 s and the outage below stands for
several minutes of real use. The simulator's state is on disk; the one started afterwards
on the same port and state dir carries on where the first stopped.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from lumatui.engine.events import Connectivity
from lumatui.engine.jobs import JobState
from lumatui.engine.schedule import PollPlan, backoff_delay
from tests.reliability.conftest import EventLog, build_engine, request, sim_prompts

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

SPEED = 1000.0
SCALE = 1 / SPEED
FAILED_GETS_WHILE_DOWN = 30


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP; records when each GET of a generation was tried and whether it failed."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.gets: list[tuple[float, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        is_get = request.method == "GET" and "/generations/" in request.url.path
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            if is_get:
                self.gets.append((time.monotonic(), False))
            raise
        if is_get:
            self.gets.append((time.monotonic(), True))
        return response

    def failed_since(self, start: float) -> list[float]:
        """When each failed GET since `start` was tried."""
        return [at for at, ok in self.gets if not ok and at >= start]

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_backend_disappears_and_comes_back(
    sim_factory: Callable[..., RunningSimulator], engines: list[Engine], tmp_path: Path
) -> None:
    sim = sim_factory(speed=SPEED)
    port = int(sim.base_url.rsplit(":", 1)[1].split("/")[0])
    counting = CountingTransport()
    engine = build_engine(
        sim.base_url, tmp_path, time_scale=SCALE, transport=counting, max_get_retries=1
    )
    engines.append(engine)
    log = EventLog(engine)
    await engine.start()
    before = [
        await engine.submit(request(f"before the outage {i}", **kind))
        for i, kind in enumerate(
            [{}, {}, {"type": "video", "video": {"duration": "5s", "resolution": "360p"}}]
        )
    ]
    await log.until(lambda: all(engine.store.get(j.id).generation_id for j in before))

    sim.stop()  # the backend is gone; its state stays on disk
    down_at = time.monotonic()
    during = [await engine.submit(request(f"during the outage {i}")) for i in range(2)]

    def held(job_id: str) -> bool:
        history = engine.store.state_history(job_id)
        return any(s is JobState.WAITING and "unreachable" in (d or "") for s, _, d in history)

    # Down until polling has failed many times and the queue holds the new job for later.
    await log.until(
        lambda: len(counting.failed_since(down_at)) >= FAILED_GETS_WHILE_DOWN and held(during[0].id)
    )
    offline = [e for e in log.of(Connectivity) if not e.online]
    assert offline, "the outage is published"
    down_for = time.monotonic() - down_at
    for job in during:  # held in the local queue (or being tried again), not failed
        assert engine.store.get(job.id).state in (JobState.WAITING, JobState.SUBMITTING)

    sim_factory(port=port, speed=SPEED)  # back, same port, same state dir
    jobs = before + during
    done = await engine.wait_for([j.id for j in jobs], timeout=20.0)

    assert {j.state for j in done} == {JobState.COMPLETED}
    for job in jobs:
        states = {s for s, _, _ in engine.store.state_history(job.id)}
        assert JobState.FAILED not in states and JobState.UNCERTAIN not in states
        outputs = engine.store.outputs(job.id)
        assert all(o.is_downloaded and not o.error for o in outputs), outputs
    assert log.of(Connectivity)[-1].online, "back online"
    assert set(sim_prompts(tmp_path / "simulator").values()) == {1}

    # Backing off, not a tight loop: a failed GET costs well under a millisecond on loopback,
    # yet these took at least the first few backoff steps, and the late ones are spaced out.
    cap = backoff_delay(99, PollPlan(time_scale=SCALE))
    assert down_for >= cap, (down_for, cap)
    failed = counting.failed_since(down_at)[:FAILED_GETS_WHILE_DOWN]
    rate = len(failed) / (failed[-1] - failed[0])
    per_round = len(before) * 2  # each followed job: one GET and one client retry
    assert rate <= per_round / (cap / 2), rate  # ~50/s seen; a tight loop is over 1000/s


class UnreachableFiles(httpx.AsyncBaseTransport):
    """The file server does not answer the first `refusals` requests, then serves them."""

    def __init__(self, refusals: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.refusals = refusals
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_download_waits_out_a_long_outage_of_the_file_server(
    sim_factory: Callable[..., RunningSimulator], engines: list[Engine], tmp_path: Path
) -> None:
    # Twelve attempts without an answer (about fourteen minutes of real use): more than the
    # eight a failing file server gets, fewer than the hour an unreachable one does.
    files = UnreachableFiles(refusals=12)
    sim = sim_factory(speed=SPEED)
    engine = build_engine(sim.base_url, tmp_path, time_scale=SCALE, download_transport=files)
    engines.append(engine)
    await engine.start()
    job = await engine.submit(request("downloaded after the outage"))
    (done,) = await engine.wait_for([job.id], timeout=20.0)
    (output,) = engine.store.outputs(done.id)
    assert output.is_downloaded and not output.error, output.error
    assert files.attempts == 13
