"""With a real key, the finished jobs of this history refine the poll schedule of their kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.sim import RunningSimulator

SPEED = 100.0  # slow enough that a few milliseconds of overhead do not distort durations


def engine_on(sim: RunningSimulator, folder: Path, *, learn: bool) -> Engine:
    """An engine on `sim` over the store in `folder`."""
    options = EngineOptions(rate_limit=500.0, time_scale=1 / SPEED, learn_durations=learn)
    client = AgentsClient("luma-api-learning-test", sim.base_url)
    return Engine(JobStore.open(folder / "lumatui.db"), client, folder / "out", options=options)


async def test_a_later_session_learns_from_the_finished_jobs(
    sim_factory: Callable[..., RunningSimulator], tmp_path: Path
) -> None:
    sim = sim_factory(speed=SPEED)
    first = engine_on(sim, tmp_path, learn=False)
    await first.start()
    requests = [GenerationRequest(prompt=f"fox {i}") for i in range(12)]
    jobs = [await first.submit(request) for request in requests]
    done = await first.wait_for([j.id for j in jobs], timeout=60.0, downloads=False)
    assert {j.state for j in done} == {JobState.COMPLETED}
    assert first.poller.schedules.refinement(("uni-1", "image")).observations == 0
    await first.stop()
    await first.client.aclose()
    first.close()

    second = engine_on(sim, tmp_path, learn=True)
    try:
        await second.start()
        job = await second.submit(GenerationRequest(prompt="one more"))
        (finished,) = await second.wait_for([job.id], timeout=60.0, downloads=False)
        assert finished.state is JobState.COMPLETED
        await second.poller.learnt()  # the history is read off the loop when the job is followed
        learnt = second.poller.schedules.refinement(("uni-1", "image"))
        assert learnt.observations == 12
        assert abs(learnt.shift) < 0.5  # the simulator plays the prior: little to correct
    finally:
        await second.stop()
        await second.client.aclose()
        second.close()
