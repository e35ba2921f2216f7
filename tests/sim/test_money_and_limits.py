"""Balance (402), budget (budget_exhausted), rate limits (429) and the standard headers."""

from __future__ import annotations

import math
import re
import uuid
from typing import TYPE_CHECKING

import pytest

from lumatui.sim import ManualClock, SimSettings, create_app
from tests.sim.conftest import asgi_client
from tests.sim.helpers import create, finish

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from contextlib import AbstractAsyncContextManager
    from pathlib import Path

    import httpx

    from lumatui.sim import Simulator
    from lumatui.sim.render import MediaBackend

    Factory = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, Simulator]]]


@pytest.fixture
def make_sim(tmp_path: Path, clock: ManualClock, media: MediaBackend) -> Factory:
    """Build an in-process simulator with some settings changed."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def factory(**changes: object) -> AsyncIterator[tuple[httpx.AsyncClient, Simulator]]:
        settings = SimSettings.for_tests(tmp_path / uuid.uuid4().hex, **changes)
        app, sim = create_app(settings, clock=clock, media=media)
        try:
            async with asgi_client(app) as client:
                yield client, sim
        finally:
            sim.close()

    return factory


async def test_402_when_the_balance_cannot_cover_the_job(make_sim: Factory) -> None:
    async with make_sim(balance_usd=0.05) as (client, _sim):
        await create(client)  # $0.0404 of $0.05
        reply = await client.post("/generations", json={"prompt": "second"})
        assert reply.status_code == 402
        assert "balance" in reply.json()["detail"]


async def test_a_failed_job_is_refunded(make_sim: Factory, clock: ManualClock) -> None:
    async with make_sim(balance_usd=0.05) as (client, sim):
        failed = await create(client, prompt="[fail] first")
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 402
        assert (await finish(client, sim, clock, failed["id"]))["state"] == "failed"
        await create(client, prompt="now affordable")


async def test_video_jobs_are_charged_the_estimate(make_sim: Factory) -> None:
    async with make_sim(balance_usd=0.29) as (client, _sim):
        body = {"prompt": "x", "type": "video", "video": {"resolution": "720p"}}
        assert (await client.post("/generations", json=body)).status_code == 402
        body["video"] = {"resolution": "360p"}
        assert (await client.post("/generations", json=body)).status_code == 201


async def test_budget_runs_out_mid_generation(make_sim: Factory, clock: ManualClock) -> None:
    async with make_sim(budget_usd=0.1) as (client, sim):
        first = await create(client)
        second = await create(client)
        third = await create(client)  # 3 x 0.0404 > 0.1
        row = sim.store.get(third["id"])
        assert row is not None
        clock.advance(row.started_at - clock() + 1e-6)
        assert (await client.get(f"/generations/{third['id']}")).json()["state"] == "processing"
        done = await finish(client, sim, clock, third["id"])
        assert done["state"] == "failed"
        assert done["failure_code"] == "budget_exhausted"
        for ok in (first, second):
            assert (await finish(client, sim, clock, ok["id"]))["state"] == "completed"


async def test_429_on_requests_per_minute_with_retry_after(
    make_sim: Factory, clock: ManualClock
) -> None:
    async with make_sim(requests_per_minute=3) as (client, _sim):
        remaining = []
        for _ in range(3):
            reply = await client.post("/generations", json={"prompt": "x"})
            assert reply.status_code == 201
            assert reply.headers["x-ratelimit-limit"] == "3"
            remaining.append(reply.headers["x-ratelimit-remaining"])
            clock.advance(10)
        assert remaining == ["2", "1", "0"]
        reply = await client.post("/generations", json={"prompt": "x"})
        assert reply.status_code == 429
        assert reply.headers["retry-after"] == "30"
        assert isinstance(reply.json()["detail"], str)
        # A 429 does not count; the window slides one request at a time.
        clock.advance(30)
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 201
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 429


async def test_rejected_requests_count_toward_rpm(make_sim: Factory) -> None:
    async with make_sim(requests_per_minute=2) as (client, _sim):
        assert (await client.post("/generations", json={"prompt": ""})).status_code == 400
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 201
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 429


async def test_429_on_concurrent_jobs_until_one_ends(make_sim: Factory, clock: ManualClock) -> None:
    async with make_sim(concurrent_jobs=2, speed=1.0) as (client, sim):
        jobs = [await create(client), await create(client)]
        reply = await client.post("/generations", json={"prompt": "x"})
        assert reply.status_code == 429
        assert "Concurrent" in reply.json()["detail"]
        rows = [sim.store.get(job["id"]) for job in jobs]
        first = min((r for r in rows if r is not None), key=lambda r: r.finish_at)
        expected = min(60, math.ceil(first.finish_at - clock()))
        assert int(reply.headers["retry-after"]) == expected
        await finish(client, sim, clock, first.id)
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 201
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 429


async def test_limits_are_per_key(make_sim: Factory) -> None:
    async with make_sim(requests_per_minute=1) as (client, sim):
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 201
        assert (await client.post("/generations", json={"prompt": "x"})).status_code == 429
        del sim


async def test_standard_headers_on_every_response(api: httpx.AsyncClient) -> None:
    uuid_re = re.compile(r"^[0-9a-f-]{36}$")
    for reply in (
        await api.post("/generations", json={"prompt": "x"}),
        await api.post("/generations", json={"prompt": ""}),
        await api.get("/generations/nope"),
        await api.get("/nowhere"),
    ):
        assert reply.headers["x-api-version"] == "2026-04-01"
        assert uuid_re.match(reply.headers["x-request-id"])
    echoed = await api.get("/generations/nope", headers={"X-Request-Id": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"
    created = await api.post("/generations", json={"prompt": "x"}, headers={"X-Request-Id": "r1"})
    assert created.headers["x-request-id"] == "r1"
    assert {"x-ratelimit-limit", "x-ratelimit-remaining"} <= set(created.headers)
    refused = await api.post("/generations", json={"prompt": ""})
    assert "x-ratelimit-limit" not in refused.headers


async def test_the_key_is_never_stored(
    api: httpx.AsyncClient, sim: Simulator, sim_settings: SimSettings
) -> None:
    await create(api)
    sim.store._query("PRAGMA wal_checkpoint(FULL)")
    for path in sim_settings.state_dir.rglob("*"):
        if path.is_file():
            assert b"luma-api-test-key-a" not in path.read_bytes(), path
