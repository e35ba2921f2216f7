"""The local queue: 100 jobs at once through 4 concurrent jobs and 20 requests a minute,
with the balance running out half-way and coming back.

The simulator counts requests per minute on a real 60-second window, which at 20 a minute
would make 100 jobs take five minutes. So its clock runs `CLOCK` times faster
(`ScaledClock`: a minute lasts 60/CLOCK real seconds), its jobs run `SPEED` times faster on
that clock, and `RetryAfterScaler` turns its Retry-After (simulator seconds) into real
seconds before the client sees it. The engine's own waits are scaled by 1/(SPEED x CLOCK).
The whole scenario is kept: 100 jobs, concurrency 4, 20 RPM, a 402 after 40 jobs.

Topping up: the simulator has no top-up call; its balance is `settings.balance_usd` minus
what was spent, so restoring the balance replaces its (frozen) settings with a larger
`balance_usd`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lumatui.api.pricing import DEFAULT_PRICES
from lumatui.engine.events import QueueStatus, SendRefused
from lumatui.engine.jobs import JobState
from tests.reliability.conftest import (
    EventLog,
    RetryAfterScaler,
    ScaledClock,
    build_engine,
    request,
    sim_prompts,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

CLOCK = 150.0
SPEED = 4.0
IMAGE_PRICE = DEFAULT_PRICES["uni-1.text_to_image"]


def top_up(sim: RunningSimulator, balance_usd: float) -> None:
    """Give the simulator's key a new starting balance (it has no top-up call of its own)."""
    simulator = sim.simulator
    simulator.settings = simulator.settings.with_changes(balance_usd=balance_usd)


def pauses(log: EventLog) -> list[str]:
    """Every pause reason the queue published, in order."""
    return [e.paused_reason for e in log.of(QueueStatus) if e.paused_reason]


def start_limited(
    sim_factory: Callable[..., RunningSimulator], tmp_path: Path, engines: list[Engine], jobs: int
) -> tuple[RunningSimulator, Engine, RetryAfterScaler]:
    """A simulator with 4 concurrent jobs, 20 RPM and money for `jobs` images; an engine on it."""
    sim = sim_factory(
        speed=SPEED,
        clock=ScaledClock(CLOCK),
        concurrent_jobs=4,
        requests_per_minute=20,
        balance_usd=IMAGE_PRICE * jobs + IMAGE_PRICE / 2,
    )
    scaler = RetryAfterScaler(CLOCK)
    # Retry-After arrives in real seconds already: the client sleeps it as it is.
    engine = build_engine(
        sim.base_url,
        tmp_path,
        time_scale=1 / (SPEED * CLOCK),
        transport=scaler,
        sleep=asyncio.sleep,
    )
    engines.append(engine)
    return sim, engine, scaler


async def test_a_hundred_jobs_through_the_limits_and_a_402_half_way(
    sim_factory: Callable[..., RunningSimulator], engines: list[Engine], tmp_path: Path
) -> None:
    sim, engine, scaler = start_limited(sim_factory, tmp_path, engines, jobs=40)
    log = EventLog(engine)
    await engine.start()
    jobs = [await engine.submit(request(f"queued job {i}")) for i in range(100)]

    await log.until(lambda: len(pauses(log)) >= 3)  # paused, and still paused when retried
    done_before = sum(engine.store.get(j.id).state is JobState.COMPLETED for j in jobs)
    assert done_before <= 40
    top_up(sim, 1000.0)
    done = await engine.wait_for([j.id for j in jobs], timeout=30.0)

    assert {j.state for j in done} == {JobState.COMPLETED}
    assert all(o.is_downloaded for j in done for o in engine.store.outputs(j.id))
    reason = pauses(log)[0]
    assert "balance" in reason and "402" in reason, reason
    assert log.of(QueueStatus)[-1].paused_reason is None, "the pause was lifted by itself"
    # None submitted twice, none lost: one generation per prompt, a hundred in all.
    seen = sim_prompts(sim.simulator.settings.state_dir)
    assert len(seen) == 100 and set(seen.values()) == {1}
    assert len({j.generation_id for j in done}) == 100
    # Whether the rate or concurrency limit refuses anything depends on how fast this machine
    # sends on a clock 150 times fast (a busy machine sends too slowly for either to bind),
    # so only the 402 pause, which does not depend on speed, must have happened; any 429
    # was waited out (every job completed, none twice).
    assert set(scaler.statuses) <= {201, 402, 429}, scaler.statuses
    assert scaler.statuses[402] >= 3
    held = [
        j for j in jobs if JobState.WAITING in {s for s, _, _ in engine.store.state_history(j.id)}
    ]
    assert len(held) >= 50


async def test_resume_lifts_a_balance_pause_at_once(
    sim_factory: Callable[..., RunningSimulator], engines: list[Engine], tmp_path: Path
) -> None:
    sim, engine, _ = start_limited(sim_factory, tmp_path, engines, jobs=2)
    # The queue's own retry after a 402 waits 30 s (unscaled here): only resume() is fast.
    engine.submitter._time_scale = 1.0
    log = EventLog(engine)
    await engine.start()
    jobs = [await engine.submit(request(f"paused job {i}")) for i in range(5)]
    await log.until(lambda: bool(log.of(SendRefused)))  # said once the job is held
    (refused,) = log.of(SendRefused)
    assert refused.kind == "balance" and "402" in refused.message
    head = engine.store.get(refused.job.id)
    assert head.state is JobState.WAITING and "402" in (head.note or "")
    assert head.due_at is not None, "the next try is stored, for every process to show"
    top_up(sim, 1000.0)
    engine.submitter.resume()
    done = await engine.wait_for([j.id for j in jobs], timeout=10.0)
    assert {j.state for j in done} == {JobState.COMPLETED}
    assert len(pauses(log)) == 1
