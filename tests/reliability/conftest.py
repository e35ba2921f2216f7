"""Reliability fixtures: sped-up simulators on loopback, engines on them, and the checks they share.

Time is scaled everywhere instead of slept: the simulator runs `speed` times faster, the
engine's waits shrink by the same factor, and the client's retry sleeps are scaled too (its
`sleep` hook). Where a limit is counted in real seconds (the simulator's requests-per-minute
window, its Retry-After values), `ScaledClock` runs the simulator's clock faster and
`RetryAfterScaler` converts its Retry-After back to real seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore
from lumatui.engine.thumbnails import ThumbnailCache
from lumatui.sim import SimSettings, start_in_background

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
    from pathlib import Path

    from lumatui.engine.events import Event
    from lumatui.sim import RunningSimulator

KEY = "luma-api-reliability-test-key"
SPEED = 10_000.0
WAIT_S = 30.0
# ESC, C0/C1 controls, DEL, line separators and bidi overrides: never in text we keep or show.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def request(prompt: str, **body: Any) -> GenerationRequest:
    """A request with this prompt (an image unless `body` says otherwise)."""
    return GenerationRequest.model_validate({"prompt": prompt, **body})


def scaled_sleep(scale: float) -> Callable[[float], Awaitable[None]]:
    """The client's retry sleep, `scale` times as long (the simulator is sped up)."""

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds * scale)

    return sleep


def assert_clean(text: str | None, where: str = "") -> None:
    """No escape or control character survives in text that is stored or shown."""
    if text:
        found = UNSAFE.search(text)
        assert found is None, f"{where}: unsafe character {found.group()!r} in {text!r}"


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""Files SQLite makes and removes beside a database on its own (another test's history
closing late, say): never a file the code under test wrote."""


def tree(root: Path, *, exclude: tuple[Path, ...] = (), companions: bool = True) -> set[str]:
    """Every file and folder under `root` (relative paths), skipping the `exclude` trees
    (and, with `companions` False, SQLite's own -wal, -shm and -journal files).

    An excluded tree is not even walked: the hostile corpus looks at the whole temporary
    folder twice per case, beside an engine home that grows with every case."""
    skipped = {os.path.normpath(ex) for ex in exclude}
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        here = os.path.relpath(folder, root)
        kept = [d for d in dirs if os.path.join(folder, d) not in skipped]
        dirs[:] = kept
        for name in (*kept, *files):
            if not companions and name.endswith(SQLITE_COMPANIONS):
                continue
            found.add(name if here == "." else os.path.join(here, name))
    return found


def sim_prompts(state_dir: Path) -> Counter[str]:
    """How many generations the simulator created for each prompt (read from its database)."""
    db = sqlite3.connect(f"file:{state_dir / 'simulator.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT plan FROM generations").fetchall()
    finally:
        db.close()
    return Counter(json.loads(plan)["prompt"] for (plan,) in rows)


class ScaledClock:
    """A wall clock that runs `factor` times faster from now on (for the simulator)."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self._start = time.time()

    def __call__(self) -> float:
        return self._start + (time.time() - self._start) * self.factor


class RetryAfterScaler(httpx.AsyncBaseTransport):
    """Forwards to real HTTP; a Retry-After in simulator seconds becomes real seconds."""

    def __init__(self, factor: float) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.factor = factor
        self.statuses: Counter[int] = Counter()
        self.refusals: Counter[str] = Counter()
        """The first words of each 429's detail: which limit refused it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.statuses[response.status_code] += 1
        value = response.headers.get("retry-after")
        if value is None:
            return response
        content = await response.aread()
        if response.status_code == 429:
            detail = str(json.loads(content).get("detail", ""))
            self.refusals[" ".join(detail.split()[:2])] += 1
        headers = [(k, v) for k, v in response.headers.multi_items() if k != "retry-after"]
        headers.append(("retry-after", f"{float(value) / self.factor:.6f}"))
        return httpx.Response(response.status_code, headers=headers, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()


class EventLog:
    """Every engine event, and a way to wait until a condition holds (checked on each event)."""

    def __init__(self, engine: Engine) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        engine.subscribe(self._record)

    def _record(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[Any]) -> list[Any]:
        """The events of one class, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
        """Return once `condition()` is true; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not reached in time")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))


def build_engine(
    base_url: str,
    root: Path,
    *,
    time_scale: float = 1 / SPEED,
    rate_limit: float = 500.0,
    max_download_bytes: int = 2 * 1024**3,
    key: str = KEY,
    **client_options: Any,
) -> Engine:
    """An engine (not started) with its store under root/data and thumbnails under root/cache."""
    client_options.setdefault("sleep", scaled_sleep(time_scale))
    client = AgentsClient(key, base_url, **client_options)
    store = JobStore.open(root / "data" / "lumatui.db")
    return Engine(
        store,
        client,
        root / "data" / "outputs",
        thumbnails=ThumbnailCache(root / "cache" / "thumbnails"),
        options=EngineOptions(
            rate_limit=rate_limit, time_scale=time_scale, max_download_bytes=max_download_bytes
        ),
    )


async def close_engine(engine: Engine) -> None:
    """Stop an engine, close its client and its store."""
    await engine.stop()
    await engine.client.aclose()
    with contextlib.suppress(Exception):
        engine.close()


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[Callable[..., RunningSimulator]]:
    """Start simulators (speed 10000, tiny media, state under tmp_path) with any changes."""
    started: list[RunningSimulator] = []

    def start(*, port: int = 0, clock: Any = None, **changes: Any) -> RunningSimulator:
        settings = SimSettings.for_tests(tmp_path / "simulator", **{"speed": SPEED, **changes})
        running = start_in_background(settings, port=port, clock=clock)
        started.append(running)
        return running

    yield start
    for running in started:
        with contextlib.suppress(Exception):
            running.stop()


@pytest.fixture
async def engines() -> AsyncIterator[list[Engine]]:
    """Engines a test builds; all are stopped and closed afterwards."""
    built: list[Engine] = []
    yield built
    for engine in built:
        await close_engine(engine)
