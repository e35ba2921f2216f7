"""Simulator fixtures: in-process (ASGI, manual clock) and on real loopback (a thread).

Other test trees can use them by adding `pytest_plugins = ["tests.sim.conftest"]` to the
top-level conftest, or by calling `start_in_background(SimSettings.for_tests(dir))`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from lumatui.sim import ManualClock, SimSettings, create_app, start_in_background

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from starlette.applications import Starlette

    from lumatui.sim import RunningSimulator, Simulator
    from lumatui.sim.render import MediaBackend

KEY = "luma-api-test-key-a"
OTHER_KEY = "luma-api-test-key-b"


@pytest.fixture
def media() -> MediaBackend:
    """The media backend the simulator renders with: the real media library."""
    from lumatui.sim import media

    return media


@pytest.fixture
def sim_settings(tmp_path: Path) -> SimSettings:
    """Fast, small settings in a fresh state dir."""
    return SimSettings.for_tests(tmp_path / "simulator")


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when a test advances it."""
    return ManualClock()


@pytest.fixture
def sim_app(
    sim_settings: SimSettings, clock: ManualClock, media: MediaBackend
) -> Iterator[tuple[Starlette, Simulator]]:
    """An in-process simulator on the manual clock, and its ASGI app."""
    app, sim = create_app(sim_settings, clock=clock, media=media)
    yield app, sim
    sim.close()


@pytest.fixture
def sim(sim_app: tuple[Starlette, Simulator]) -> Simulator:
    """The in-process simulator."""
    return sim_app[1]


def asgi_client(app: Starlette, key: str | None = KEY) -> httpx.AsyncClient:
    """An httpx client talking to the app in-process, with `key` as its bearer."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim.test/v1", headers=headers
    )


@pytest.fixture
async def api(sim_app: tuple[Starlette, Simulator]) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for the first test key."""
    async with asgi_client(sim_app[0]) as client:
        yield client


@pytest.fixture
async def other_api(sim_app: tuple[Starlette, Simulator]) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for a second key (another caller)."""
    async with asgi_client(sim_app[0], OTHER_KEY) as client:
        yield client


@pytest.fixture
def running_sim(tmp_path: Path, media: MediaBackend) -> Iterator[RunningSimulator]:
    """A simulator serving on 127.0.0.1 and a free port: real clock, speed 10000, tiny media."""
    running = start_in_background(SimSettings.for_tests(tmp_path / "simulator"), media=media)
    yield running
    running.stop()
