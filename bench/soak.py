"""Soak: 500 mixed jobs through the simulator at a 20% fault rate; nothing lost, nothing twice.

The simulator injects 5xx, 429 (with Retry-After), dropped connections (after the job is
created), slow replies and cut JSON into 20% of API requests, cuts off 20% of downloads
half-way, and its output links expire after one (simulator) second, so downloads that
queue up behind others find them expired and must fetch fresh ones. The engine runs in this
process on the simulator's scaled time. Printed: jobs, faults injected by kind, retries
(client and engine), uncertain jobs (and how many the simulator did create), lost (a job
that neither finished nor is uncertain, that disagrees with the simulator, or that
completed without verified outputs), duplicates (a request created twice), wall time.

    .venv/bin/python bench/soak.py [--jobs 500] [--seed 1] [--stress]

`--stress` runs two busy loops (like `yes >/dev/null &` twice) for the whole soak, the
way a loaded machine breaks timings. Exits 1 when lost or duplicates is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import logging
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from _common import build_engine, check_outputs, print_counts, sim_prompts, start_simulator

from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.sim.service import caller_of

FAULTS = "500=0.04,502=0.02,503=0.02,429=0.04,reset=0.03,slow=0.02,badjson=0.03,truncate=0.2"
SPEED = 10.0  # jobs run this much faster than the simulator's clock says
CLOCK = 20.0  # and the simulator's clock runs this much faster than the wall clock
SLOW_S = 0.3
URL_TTL_S = 4


class FastClock:
    """The simulator's clock, `factor` times faster than the wall clock."""

    def __init__(self, factor: float) -> None:
        self.factor, self.start = factor, time.time()

    def __call__(self) -> float:
        return self.start + (time.time() - self.start) * self.factor


class Counting(httpx.AsyncBaseTransport):
    """Real HTTP, counting requests by method and replies by status."""

    reports_trace = True  # the inner transport is httpcore's: it reports trace events

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.paths: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests[request.method] += 1
        self.paths[request.url.path] += 1
        response = await self.inner.handle_async_request(request)
        self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class RetryLog(logging.Handler):
    """Counts the client's "retrying ..." log lines: one per retried request."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("retrying "):
            self.retries[message.split()[1]] += 1


def bodies(count: int) -> list[dict[str, Any]]:
    """Images, image edits (inline source) and 360p videos, each with its own prompt."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 90, 30)).save(out, format="PNG")
    source = {"data": base64.b64encode(out.getvalue()).decode("ascii"), "media_type": "image/png"}
    kinds: list[dict[str, Any]] = [
        {},
        {},
        {"type": "image_edit", "source": source},
        {},
        {"type": "video", "video": {"duration": "5s", "resolution": "360p"}},
    ]
    return [{"prompt": f"soak job {i}", **kinds[i % len(kinds)]} for i in range(count)]


async def soak(jobs: int, seed: int, work: Path, *, stress: bool = False) -> int:
    """Run the soak; print the counts; 0 when nothing was lost or sent twice."""
    hogs = [
        subprocess.Popen(["yes"], stdout=subprocess.DEVNULL, start_new_session=True)
        for _ in range(2 if stress else 0)
    ]
    try:
        return await _soak(jobs, seed, work, stress)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


async def _soak(jobs: int, seed: int, work: Path, stress: bool) -> int:
    started = time.monotonic()
    sim = start_simulator(
        work / "simulator",
        speed=SPEED,
        faults=FAULTS,
        seed=seed,
        slow_s=SLOW_S,
        url_ttl_s=URL_TTL_S,
        requests_per_minute=100_000,
        concurrent_jobs=1_000,
        image_long_side=128,
        video_long_side=32,
    )
    sim.simulator.clock = FastClock(CLOCK)
    api, files, retry_log = Counting(), Counting(), RetryLog()
    logging.getLogger("lumatui.api").addHandler(retry_log)
    logging.getLogger("lumatui.api").setLevel(logging.INFO)
    engine = build_engine(
        sim.base_url,
        work,
        time_scale=1 / (SPEED * CLOCK),
        transport=api,
        download_transport=files,
        read_timeout=5.0,
    )
    print(
        f"soak: {jobs} jobs, faults {FAULTS}, seed {seed}, simulator speed {SPEED:g} on a clock "
        f"{CLOCK:g}x fast (jobs {SPEED * CLOCK:g}x), slow replies {SLOW_S} s, links live "
        f"{URL_TTL_S} simulator s" + (", two busy loops running" if stress else "")
    )
    try:
        await engine.start()
        submitted = [await engine.submit(GenerationRequest.model_validate(b)) for b in bodies(jobs)]
        done = await engine.wait_for([j.id for j in submitted], timeout=900.0)
        wall = time.monotonic() - started
        code = report(engine, sim, done, api, files, retry_log, wall)
    finally:
        await engine.stop()
        await engine.client.aclose()
        engine.close()
        sim.stop()
    return code


