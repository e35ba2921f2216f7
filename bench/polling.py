"""Polling: the adaptive schedule against Luma's advice and fixed 3 s polling, 300 jobs each.

The three schemes run the same engine code (Engine, Poller, client, store); only the
poller's `_delay_for` differs. adaptive: lumatui.engine.schedule as shipped (priors, then
the engine's own history). luma: Luma's advice for uni-1, applied to every job: first poll
20 s after submitting, then every 2 s. fixed3s: a poll every 3 s from submission.

Each round runs the three schemes at the same time, each with a fresh engine store on its
own simulator process (loopback HTTP, no shared GIL), fed the same 100 jobs at the same
moments: a seeded Poisson stream of uni-1 image and image_edit, uni-1-max image and
image_edit, ray-3.2 video, video_edit and video_reframe (the chained ones on completed
parents made first, outside the engine). The simulator's generation ids are deterministic
per round (its `uuid` module is swapped in its process), so a job takes exactly as long
under each scheme. Three rounds with new seeds, the start order rotating: 300 jobs each.

Every figure is in simulated seconds (the real API's). The simulator runs SPEED times
faster; the engine is told so (`time_scale = 1 / SPEED`) and its rate cap of 5 GET/s is
given as 5 * SPEED GET/s of wall time, i.e. still 5 GETs per simulated second. The cap
check counts GETs to /generations/{id} at each engine's transport, in sliding windows of
1 and 10 simulated seconds. Arrivals keep about 6 jobs in flight, so Luma's scheme asks
for about 60% of the cap. The simulator's request limits are lifted (they count
wall-clock minutes). Wall-clock overheads (HTTP round trips, a busy machine) are
multiplied by SPEED too, and add to every scheme's lag alike.

Detection lag = when the engine stored `completed` - when the simulator completed the job
(its finish time, or the end of rendering the output if later), times SPEED.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine, max_in_window, median, orders, quantile, ratio_line

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine import service as engine_service
from lumatui.engine.poller import Poller
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from lumatui.engine.jobs import Job

KEY = "luma-bench-polling-key"
RATE_CAP = 5.0
SPEED = 40.0
MEAN_IN_FLIGHT = 6.0
MEAN_DURATION_S = 149.0  # of the mix below, from lumatui/sim/timing.py
MIX = {  # jobs per 100, by (model, type)
    ("uni-1", "image"): 35, ("uni-1", "image_edit"): 15, ("uni-1-max", "image"): 10,
    ("uni-1-max", "image_edit"): 5, ("ray-3.2", "video"): 20, ("ray-3.2", "video_edit"): 8,
    ("ray-3.2", "video_reframe"): 7,
}  # fmt: skip
SCHEMES = ("adaptive", "luma", "fixed3s")


class LumaPoller(Poller):
    """Luma's advice: the first poll 20 s after submitting, then one every 2 s."""

    def _delay_for(self, job: Job) -> float:
        scale = self.plan.time_scale
        elapsed = time.time() - (job.submitted_at or job.created_at)
        return max(20.0 * scale - elapsed, 2.0 * scale)


class FixedPoller(Poller):
    """A poll every 3 s from submission."""

    def _delay_for(self, job: Job) -> float:
        return 3.0 * self.plan.time_scale


POLLERS: dict[str, type[Poller]] = {"adaptive": Poller, "luma": LumaPoller, "fixed3s": FixedPoller}


class CountingTransport(httpx.AsyncBaseTransport):
    """Loopback HTTP that notes the time of every GET /generations/{id}."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.get_times: list[float] = []
        self.per_id: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, then send."""
        if request.method == "GET" and "/generations/" in request.url.path:
            self.get_times.append(time.time())
            self.per_id[request.url.path.rsplit("/", 1)[-1]] += 1
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

    setattr(sim_service, "uuid", _DeterministicIds(f"round-{seed}"))  # noqa: B010
    settings = SimSettings(
        Path(state_dir), speed=speed, seed=seed, image_long_side=64, video_long_side=32,
        concurrent_jobs=1000, requests_per_minute=1_000_000, balance_usd=1e9,
    )  # fmt: skip
    running = start_in_background(settings)
    store = running.simulator.store
    rendered: dict[str, float] = {}
    finish_render = store.finish_render

    def noted(generation_id: str, *, error: str | None, duration_s: float | None = None) -> None:
        rendered[generation_id] = time.time()
        finish_render(generation_id, error=error, duration_s=duration_s)

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
    args = (child, str(state_dir), speed, seed)
    process = context.Process(target=_serve_simulator, args=args, daemon=True)
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


@dataclass
class RunResult:
    """What one scheme did with one round's jobs."""

    scheme: str
    jobs: int
    gets: int
    lags: list[float] = field(default_factory=list)
    max_per_1s: int = 0
    max_per_10s: int = 0
    wall_s: float = 0.0
    kinds: list[tuple[str, int]] = field(default_factory=list)  # per job: kind, GETs


