"""Shared steps of the simulator tests: create, finish and fetch a generation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from lumatui.sim import ManualClock, Simulator


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """POST a generation that must be accepted; returns the Generation."""
    body.setdefault("prompt", "a lighthouse at dusk")
    reply = await client.post("/generations", json=body)
    assert reply.status_code == 201, reply.text
    data: dict[str, Any] = reply.json()
    return data


async def finish(
    client: httpx.AsyncClient, sim: Simulator, clock: ManualClock, generation_id: str
) -> dict[str, Any]:
    """Move the clock past the job's end, wait for its render, and GET it."""
    row = sim.store.get(generation_id)
    assert row is not None
    clock.advance(max(0.0, row.finish_at - clock()) + 0.001)
    await asyncio.to_thread(sim.renderer.wait, generation_id)
    reply = await client.get(f"/generations/{generation_id}")
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


async def completed(
    client: httpx.AsyncClient, sim: Simulator, clock: ManualClock, **body: Any
) -> dict[str, Any]:
    """Create a generation and run it to completion."""
    created = await create(client, **body)
    done = await finish(client, sim, clock, created["id"])
    assert done["state"] == "completed", done
    return done


async def fetch_output(client: httpx.AsyncClient, url: str) -> bytes:
    """An output's bytes through the same in-process app (the URL is presigned)."""
    import httpx

    transport = client._transport  # the ASGI transport of the fixture's client
    async with httpx.AsyncClient(transport=transport) as plain:
        reply = await plain.get(url)
    assert reply.status_code == 200
    return reply.content
