"""Who is polled first when GETs queue for the cap: the selected job, then overdue jobs."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest

from lumatui.api.limiter import Priority, current_priority
from lumatui.api.schema import GenerationRequest
from lumatui.engine.events import EventBus
from lumatui.engine.jobs import JobState
from lumatui.engine.poller import Poller

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator


async def test_of_the_jobs_due_the_selected_then_the_overdue_go_first() -> None:
    poller = Poller(cast("Any", None), cast("Any", None), EventBus(), on_completed=print)
    loop = asyncio.get_running_loop()
    for job_id in ("early", "late", "overdue", "selected"):
        poller._schedule(job_id, 0.0)
    poller._schedule("not-yet", 60.0)
    poller._typical_at["overdue"] = loop.time() - 1.0
    poller.select("selected")
    picks = [poller._pick(loop.time()) for _ in range(5)]
    assert picks == ["selected", "overdue", "early", "late", None]


async def test_a_job_long_due_is_not_starved_by_overdue_ones() -> None:
    poller = Poller(cast("Any", None), cast("Any", None), EventBus(), on_completed=print)
    loop = asyncio.get_running_loop()
    start = loop.time()
    poller._schedule("waited", 0.0)
    poller._schedule("overdue", 8.0)
    poller._schedule("fresh", 8.5)
    poller._typical_at["overdue"] = start
    picks = [poller._pick(start + 9.0) for _ in range(3)]
    assert picks == ["waited", "overdue", "fresh"]


class PriorityLog(httpx.AsyncBaseTransport):
    """Real HTTP that notes the priority each GET of a generation was sent at."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.levels: dict[str, set[int]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/generations/" in request.url.path:
            generation_id = request.url.path.rsplit("/", 1)[-1]
            self.levels.setdefault(generation_id, set()).add(current_priority())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_selected_jobs_gets_reach_the_transport_at_its_priority(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    log = PriorityLog()
    engine = engine_factory(sim, transport=log)
    await engine.start()
    body = {"prompt": "a red fox in snow"}
    plain = await engine.submit(GenerationRequest.model_validate(body))
    watched = await engine.submit(GenerationRequest.model_validate(body))
    engine.select(watched.id)
    done = await engine.wait_for([plain.id, watched.id], timeout=60.0)
    assert {job.state for job in done} == {JobState.COMPLETED}
    assert log.levels[str(done[1].generation_id)] == {Priority.SELECTED}
    assert Priority.SELECTED not in log.levels[str(done[0].generation_id)]


async def test_a_link_refresh_waits_out_a_429_hold_and_nothing_else() -> None:
    # The cap is the transport's; the poller only adds the hold a 429 or an outage asked for.
    poller = Poller(cast("Any", None), cast("Any", None), EventBus(), on_completed=print)
    loop = asyncio.get_running_loop()
    for _ in range(20):  # each turn is taken at once, without waiting: no spacing here
        turn = poller.wait_turn()
        with pytest.raises(StopIteration):
            turn.send(None)
    poller._hold_until = loop.time() + 3600.0
    held = asyncio.create_task(poller.wait_turn())
    await asyncio.sleep(0)
    assert not held.done()
    held.cancel()
