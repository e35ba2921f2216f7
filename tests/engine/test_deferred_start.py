"""The workstation starts its engine after the first frame: owned writes wait for it.

A job recorded under an owner id that no live process has registered looks orphaned to the
other processes on the history (one of them could send it too), so between `start_soon` and
the end of the registration every write recording owned jobs waits.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine import ownership
from lumatui.engine.queries import JobQuery
from lumatui.engine.service import Engine
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    """An engine not started, on a client that is never called."""
    client = AgentsClient("luma-api-deferred-start-key", "http://127.0.0.1:9/v1")
    built = Engine(JobStore.open(tmp_path / "data" / "lumatui.db"), client, tmp_path / "out")
    yield built
    await built.ownership.stop()
    built.close()
    await client.aclose()


async def settle() -> None:
    """Let every ready task run a few times (no time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_submit_before_the_deferred_start_waits_for_the_registration(
    engine: Engine,
) -> None:
    engine.ownership.start_soon()
    submit = asyncio.create_task(engine.submit(GenerationRequest(prompt="a heron")))
    await settle()
    assert not submit.done(), "recorded before this process was registered"
    assert engine.store.count(JobQuery()) == 0
    await engine.ownership.start()
    job = await submit
    assert job.owner == engine.owner
    assert engine.owner in {row.owner for row in engine.store.processes()}


async def test_a_start_that_fails_refuses_the_waiting_submit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise OSError("no lock today")

    monkeypatch.setattr(ownership, "take_owner_lock", refuse)
    engine.ownership.start_soon()
    submit = asyncio.create_task(engine.submit(GenerationRequest(prompt="a heron")))
    await settle()
    with pytest.raises(OSError, match="no lock today"):
        await engine.ownership.start()
    with pytest.raises(RuntimeError, match="could not register"):
        await submit
    assert engine.store.count(JobQuery()) == 0


async def test_without_start_soon_nothing_waits(engine: Engine) -> None:
    """The command line starts its engine before any write; a bare engine never waits."""
    job = await engine.submit(GenerationRequest(prompt="a heron"))
    assert job.owner == engine.owner
