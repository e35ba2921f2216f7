"""Polling: lumatui's schedule against Luma's advice, kind by kind, and the GET cap on the wire.

Luma's scheme (its quickstart's advice, applied to every job): the first GET 20 s after
submitting, then a GET 2 s after each answer. Both schemes run the same engine code
(Engine, Poller, AgentsClient with its GET limiter, JobStore); only the poller's
`_delay_for` differs. Downloads are left out: this measures polling.

Part 1, the schedule, on a virtual clock (`_virtual.py`): for each scheme, in its own
process, the real engine polls a stand-in API that times every job with the simulator's
own code (`lumatui.sim.timing`), so a job takes exactly as long under both schemes. At
least 150 jobs of every model and type (videos at resolutions, lengths and HDR in fixed
shares, so every run has the same mix), arriving as a seeded Poisson stream that keeps
about 6 jobs running; every request takes a round trip of about 0.1 s (log-normal). The
cap is 5 GETs in any 1 s. Detection lag = when the engine stored `completed` - when the
stand-in says the job finished. The clock jumps when the loop is idle, so a loaded
machine cannot show up as lag.

Part 2, the cap on the wire: both schemes at once, each on its own simulator process
(`lumatui sim`, loopback HTTP) at speed 10, fed bursts of image jobs that ask for more
than the cap; one job per burst is selected (its GETs go first). GETs are counted at the
transport under the limiter, in every sliding window of 1 simulated second (0.1 s).

`--stress` runs everything with two busy loops loading the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _polling_wire import WireResult, run_wire
from _timing import machine, max_in_window, quantile, ratio_line
from _virtual import EPOCH, VirtualApi, run_virtual

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest
from lumatui.engine import service as engine_service
from lumatui.engine.durations import Kind, prior
from lumatui.engine.events import JobChanged
from lumatui.engine.poller import Poller
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job

KEY = "luma-bench-polling-key"
RATE_CAP = 5.0
MEAN_IN_FLIGHT = 6.0
RTT_MEDIAN_S = 0.1
FAMILIES = [
    ("uni-1", "image"), ("uni-1", "image_edit"), ("uni-1", "layering"), ("uni-1-max", "image"),
    ("uni-1-max", "image_edit"), ("ray-3.2", "video"), ("ray-3.2", "video_edit"),
    ("ray-3.2", "video_reframe"),
]  # fmt: skip
RESOLUTIONS = {"360p": 0.15, "540p": 0.2, "720p": 0.4, "1080p": 0.25}
EDIT_RESOLUTIONS = {"540p": 0.3, "720p": 0.5, "1080p": 0.2}
VIDEO_SETTINGS = {  # resolution x length (30% are 10 s) x HDR (10% of 720p and 1080p)
    json.dumps({"resolution": r, "duration": d} | ({"hdr": True} if hdr else {})): (
        share
        * (0.3 if d == "10s" else 0.7)
        * ((0.1 if hdr else 0.9) if r in ("720p", "1080p") else float(not hdr))
    )
    for r, share in RESOLUTIONS.items()
    for d in ("5s", "10s")
    for hdr in (False, True)
}
SOURCE = "00000000-0000-4000-8000-000000000001"  # the stand-in API does not check sources
SCHEMES = ("adaptive", "luma")


def _ignore(_: Job) -> None:
    """Completed jobs are not downloaded here."""


class QuietPoller(Poller):
    """The shipped poller, without downloads."""

    def __init__(self, *args: Any, on_completed: Any, **kwargs: Any) -> None:
        super().__init__(*args, on_completed=_ignore, **kwargs)


class LumaPoller(QuietPoller):
    """Luma's advice: the first GET 20 s after submitting, then one 2 s after each answer."""

    def _delay_for(self, job: Job) -> float:
        scale = self.plan.time_scale
        elapsed = time.time() - (job.submitted_at or job.created_at)
        return max(20.0 * scale - elapsed, 2.0 * scale)


POLLERS: dict[str, type[Poller]] = {"adaptive": QuietPoller, "luma": LumaPoller}


def build_engine(
    scheme: str, store: JobStore, client: AgentsClient, options: EngineOptions
) -> Engine:
    """An engine whose poller follows `scheme`."""
    setattr(engine_service, "Poller", POLLERS[scheme])  # noqa: B010
    try:
        return Engine(store, client, Path(store.path).parent / "outputs", options=options)
    finally:
        setattr(engine_service, "Poller", Poller)  # noqa: B010


def label(model: str, type_: str) -> str:
    """A kind as a ratio name: letters, digits and underscores (`ray_3_2_video_edit`)."""
    return "".join(c if c.isalnum() else "_" for c in f"{model}_{type_}")


