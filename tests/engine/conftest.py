"""Engine fixtures: a real simulator on loopback (sped up, small media) and engines on it."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.client import AgentsClient
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore
from lumatui.engine.thumbnails import ThumbnailCache
from lumatui.sim import SimSettings, start_in_background

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator
    from pathlib import Path

    from lumatui.sim import RunningSimulator

KEY = "luma-api-engine-test-key"
SPEED = 10_000.0


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[Callable[..., RunningSimulator]]:
    """Start simulators with test settings (speed 10000, tiny media) plus any changes."""
    started: list[RunningSimulator] = []

    def start(**changes: Any) -> RunningSimulator:
        settings = SimSettings.for_tests(tmp_path / "simulator", **{"speed": SPEED, **changes})
        running = start_in_background(settings)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def sim(sim_factory: Callable[..., RunningSimulator]) -> RunningSimulator:
    """A default test simulator."""
    return sim_factory()


@pytest.fixture
async def engine_factory(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Engine]]:
    """Build started engines on a simulator; all are stopped and closed afterwards."""
    engines: list[Engine] = []

    def build(sim: RunningSimulator, *, rate_limit: float = 500.0, **client_options: Any) -> Engine:
        client = AgentsClient(KEY, sim.base_url, **client_options)
        store = JobStore.open(tmp_path / "data" / "lumatui.db")
        engine = Engine(
            store,
            client,
            tmp_path / "data" / "outputs",
            thumbnails=ThumbnailCache(tmp_path / "cache" / "thumbnails"),
            options=EngineOptions(rate_limit=rate_limit, time_scale=1 / SPEED),
        )
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        await engine.stop()
        await engine.client.aclose()
        with contextlib.suppress(Exception):
            engine.close()
