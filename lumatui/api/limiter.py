"""A sliding-window cap on the API's GETs, held where requests leave: in the client's transport.

Spacing the *start* of poll tasks does not cap the wire: a loaded event loop can resume
several late tasks in the same instant, and retries or download refreshes bypass the poller.
Here every GET passes one `SlidingWindowLimiter` inside the transport.

When exactly a request leaves cannot be read from outside the network stack, but it is
certainly after its slot was granted and before its reply (or its failure) comes back.
So a granted request holds its slot as a reservation until the inner transport returns,
and only then is it stamped, at that later moment: at any grant, the stamps still in the
window plus the reservations stay under the limit, hence no window of the wire ever holds
more, however late a task resumes or a thread is scheduled. The price: a slot is busy for
one window plus one round trip, so the rate falls a little short of the cap.

Waiting requests are granted highest priority first (`priority()`, a context variable, so
no signature changes from the poller down to the transport): the job the user is looking at,
then jobs past their expected finish, then the rest, first come first served within a level.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
from collections import deque
from contextvars import ContextVar
from enum import IntEnum
from typing import TYPE_CHECKING

import httpx
from httpx._utils import get_environment_proxies  # the proxies httpx itself would mount

from lumatui.api.sending import reports_trace

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator


class Priority(IntEnum):
    """Who goes first when GETs queue for the cap."""

    ROUTINE = 0
    OVERDUE = 1
    """A job running past its kind's typical duration: likely done, likely watched."""
    SELECTED = 2
    """The job selected in the workstation."""


_PRIORITY: ContextVar[int] = ContextVar("lumatui_request_priority", default=Priority.ROUTINE)


@contextlib.contextmanager
def priority(level: int) -> Iterator[None]:
    """Requests sent inside this block (by this task) queue for the cap at `level`."""
    token = _PRIORITY.set(level)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


def current_priority() -> int:
    """The priority requests of the current task queue at."""
    return _PRIORITY.get()


class SlidingWindowLimiter:
    """At most `limit` stamped requests in any `window` seconds; `limit=None` lets all through.

    `clock` and `sleep` default to the running event loop's clock and `asyncio.sleep`; tests
    inject (or assign) a clock that their `sleep` advances, so no test waits for real time.
    """

    def __init__(
        self,
        limit: int | None = None,
        window: float = 1.0,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._stamps: deque[float] = deque()
        self._reserved = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    def configure_rate(self, per_second: float | None, window: float = 1.0) -> None:
        """Allow `per_second` requests per second, counted over windows of `window` seconds.

        A rate below one per window becomes one per longer window (0.5/s: 1 per 2 s).
        """
        if per_second is None:
            self.limit = None
            return
        if per_second <= 0 or window <= 0:
            raise ValueError("a rate cap needs a positive rate and window")
        self.limit = max(1, math.floor(per_second * window + 1e-9))
        self.window = self.limit / per_second

    @property
    def waiting(self) -> int:
        """How many requests are queued for a slot."""
        return sum(1 for _, _, future in self._waiters if not future.done())

    def now(self) -> float:
        """The limiter's clock."""
        return self.clock() if self.clock is not None else asyncio.get_running_loop().time()

    async def acquire(self, level: int | None = None) -> None:
        """Wait for a slot (a reservation until `stamp` or `release`); highest `level` first."""
        if not self._waiters and self._has_room(self.now()):
            self._reserved += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        rank = -(current_priority() if level is None else level)
        heapq.heappush(self._waiters, (rank, next(self._order), future))
        self._start_pump()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # granted, then cancelled
                self.release()
            raise

    def stamp(self) -> None:
        """The reserved request has left (its reply is back): it counts from this instant."""
        self._reserved = max(0, self._reserved - 1)
        self._stamps.append(self.now())
        self._changed.set()

    def release(self) -> None:
        """Give back a reservation that was never sent."""
        self._reserved = max(0, self._reserved - 1)
        self._changed.set()

    async def aclose(self) -> None:
        """Stop granting; waiting requests are cancelled."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        for _, _, future in self._waiters:
            future.cancel()
        self._waiters.clear()

    def _has_room(self, now: float) -> bool:
        while self._stamps and self._stamps[0] + self.window <= now:  # the same sum as the wait
            self._stamps.popleft()
        return self.limit is None or len(self._stamps) + self._reserved < self.limit

    def _start_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._changed = asyncio.Event()  # bound to this loop (a client may outlive one)
            self._pump = asyncio.get_running_loop().create_task(self._grant_in_order())

    async def _grant_in_order(self) -> None:
        """Grant waiters while there is room; sleep until the oldest stamp leaves the window."""
        while self._waiters:
            if self._waiters[0][2].done():  # cancelled while waiting
                heapq.heappop(self._waiters)
                continue
            now = self.now()
            if self._has_room(now):
                _, _, future = heapq.heappop(self._waiters)
                self._reserved += 1
                future.set_result(None)
                continue
            self._changed.clear()
            if self._stamps:
                await self.sleep(self._stamps[0] + self.window - now)
            else:  # every slot is reserved by a granted request that has not left yet
                await self._changed.wait()


class LimitedTransport(httpx.AsyncBaseTransport):
    """Sends GETs through a `SlidingWindowLimiter`; other methods pass straight through."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiter: SlidingWindowLimiter) -> None:
        self._inner = inner
        self.limiter = limiter

    @property
    def reports_trace(self) -> bool:
        """Requests pass through unchanged, trace extension included (`api/sending.py`)."""
        return reports_trace(self._inner)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for a slot, send, and count the request once its reply (or failure) is back."""
        if request.method != "GET" or self.limiter.limit is None:
            return await self._inner.handle_async_request(request)
        await self.limiter.acquire()
        try:
            return await self._inner.handle_async_request(request)
        finally:
            self.limiter.stamp()

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()


def limited_transports(
    given: httpx.AsyncBaseTransport | None, limiter: SlidingWindowLimiter
) -> tuple[httpx.AsyncBaseTransport, dict[str, httpx.AsyncBaseTransport | None]]:
    """A client's transport and mounts, each behind `limiter`.

    Without a given transport this is what httpx would build: the default transport and
    one per proxy in the environment (an explicit transport makes httpx ignore them).
    """
    if given is not None:
        return LimitedTransport(given, limiter), {}
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None
        if proxy is None
        else LimitedTransport(httpx.AsyncHTTPTransport(proxy=proxy), limiter)
        for pattern, proxy in get_environment_proxies().items()
    }
    return LimitedTransport(httpx.AsyncHTTPTransport(), limiter), mounts
