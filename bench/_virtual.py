"""A virtual clock for bench/polling.py: the real engine, poller and limiter, minus the waiting.

`VirtualClockLoop` is an asyncio event loop whose clock jumps to the next timer whenever
nothing is ready, so hours of polling run in seconds, and a busy machine cannot turn into
lag: a task that is late in wall time is not late in virtual time. Work handed to threads
(`run_in_executor`, `asyncio.to_thread`) is waited for in real time before the clock moves.
`time.time()` follows the virtual clock while `run_virtual` runs (the store stamps jobs with
it). `VirtualApi` answers the Agents API's POST and GET from the simulator's own timing code.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import selectors
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple

import httpx

from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution
from lumatui.sim import timing

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping
    from concurrent.futures import Executor

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
EPOCH = 1_800_000_000.0
"""What `time.time()` reads at virtual time zero."""


class _VirtualSelector(selectors.BaseSelector):
    """A real selector that, when nothing is ready and no thread is busy, moves the clock."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()
        self.loop: VirtualClockLoop | None = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """As the real selector."""
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        """As the real selector."""
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """As the real selector."""
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        """As the real selector."""
        return self._real.get_map()

    def close(self) -> None:
        """Close the real selector."""
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """What is ready now; when nothing is and no thread is busy, move the clock on."""
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        assert self.loop is not None
        if self.loop.threads_busy or timeout is None:
            # A thread's result (or a signal) is what comes next: wait for it for real.
            return self._real.select(None if timeout is None else min(timeout, 0.05))
        self.loop.advance(timeout)
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time (seconds from 0)."""

    def __init__(self) -> None:
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._now = 0.0
        self.threads_busy = 0

    def time(self) -> float:
        """The virtual clock."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass at once (the selector does this when the loop is idle)."""
        self._now += max(seconds, 0.0)

    def _run_once(self) -> None:
        # A timer less than the clock's resolution ahead runs at once; move the clock to it,
        # or code that checks "is it time yet?" would wait for it again and again.
        ready, scheduled = getattr(self, "_ready"), getattr(self, "_scheduled")  # noqa: B009
        if not ready and scheduled:
            when = scheduled[0].when()
            if self._now < when <= self._now + getattr(self, "_clock_resolution"):  # noqa: B009
                self._now = when
        getattr(super(), "_run_once")()  # noqa: B009

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        """As usual, counted: the clock waits while any runs."""
        future = super().run_in_executor(executor, func, *args)
        self.threads_busy += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: Any) -> None:
        self.threads_busy -= 1


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on a fresh virtual loop, with `time.time()` on the virtual clock."""
    loop = VirtualClockLoop()
    real_time = time.time
    time.time = lambda: EPOCH + loop.time()
    try:
        return loop.run_until_complete(main)
    finally:
        time.time = real_time
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


class VirtualApi(httpx.AsyncBaseTransport):
    """POST and GET /generations as the simulator plays them, on the running loop's clock.

    Every job's times come from `lumatui.sim.timing.schedule` (what `lumatui sim` uses) at
    speed 1; `rtt` seconds pass per request, half on the way out (the state is the one at
    the server's moment), half on the way back.
    """

    def __init__(self, *, seed: int, rtt: Callable[[], float]) -> None:
        self._seed = seed
        self._rtt = rtt
        self._ids = itertools.count()
        self.finish: dict[str, float] = {}
        self._started: dict[str, float] = {}
        self._kinds: dict[str, tuple[str, str]] = {}
        self.gets: Counter[str] = Counter()
        self.get_times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer as of half the round trip; deliver after all of it."""
        loop = asyncio.get_running_loop()
        rtt = self._rtt()
        at_server = loop.time() + rtt / 2
        if request.method == "POST":
            await request.aread()
            response = self._create(json.loads(request.content), at_server)
        else:
            self.get_times.append(loop.time())
            generation_id = request.url.path.rsplit("/", 1)[-1]
            self.gets[generation_id] += 1
            response = httpx.Response(200, json=self._generation(generation_id, at_server))
        await asyncio.sleep(rtt)
        return response

    def _create(self, body: dict[str, Any], now: float) -> httpx.Response:
        digest = hashlib.sha256(f"{self._seed}:{next(self._ids)}".encode()).digest()
        generation_id = str(uuid.UUID(bytes=digest[:16], version=4))
        kind = GenerationType(body.get("type", "image"))
        video = body.get("video") or {}
        times = timing.schedule(
            Model(body.get("model", kind.natural_model)),
            kind,
            seed=self._seed,
            generation_id=generation_id,
            speed=1.0,
            resolution=VideoResolution(video["resolution"]) if "resolution" in video else None,
            duration=VideoDuration(video["duration"]) if "duration" in video else None,
            hdr=bool(video.get("hdr")),
        )
        self._started[generation_id] = now + times.queued_s
        self.finish[generation_id] = now + times.total_s
        self._kinds[generation_id] = (str(body.get("model")), kind.value)
        return httpx.Response(201, json=self._generation(generation_id, now))

    def _generation(self, generation_id: str, now: float) -> dict[str, Any]:
        model, kind = self._kinds[generation_id]
        state = "queued"
        if now >= self.finish[generation_id]:
            state = "completed"
        elif now >= self._started[generation_id]:
            state = "processing"
        body: dict[str, Any] = {
            "id": generation_id,
            "created_at": datetime.fromtimestamp(EPOCH, UTC).isoformat(),
            "model": model,
            "state": state,
            "type": kind,
        }
        if state == "completed":
            media = "video" if kind.startswith("video") else "image"
            body["output"] = [{"type": media, "url": f"https://files.test/{generation_id}/0"}]
        return body
