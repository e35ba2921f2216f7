"""Part 2 of bench/polling.py: both schemes on loopback simulators, in bursts above the cap.

Each scheme's engine talks HTTP to its own `lumatui sim` process (no shared GIL); the
simulators hand out the same ids in the same order, so a job takes as long under both.
GETs are counted by the transport under the client's limiter, as they leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import multiprocessing
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from _timing import max_in_window, quantile

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection

BURSTS = 4
BURST_EVERY_S = 15.0
BURST = [("uni-1", "image")] * 8 + [("uni-1", "image_edit")] * 4 + [("uni-1-max", "image")] * 4
SELECTED_INDEX = 7
"""One job per burst is selected, as if the user watched it."""


@dataclass
class WireResult:
    """The cap as counted on the wire, and the lags of selected and other jobs."""

    speed: float
    jobs: int = 0
    wall_s: float = 0.0
    most_queued: int = 0
    max_per_1s: dict[str, int] = field(default_factory=dict)
    max_per_10s: dict[str, int] = field(default_factory=dict)
    selected_p95: dict[str, float] = field(default_factory=dict)
    others_p95: dict[str, float] = field(default_factory=dict)


class CountingTransport(httpx.AsyncBaseTransport):
    """Loopback HTTP that notes when every GET /generations/{id} leaves."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.get_times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, then send."""
        if request.method == "GET" and "/generations/" in request.url.path:
            self.get_times.append(time.monotonic())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._inner.aclose()


class _DeterministicIds:
    """Stands in for the `uuid` module in lumatui.sim.service: the n-th id of a salt."""

    UUID = uuid.UUID

    def __init__(self, salt: str) -> None:
        self._salt = salt
        self._count = itertools.count()

    def uuid4(self) -> uuid.UUID:
        """The next id of this salt."""
        digest = hashlib.sha256(f"{self._salt}:{next(self._count)}".encode()).digest()
        return uuid.UUID(bytes=digest[:16], version=4)


def _serve_simulator(conn: Connection, state_dir: str, speed: float, seed: int) -> None:
    """Child process: serve a simulator until told to stop, then send its completion times."""
    from lumatui.sim import SimSettings, start_in_background
    from lumatui.sim import service as sim_service

    setattr(sim_service, "uuid", _DeterministicIds(f"wire-{seed}"))  # noqa: B010
    settings = SimSettings(
        Path(state_dir), speed=speed, seed=seed, image_long_side=64, video_long_side=32,
        concurrent_jobs=1000, requests_per_minute=1_000_000, balance_usd=1e9,
    )  # fmt: skip
    running = start_in_background(settings)
    store = running.simulator.store
    rendered: dict[str, float] = {}
    finish_render = store.finish_render

    def noted(generation_id: str, **details: Any) -> None:
        rendered[generation_id] = time.time()
        finish_render(generation_id, **details)

    setattr(store, "finish_render", noted)  # noqa: B010
    conn.send(running.base_url)
    conn.recv()
    rows = {gid: store.get(gid) for gid in list(rendered)}
    done = {gid: max(row.finish_at, rendered[gid]) for gid, row in rows.items() if row}
    running.stop()
    conn.send(done)