def job_plan(seed: int, count: int) -> list[tuple[float, dict[str, Any]]]:
    """The round's jobs: (arrival in simulated seconds, request body without sources)."""
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX.items() for _ in range(weight)]
    chosen = [kinds[i * len(kinds) // count] for i in range(count)]
    rng.shuffle(chosen)
    rate = MEAN_IN_FLIGHT / MEAN_DURATION_S
    arrival, plan = 0.0, []
    for index, (model, type_) in enumerate(chosen):
        plan.append((arrival, {"prompt": f"bench job {index}", "model": model, "type": type_}))
        arrival += rng.expovariate(rate)
    return plan


async def make_parents(base_url: str, speed: float) -> tuple[list[str], list[str]]:
    """Two completed images and two completed 360p videos to chain the edits from."""
    video = {"type": "video", "video": {"resolution": "360p"}}
    bodies = [{"prompt": f"parent {i}", **extra} for extra in ({}, video) for i in range(2)]
    async with AgentsClient(KEY, base_url) as client:
        made = [await client.create(GenerationRequest.model_validate(b)) for b in bodies]
        for generation in made:
            while (await client.get(generation.id)).state != "completed":
                await asyncio.sleep(1.0 / speed)
    return [g.id for g in made[:2]], [g.id for g in made[2:]]


def with_source(body: dict[str, Any], index: int, images: list[str], videos: list[str]) -> Any:
    """The request, with a parent as its source when its type needs one."""
    type_ = body["type"]
    if type_ == "image_edit":
        body = {**body, "source": {"generation_id": images[index % len(images)]}}
    elif type_ in ("video_edit", "video_reframe"):
        body = {**body, "source": {"generation_id": videos[index % len(videos)]}}
    return GenerationRequest.model_validate(body)


@dataclass
class Setup:
    """One scheme's engine on its own simulator, ready for the round's jobs."""

    scheme: str
    engine: Engine
    transport: CountingTransport
    images: list[str]
    videos: list[str]
    sim_done: Any


async def set_up(scheme: str, base_url: str, sim_done: Any, speed: float, folder: Path) -> Setup:
    """Parents first (not through the engine), then an engine polling with `scheme`."""
    images, videos = await make_parents(base_url, speed)
    transport = CountingTransport()
    client = AgentsClient(KEY, base_url, transport=transport)
    store = JobStore.open(folder / "lumatui.db")
    setattr(engine_service, "Poller", POLLERS[scheme])  # noqa: B010
    try:
        engine = Engine(
            store,
            client,
            folder / "outputs",
            options=EngineOptions(rate_limit=RATE_CAP * speed, time_scale=1.0 / speed),
        )
    finally:
        setattr(engine_service, "Poller", Poller)  # noqa: B010
    await engine.start()
    return Setup(scheme, engine, transport, images, videos, sim_done)


async def run_jobs(
    setup: Setup, plan: list[tuple[float, Any]], started: float, speed: float
) -> RunResult:
    """Submit the round's jobs at their arrival times, wait for all; GETs, lags, cap check."""
    scale = 1.0 / speed
    engine = setup.engine
    ids = []
    for index, (arrival, body) in enumerate(plan):
        await asyncio.sleep(max(0.0, started + arrival * scale - time.time()))
        ids.append((await engine.submit(with_source(body, index, setup.images, setup.videos))).id)
    jobs = await engine.wait_for(ids, timeout=3600 * scale + 120, downloads=False)
    wall = time.time() - started
    await engine.stop()
    await engine.client.aclose()
    engine.close()
    done: dict[str, float] = await asyncio.to_thread(setup.sim_done)
    lags = [
        (job.finished_at - done[job.generation_id]) * speed
        for job in jobs
        if job.finished_at is not None and job.generation_id in done
    ]
    if len(lags) != len(plan):
        raise RuntimeError(f"{setup.scheme}: {len(lags)} of {len(plan)} jobs completed")
    times = setup.transport.get_times
    kinds = [(f"{j.model}/{j.type}", setup.transport.per_id[str(j.generation_id)]) for j in jobs]
    per_1s, per_10s = max_in_window(times, scale), max_in_window(times, 10 * scale)
    return RunResult(setup.scheme, len(plan), len(times), lags, per_1s, per_10s, wall, kinds)


async def run_round(
    sims: dict[str, tuple[str, Any]], seed: int, count: int, speed: float, work: Path
) -> list[RunResult]:
    """Every scheme at once, each on its own simulator, with the same jobs at the same times."""
    setups = await asyncio.gather(
        *(
            set_up(scheme, url, done, speed, work / f"{scheme}-{seed}")
            for scheme, (url, done) in sims.items()
        )
    )
    plan = job_plan(seed, count)
    started = time.time() + 0.05
    return list(await asyncio.gather(*(run_jobs(s, plan, started, speed) for s in setups)))


def per_kind(results: dict[str, list[RunResult]]) -> list[str]:
    """One line per kind of job: GETs per job and p95 lag under each scheme."""
    table: defaultdict[str, dict[str, list[tuple[int, float]]]] = defaultdict(dict)
    for scheme, runs in results.items():
        for run in runs:
            for (kind, gets), lag in zip(run.kinds, run.lags, strict=True):
                table[kind].setdefault(scheme, []).append((gets, lag))
    lines = []
    for kind, by_scheme in sorted(table.items()):
        cells = []
        for scheme in SCHEMES:
            rows = by_scheme.get(scheme, [])
            mean_gets = sum(g for g, _ in rows) / max(len(rows), 1)
            cells.append(
                f"{scheme} {mean_gets:6.1f} {quantile([lag for _, lag in rows], 0.95):5.2f}"
            )
        lines.append(f"  {kind:24} {len(by_scheme.get('luma', [])):3d}  " + "  |  ".join(cells))
    return lines


def main() -> int:
    """Run the rounds, print each run, the summaries and the ratio lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=SPEED, help="simulator speed-up")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=100, help="jobs per round and scheme")
    args = parser.parse_args()
    print(machine())
    print(
        f"polling: {args.rounds} rounds x {args.jobs} jobs per scheme, speed {args.speed:g}, "
        f"rate cap {RATE_CAP:g} GET/s (simulated), ~{MEAN_IN_FLIGHT:g} jobs in flight"
    )
    results: dict[str, list[RunResult]] = {name: [] for name in SCHEMES}
    with tempfile.TemporaryDirectory(prefix="lumatui-bench-polling-") as tmp:
        work = Path(tmp)
        for round_index, order in enumerate(orders(SCHEMES, args.rounds)):
            seed = round_index + 1
            with contextlib.ExitStack() as stack:
                sims = {
                    scheme: stack.enter_context(
                        simulator(work / f"{scheme}-{seed}" / "sim", args.speed, seed)
                    )
                    for scheme in order
                }
                round_results = asyncio.run(run_round(sims, seed, args.jobs, args.speed, work))
            for result in round_results:
                results[result.scheme].append(result)
                print(
                    f"  round {seed} {result.scheme:8} gets/job {result.gets / result.jobs:5.1f}"
                    f"  lag p50 {quantile(result.lags, 0.5):5.2f} s  p95 "
                    f"{quantile(result.lags, 0.95):5.2f} s  max GETs/1s {result.max_per_1s}"
                    f"  ({result.wall_s:.0f} s wall)",
                    flush=True,
                )
    report(results)
    return 0


def report(results: dict[str, list[RunResult]]) -> None:
    """All rounds pooled per scheme, per kind, the cap check and the ratio lines."""
    print("per scheme, all rounds (lags in simulated seconds):")
    gets, p95, windows = {}, {}, []
    for name, runs in results.items():
        lags = [lag for r in runs for lag in r.lags]
        gets[name] = sum(r.gets for r in runs) / sum(r.jobs for r in runs)
        p95[name] = quantile(lags, 0.95)
        per_1s, per_10s = max(r.max_per_1s for r in runs), max(r.max_per_10s for r in runs)
        windows.append((per_1s, per_10s))
        print(
            f"  {name:8} {sum(r.jobs for r in runs)} jobs  GETs/job {gets[name]:5.1f} (median of"
            f" rounds {median([r.gets / r.jobs for r in runs]):.1f})  lag p50 "
            f"{quantile(lags, 0.5):.2f} s  p95 {p95[name]:.2f} s (median of rounds "
            f"{median([quantile(r.lags, 0.95) for r in runs]):.2f})  max {max(lags):.1f} s  "
            f"max GETs in 1 s {per_1s}, in 10 s {per_10s}"
        )
    print("per kind, all rounds: jobs, then GETs/job and lag p95 (s) under each scheme:")
    for line in per_kind(results):
        print(line)
    top_1s, top_10s = max(w[0] for w in windows), max(w[1] for w in windows)
    exceeded = top_1s > RATE_CAP or top_10s > RATE_CAP * 10
    print(
        f"rate cap {RATE_CAP:g} GET/s {'EXCEEDED' if exceeded else 'never exceeded'}: max GETs"
        f" in any 1 s window {top_1s} (cap 5), in any 10 s window {top_10s} (cap 50)"
    )
    print(ratio_line("polling_gets_vs_luma", gets["adaptive"] / gets["luma"], 0.6))
    print(ratio_line("polling_p95_lag_vs_luma", p95["adaptive"] / p95["luma"], 1.0))
    print(ratio_line("polling_gets_vs_fixed3s", gets["adaptive"] / gets["fixed3s"], 1.0))


if __name__ == "__main__":
    raise SystemExit(main())