def report(
    engine: Any,
    sim: Any,
    done: list[Any],
    api: Counting,
    files: Counting,
    retry_log: RetryLog,
    wall: float,
) -> int:
    """Print the counts; 0 when lost and duplicates are both 0."""
    simulator = sim.simulator
    caller, now = caller_of("test-key"), simulator.clock()
    seen = sim_prompts(simulator.settings.state_dir)
    lost: list[str] = []
    uncertain = [j for j in done if j.state is JobState.UNCERTAIN]
    for job in done:
        if job.state is JobState.UNCERTAIN:
            continue
        if job.generation_id is None:
            lost.append(f"{job.prompt}: ended {job.state} without an id ({job.note})")
            continue
        row = simulator.store.get(job.generation_id)
        if row is None or row.caller != caller or row.state_at(now).value != str(job.state):
            lost.append(f"{job.prompt}: {job.state} here, not at the simulator")
        elif job.state is JobState.COMPLETED:
            outputs = engine.store.outputs(job.id)
            if not outputs or not all(o.is_downloaded for o in outputs):
                lost.append(f"{job.prompt}: completed without its outputs ({outputs})")
    check = check_outputs(engine.store.path, engine.downloader.outputs_dir)
    lost += check.problems
    duplicates = sum(count - 1 for count in seen.values() if count > 1)
    downloads = sum(files.paths.values())
    print_counts(
        "results:",
        {
            "jobs": f"{len(done)} {dict(Counter(j.type for j in done))}",
            "states": dict(Counter(str(j.state) for j in done)),
            "faults injected": dict(sorted(simulator.faults.counts.items())),
            "fault rate (API / downloads)": fault_rates(simulator.faults),
            "API requests": dict(api.requests),
            "client retries": dict(retry_log.retries),
            "engine re-sends (nothing created)": engine.submitter.sent_posts - len(done),
            "polls (GET)": engine.poller.gets_sent,
            "downloads (attempts / files)": f"{downloads} / {len(files.paths)}",
            "expired links refreshed": files.statuses[403],
            "uncertain (created by the simulator)": (
                f"{len(uncertain)} ({sum(j.prompt in seen for j in uncertain)})"
            ),
            "outputs verified": check.verified,
            "lost": len(lost),
            "duplicates": duplicates,
            "wall time": f"{wall:.1f} s",
        },
    )
    for problem in lost[:20]:
        print(f"LOST {problem}")
    per_request = sum(seen.values()) / max(len(seen), 1)
    print(f"ratio created_per_request = {per_request:.2f}x (target <= 1)")
    return 1 if lost or duplicates else 0


def fault_rates(faults: Any) -> str:
    """The share of API requests and of downloads the simulator broke."""
    drawn = faults.stats()["requests"]
    api = sum(n for name, n in faults.counts.items() if name != "truncate")
    rate_api = api / max(drawn.get("api", 0), 1)
    rate_files = faults.counts.get("truncate", 0) / max(drawn.get("download", 0), 1)
    return f"{rate_api:.1%} / {rate_files:.1%}"


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the soak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    parser.add_argument("--stress", action="store_true", help="two busy loops meanwhile")
    args = parser.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="lumatui-soak-"))
    return asyncio.run(soak(args.jobs, args.seed, work, stress=args.stress))


if __name__ == "__main__":
    sys.exit(main())
