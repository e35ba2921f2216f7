"""The GET cap on the wire: a sliding window held in the transport, granted by priority."""

from __future__ import annotations

import asyncio
import random
from typing import cast

import httpx
import pytest

from lumatui.api.client import AgentsClient
from lumatui.api.limiter import (
    LimitedTransport,
    Priority,
    SlidingWindowLimiter,
    limited_transports,
    priority,
)
from tests.clocks import SteppedClock, max_in_window

GID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"


def limiter(limit: int, clock: SteppedClock, window: float = 1.0) -> SlidingWindowLimiter:
    """A limiter on a stepped clock."""
    return SlidingWindowLimiter(limit, window, clock=clock, sleep=clock.sleep)


async def test_no_window_ever_holds_more_than_the_limit_when_tasks_resume_late() -> None:
    clock = SteppedClock()
    cap = limiter(5, clock)
    rng = random.Random(7)
    sent: list[float] = []

    async def one_request() -> None:
        await cap.acquire()
        # A loaded machine: the granted task resumes late, after other tasks have run.
        for _ in range(rng.randrange(4)):
            clock.advance(rng.uniform(0.0, 0.4))
            await asyncio.sleep(0)
        cap.stamp()
        sent.append(clock())

    await asyncio.gather(*(one_request() for _ in range(200)))
    assert len(sent) == 200
    assert max_in_window(sent, 1.0) <= 5
    assert max_in_window(sent, 1.0) == 5, "the cap was reached, so the test could fail"


async def test_waiters_are_granted_by_priority_then_in_order() -> None:
    clock = SteppedClock()
    cap = limiter(1, clock)
    await cap.acquire()
    cap.stamp()  # the window is now full for one second
    order: list[str] = []

    async def wait(name: str, level: Priority) -> None:
        await cap.acquire(level)
        cap.stamp()
        order.append(name)

    tasks = [
        asyncio.create_task(wait(name, level))
        for name, level in (
            ("routine-1", Priority.ROUTINE),
            ("selected", Priority.SELECTED),
            ("routine-2", Priority.ROUTINE),
            ("overdue", Priority.OVERDUE),
        )
    ]
    await asyncio.gather(*tasks)
    assert order == ["selected", "overdue", "routine-1", "routine-2"]
    assert clock.slept == [1.0, 1.0, 1.0, 1.0]


async def test_the_priority_of_a_request_comes_from_its_task() -> None:
    clock = SteppedClock()
    cap = limiter(1, clock)
    await cap.acquire()
    cap.stamp()
    order: list[str] = []

    async def wait(name: str) -> None:
        await cap.acquire()
        cap.stamp()
        order.append(name)

    async def selected() -> None:
        with priority(Priority.SELECTED):
            await wait("selected")

    await asyncio.gather(wait("plain"), selected())
    assert order == ["selected", "plain"]


async def test_a_cancelled_waiter_takes_no_slot() -> None:
    clock = SteppedClock()
    cap = limiter(1, clock)
    await cap.acquire()
    cap.stamp()
    doomed = asyncio.create_task(cap.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await cap.acquire()
    cap.stamp()
    assert cap.waiting == 0
    assert clock.slept == [1.0]


async def test_a_reservation_given_back_frees_its_slot() -> None:
    clock = SteppedClock()
    cap = limiter(1, clock)
    await cap.acquire()  # granted, never sent
    waiter = asyncio.create_task(cap.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    cap.release()
    await waiter
    assert clock.slept == []


@pytest.mark.parametrize(
    ("rate", "window", "limit", "span"),
    [(5.0, 1.0, 5, 1.0), (0.5, 1.0, 1, 2.0), (50.0, 0.1, 5, 0.1), (500.0, 1.0, 500, 1.0)],
)
def test_a_rate_becomes_a_whole_number_per_window(
    rate: float, window: float, limit: int, span: float
) -> None:
    cap = SlidingWindowLimiter()
    cap.configure_rate(rate, window)
    assert cap.limit == limit
    assert cap.window == pytest.approx(span)


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SlidingWindowLimiter().configure_rate(0.0)


async def test_the_transport_caps_gets_and_lets_posts_through() -> None:
    clock = SteppedClock()
    cap = limiter(2, clock)
    seen: list[tuple[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, clock()))
        return httpx.Response(200)

    transport = LimitedTransport(httpx.MockTransport(answer), cap)
    async with httpx.AsyncClient(transport=transport) as http:
        await asyncio.gather(*(http.get("https://agents.test/v1/x") for _ in range(5)))
        await asyncio.gather(*(http.post("https://agents.test/v1/x") for _ in range(5)))
    gets = [at for method, at in seen if method == "GET"]
    posts = [at for method, at in seen if method == "POST"]
    assert max_in_window(gets, 1.0) == 2
    assert len(posts) == 5 and max_in_window(posts, 1.0) == 5


async def test_the_client_caps_every_get_it_sends_retries_included() -> None:
    clock = SteppedClock()
    sent: list[float] = []
    replies = iter([httpx.Response(503), httpx.Response(503)])

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(clock())
        body = {"id": GID, "created_at": "2026-12-01T00:00:00Z", "model": "uni-1"}
        return next(replies, httpx.Response(200, json={**body, "state": "queued", "type": "image"}))

    async def no_backoff(_: float) -> None:
        return None

    client = AgentsClient(
        "key", "https://agents.test/v1", transport=httpx.MockTransport(answer), sleep=no_backoff
    )
    client.get_limiter.configure_rate(1.0)
    client.get_limiter.clock = clock
    client.get_limiter.sleep = clock.sleep
    async with client:
        await client.get(GID)
    assert len(sent) == 3
    assert max_in_window(sent, 1.0) == 1
    assert clock.slept == [1.0, 1.0]


def test_proxies_from_the_environment_sit_behind_the_limiter_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    cap = SlidingWindowLimiter()
    transport, mounts = limited_transports(None, cap)
    assert isinstance(transport, LimitedTransport)
    assert isinstance(mounts["https://"], LimitedTransport)
    assert mounts["all://localhost"] is None  # no proxy: the limited default transport
    assert all(t is None or cast("LimitedTransport", t).limiter is cap for t in mounts.values())


def test_a_limiter_serves_one_event_loop_after_another() -> None:
    clock = SteppedClock()
    cap = limiter(1, clock)

    async def three() -> None:
        for _ in range(3):
            await cap.acquire()
            cap.stamp()

    asyncio.run(three())
    asyncio.run(three())  # a CLI command may run its client in a second loop
    assert clock.slept == [1.0] * 5


def test_the_wrapper_reports_the_trace_when_its_transport_does() -> None:
    # The client reads httpcore's trace to know a POST never left (api/sending.py): the
    # wrapper passes requests through unchanged, so it reports what its transport reports.
    cap = SlidingWindowLimiter()
    assert LimitedTransport(httpx.AsyncHTTPTransport(), cap).reports_trace
    assert not LimitedTransport(
        httpx.MockTransport(lambda _: httpx.Response(200)), cap
    ).reports_trace