def job_plan(seed: int, per_family: int) -> list[tuple[float, dict[str, Any]]]:
    """Arrival (seconds) and request body of every job: `per_family` of each, shuffled.

    Video settings come in fixed proportions (every run has the same mix), so runs differ
    only in how long each job takes and when it arrives.
    """
    rng = random.Random(seed)
    bodies: list[dict[str, Any]] = []
    for model, type_ in FAMILIES:
        settings: list[dict[str, Any]] = [{} for _ in range(per_family)]
        if type_ == "video":
            settings = [json.loads(key) for key in _spread(rng, VIDEO_SETTINGS, per_family)]
        elif type_ in ("video_edit", "video_reframe"):
            settings = [{"resolution": r} for r in _spread(rng, EDIT_RESOLUTIONS, per_family)]
        for video in settings:
            body: dict[str, Any] = {"prompt": "bench", "model": model, "type": type_}
            if type_ in ("image_edit", "layering", "video_edit", "video_reframe"):
                body["source"] = {"generation_id": SOURCE}
            if video:
                body["video"] = video
            bodies.append(body)
    rng.shuffle(bodies)
    mean_duration = sum(_mean_duration(b) for b in bodies) / len(bodies)
    rate = MEAN_IN_FLIGHT / mean_duration
    arrival, plan = 0.0, []
    for body in bodies:
        plan.append((arrival, body))
        arrival += rng.expovariate(rate)
    return plan


def _spread(rng: random.Random, shares: dict[str, float], count: int) -> list[str]:
    """`count` values in the given shares (largest remainders), in a random order."""
    exact = {value: share * count for value, share in shares.items()}
    counts = {value: int(amount) for value, amount in exact.items()}
    behind = sorted(exact, key=lambda value: exact[value] - counts[value], reverse=True)
    for value in behind[: count - sum(counts.values())]:
        counts[value] += 1
    values = [value for value, times in counts.items() for _ in range(times)]
    rng.shuffle(values)
    return values


def _mean_duration(body: dict[str, Any]) -> float:
    samples = prior(Kind.of(body["model"], body["type"], json.dumps(body))).samples
    return sum(samples) / len(samples)


@dataclass
class SchemeResult:
    """One scheme's virtual run: per job its family, GETs and lag; the cap check."""

    scheme: str
    rows: list[tuple[str, int, float]] = field(default_factory=list)
    max_per_1s: int = 0
    wall_s: float = 0.0


def virtual_scheme(scheme: str, seed: int, per_family: int) -> SchemeResult:
    """Child process: run one scheme over the whole plan on the virtual clock."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lumatui-bench-polling-") as tmp:
        result = run_virtual(_virtual_run(scheme, seed, per_family, Path(tmp)))
    result.wall_s = time.perf_counter() - started
    return result


async def _virtual_run(scheme: str, seed: int, per_family: int, folder: Path) -> SchemeResult:
    loop = asyncio.get_running_loop()
    plan = job_plan(seed, per_family)
    rtt_rng = random.Random(seed + 1)

    def rtt() -> float:
        return min(rtt_rng.lognormvariate(math.log(RTT_MEDIAN_S), 0.5), 2.0)

    api = VirtualApi(seed=seed, rtt=rtt)
    client = AgentsClient(KEY, "https://agents.test/v1", transport=api)
    store = JobStore.open(folder / "lumatui.db")
    engine = build_engine(scheme, store, client, EngineOptions(rate_limit=RATE_CAP))
    finished: dict[str, Job] = {}
    all_done = asyncio.Event()

    def note(event: object) -> None:
        if isinstance(event, JobChanged) and event.job.state.is_finished:
            finished[event.job.id] = event.job
            if len(finished) == len(plan):
                all_done.set()

    engine.subscribe(note)
    await engine.start()
    for arrival, body in plan:
        await asyncio.sleep(max(0.0, arrival - loop.time()))
        await engine.submit(GenerationRequest.model_validate(body))
    await all_done.wait()
    await engine.stop()
    await client.aclose()
    engine.close()
    result = SchemeResult(scheme, max_per_1s=max_in_window(api.get_times, 1.0))
    for job in finished.values():
        gid = str(job.generation_id)
        assert job.finished_at is not None and job.state == "completed", job
        lag = job.finished_at - EPOCH - api.finish[gid]
        result.rows.append((f"{job.model}/{job.type}", api.gets[gid], lag))
    return result


def report_virtual(results: dict[str, SchemeResult]) -> list[str]:
    """The per-kind table and the schedule's ratio lines."""
    ours, lumas = results["adaptive"], results["luma"]
    print("part 1, virtual clock: per model and type, GETs/job and lag (s) p50 / p95 / mean")
    lines = []
    for model, type_ in FAMILIES:
        name = f"{model}/{type_}"
        a = [(g, lag) for k, g, lag in ours.rows if k == name]
        b = [(g, lag) for k, g, lag in lumas.rows if k == name]
        a_p95, b_p95 = quantile([x for _, x in a], 0.95), quantile([x for _, x in b], 0.95)
        print(
            f"  {name:24} {len(a):4d} jobs  adaptive {_mean([g for g, _ in a]):6.1f} GETs "
            f"{_lags(a)}  |  luma {_mean([g for g, _ in b]):6.1f} GETs {_lags(b)}"
        )
        lines.append(
            ratio_line(f"polling_p95_lag_vs_luma_{label(model, type_)}", a_p95 / b_p95, 1.5)
        )
    gets = _mean([g for _, g, _ in ours.rows]) / _mean([g for _, g, _ in lumas.rows])
    all_a, all_b = [x for *_, x in ours.rows], [x for *_, x in lumas.rows]
    print(
        f"  all {len(all_a)} jobs: adaptive {_lags([(0, x) for x in all_a])}, luma "
        f"{_lags([(0, x) for x in all_b])}; mean lag ratio {_mean(all_a) / _mean(all_b):.2f}x; "
        f"max GETs in any 1 s: adaptive {ours.max_per_1s}, luma {lumas.max_per_1s} (cap 5); "
        f"wall {ours.wall_s:.0f} s and {lumas.wall_s:.0f} s"
    )
    lines.append(ratio_line("polling_gets_per_job_vs_luma", gets, 0.6))
    p95 = quantile(all_a, 0.95) / quantile(all_b, 0.95)
    lines.append(ratio_line("polling_p95_lag_vs_luma", p95, 1.0))
    return lines