@contextlib.contextmanager
def simulator(state_dir: Path, speed: float, seed: int) -> Any:
    """A simulator process: yields its URL and a function stopping it, returning done times."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=_serve_simulator, args=(child, str(state_dir), speed, seed), daemon=True
    )
    process.start()
    done: list[dict[str, float]] = []

    def finish() -> dict[str, float]:
        if not done:
            parent.send("stop")
            done.append(parent.recv())
        return done[0]

    try:
        yield str(parent.recv()), finish
    finally:
        finish()
        process.join(timeout=30)


async def _parents(base_url: str, key: str, speed: float) -> list[str]:
    """Two completed images for the edits (made outside the measured engine)."""
    async with AgentsClient(key, base_url) as client:
        made = [
            await client.create(GenerationRequest.model_validate({"prompt": f"parent {i}"}))
            for i in range(2)
        ]
        for generation in made:
            while (await client.get(generation.id)).state != "completed":
                await asyncio.sleep(1.0 / speed)
    return [g.id for g in made]


def _request(model: str, type_: str, index: int, parents: list[str]) -> GenerationRequest:
    body: dict[str, Any] = {"prompt": f"wire job {index}", "model": model, "type": type_}
    if type_ == "image_edit":
        body["source"] = {"generation_id": parents[index % len(parents)]}
    return GenerationRequest.model_validate(body)


def run_wire(
    seed: int,
    speed: float,
    cap: float,
    build_engine: Callable[[str, JobStore, AgentsClient, EngineOptions], Engine],
    key: str,
) -> WireResult:
    """Both schemes at once, each on its own simulator; the cap counted as GETs leave."""
    result = WireResult(speed)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="lumatui-bench-wire-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        sims = {
            scheme: stack.enter_context(simulator(Path(tmp) / scheme / "sim", speed, seed))
            for scheme in ("adaptive", "luma")
        }
        asyncio.run(_wire(sims, speed, cap, build_engine, key, Path(tmp), result))
    result.wall_s = time.perf_counter() - started
    return result


async def _wire(
    sims: dict[str, tuple[str, Callable[[], dict[str, float]]]],
    speed: float,
    cap: float,
    build_engine: Callable[[str, JobStore, AgentsClient, EngineOptions], Engine],
    key: str,
    folder: Path,
    result: WireResult,
) -> None:
    scale = 1.0 / speed
    options = EngineOptions(rate_limit=cap * speed, rate_window=scale, time_scale=scale)
    setups = []
    for scheme, (url, _) in sims.items():
        parents = await _parents(url, key, speed)
        counting = CountingTransport()
        client = AgentsClient(key, url, transport=counting)
        store = JobStore.open(folder / scheme / "lumatui.db")
        engine = build_engine(scheme, store, client, options)
        await engine.start()
        setups.append((scheme, engine, counting, parents))
    sampler = asyncio.create_task(_most_queued([s[1] for s in setups], result))
    ids: dict[str, list[tuple[str, bool]]] = {scheme: [] for scheme, *_ in setups}
    begin = time.monotonic()
    for burst in range(BURSTS):
        await asyncio.sleep(max(0.0, begin + burst * BURST_EVERY_S * scale - time.monotonic()))
        for scheme, engine, _, parents in setups:
            for index, (model, type_) in enumerate(BURST):
                job = await engine.submit(
                    _request(model, type_, burst * len(BURST) + index, parents)
                )
                ids[scheme].append((job.id, index == SELECTED_INDEX))
                if index == SELECTED_INDEX:
                    engine.select(job.id)
    waits = [
        engine.wait_for([i for i, _ in ids[scheme]], timeout=600 * scale + 120, downloads=False)
        for scheme, engine, *_ in setups
    ]
    finished = dict(zip([s[0] for s in setups], await asyncio.gather(*waits), strict=True))
    sampler.cancel()
    for scheme, engine, counting, _ in setups:
        await engine.stop()
        await engine.client.aclose()
        engine.close()
        done: dict[str, float] = await asyncio.to_thread(sims[scheme][1])
        selected = {i for i, chosen in ids[scheme] if chosen}
        lags: dict[bool, list[float]] = {True: [], False: []}
        for job in finished[scheme]:
            if job.finished_at is None or str(job.generation_id) not in done:
                raise RuntimeError(f"{scheme}: job {job.id} did not complete ({job.state})")
            lag = (job.finished_at - done[str(job.generation_id)]) * speed
            lags[job.id in selected].append(lag)
        result.jobs = len(finished[scheme])
        result.max_per_1s[scheme] = max_in_window(counting.get_times, scale)
        result.max_per_10s[scheme] = max_in_window(counting.get_times, 10 * scale)
        result.selected_p95[scheme] = quantile(lags[True], 0.95)
        result.others_p95[scheme] = quantile(lags[False], 0.95)


async def _most_queued(engines: list[Engine], result: WireResult) -> None:
    """How many GETs at most waited for the cap at once (demand above the cap)."""
    while True:
        for engine in engines:
            result.most_queued = max(result.most_queued, engine.client.get_limiter.waiting)
        await asyncio.sleep(0.01)