def _mean(values: list[float] | list[int]) -> float:
    return sum(values) / max(len(values), 1)


def _lags(rows: list[tuple[int, float]]) -> str:
    lags = [lag for _, lag in rows]
    return f"{quantile(lags, 0.5):5.2f} / {quantile(lags, 0.95):5.2f} / {_mean(lags):5.2f}"


def report_wire(wire: WireResult) -> list[str]:
    """The cap on the wire, and how the selected jobs fared under it."""
    print(
        f"part 2, the wire (simulator speed {wire.speed:g}, {wire.jobs} jobs per scheme, "
        f"{wire.wall_s:.0f} s wall): up to {wire.most_queued} GETs queued for the cap at once"
    )
    for scheme, counts in wire.max_per_1s.items():
        print(
            f"  {scheme:8} max GETs in any 1 s {counts} (cap {RATE_CAP:g}), in any 10 s "
            f"{wire.max_per_10s[scheme]} (cap {10 * RATE_CAP:g}); lag p95 selected jobs "
            f"{wire.selected_p95[scheme]:.2f} s, others {wire.others_p95[scheme]:.2f} s"
        )
    top = max(wire.max_per_1s.values())
    return [ratio_line("polling_max_gets_per_s_vs_cap", top / RATE_CAP, 1.0)]


def _busy() -> None:
    while True:
        pass


@contextlib.contextmanager
def stress(enabled: bool) -> Any:
    """Two busy loops (separate processes) for the duration, when enabled."""
    context = multiprocessing.get_context("spawn")
    loads = [context.Process(target=_busy, daemon=True) for _ in range(2 if enabled else 0)]
    for load in loads:
        load.start()
    try:
        yield
    finally:
        for load in loads:
            load.terminate()
            load.join(timeout=10)


def main() -> int:
    """Both parts, then the ratio lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs-per-kind", type=int, default=150, help="virtual part (>= 150)")
    parser.add_argument("--seed", type=int, default=None, help="default: a new one each run")
    parser.add_argument("--stress", action="store_true", help="two busy loops load the machine")
    parser.add_argument("--wire-speed", type=float, default=10.0, help="simulator speed (<= 10)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    print(machine())
    print(
        f"polling: seed {seed}, {args.jobs_per_kind} jobs of each of {len(FAMILIES)} kinds "
        f"per scheme, cap {RATE_CAP:g} GET/s"
        + (", --stress: two busy loops" if args.stress else "")
    )
    with stress(args.stress):
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            futures = {
                scheme: pool.submit(virtual_scheme, scheme, seed, args.jobs_per_kind)
                for scheme in SCHEMES
            }
            virtual = {scheme: future.result() for scheme, future in futures.items()}
        lines = report_virtual(virtual)
        wire = run_wire(seed, args.wire_speed, RATE_CAP, build_engine, KEY)
        lines += report_wire(wire)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
