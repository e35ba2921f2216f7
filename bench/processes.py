"""Many processes, one history: hundreds of one-shot submits, a primary killed mid-run.

`--submits` one-shot `lumatui submit` processes (default 300), `--parallel` at a time
(default 16), share one LUMATUI_HOME against a simulator with a concurrency limit and
faults (429, 5xx, resets after the job was created, cut JSON, truncated downloads). A
third of the way through a `lumatui wait --all` starts (the primary: it adopts what the
finished submits left and polls and downloads it); two thirds of the way it is killed with
SIGKILL, mid-work, and at the end another `wait --all` takes over and finishes everything.
`--stress` runs two busy loops (like `yes >/dev/null &` twice) for the whole run.

Printed, against what the simulator knows it created: created-per-request (generations
per prompt that was created at all), duplicates (a prompt created twice), lost (a created
generation no job records, a job neither finished nor uncertain, or a completed job whose
outputs are not verified on disk), completed-without-output, uncertain-never-created (a
job marked "may have been billed" that the simulator never created), uncertain-never-
received (the same, whose request never even reached the simulator), and the GETs per job
of all processes together.

    .venv/bin/python bench/processes.py [--submits 300] [--parallel 16] [--stress]

Exits 1 when any of duplicates, lost, completed-without-output, uncertain-never-created
is not 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import (
    BENCH_KEY,
    check_outputs,
    print_counts,
    query,
    sim_prompts,
    start_simulator,
)

FAULTS = "429=0.04,502=0.02,503=0.02,reset=0.02,badjson=0.02,truncate=0.1"
"""No 500s: a POST answered 500 may or may not have created its job, so it is uncertain by
the money rule even though the simulator created nothing (bench/soak.py covers that)."""
SPEED = 200.0


class Counting:
    """ASGI middleware counting API requests by method, and the prompts POSTs carried."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.methods: Counter[str] = Counter()
        self.received: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith("/v1/generations"):
            self.methods[scope["method"]] += 1
            if scope["method"] == "POST":
                receive = self._reading(receive)
        await self.app(scope, receive, send)

    def _reading(self, receive: Any) -> Any:
        body = bytearray()

        async def read() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        self.received[json.loads(bytes(body))["prompt"]] += 1
            return message

        return read


def busy_loops(count: int) -> list[subprocess.Popen[bytes]]:
    """`count` processes that burn a CPU each (`yes >/dev/null`)."""
    return [
        subprocess.Popen(["yes"], stdout=subprocess.DEVNULL, start_new_session=True)
        for _ in range(count)
    ]


def lumatui(home: Path, base_url: str, *args: str) -> subprocess.Popen[bytes]:
    """Start `python -m lumatui ARGS` on the history at `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LUMA", "LUMATUI"))}
    env.update(LUMATUI_HOME=str(home), LUMA_AGENTS_API_KEY=BENCH_KEY, LUMA_BASE_URL=base_url)
    logs = home.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    name = f"{args[0]}-{time.monotonic_ns()}"
    with (logs / f"{name}.err").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "lumatui", *args, "--sim-speed", str(SPEED)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def run(submits: int, parallel: int, seed: int, stress: bool, work: Path) -> int:
    """Run the processes; print the figures; 0 when they all hold."""
    counter: list[Counting] = []

    def wrap(app: Any) -> Counting:
        counter.append(Counting(app))
        return counter[0]

    sim = start_simulator(
        work / "simulator",
        speed=SPEED,
        faults=FAULTS,
        seed=seed,
        concurrent_jobs=8,
        requests_per_minute=100_000,
        image_long_side=128,
        video_long_side=32,
        wrap=wrap,
    )
    home = work / "home"
    hogs = busy_loops(2) if stress else []
    print(
        f"processes: {submits} one-shot submits, {parallel} at a time, faults {FAULTS}, "
        f"concurrency limit 8, simulator speed {SPEED:g}"
        + (", two busy loops running" if stress else "")
    )
    started = time.monotonic()
    codes: Counter[int] = Counter()
    primary: subprocess.Popen[bytes] | None = None
    try:
        running: list[subprocess.Popen[bytes]] = []
        for n in range(submits):
            if n == submits // 3:
                primary = lumatui(home, sim.base_url, "wait", "--all")
            if n == 2 * submits // 3 and primary is not None:
                os.kill(primary.pid, signal.SIGKILL)  # the primary dies mid-work
                primary.wait()
            while len(running) >= parallel:
                done = running.pop(0)
                codes[done.wait()] += 1
            running.append(lumatui(home, sim.base_url, "submit", "--prompt", f"process job {n}"))
        for done in running:
            codes[done.wait()] += 1
        final = lumatui(home, sim.base_url, "wait", "--all")
        codes_final = final.wait()
        wall = time.monotonic() - started
        return report(home, sim, counter[0], codes, codes_final, wall)
    finally:
        for hog in hogs:
            hog.kill()
        sim.stop()


def report(
    home: Path, sim: Any, api: Counting, codes: Counter[int], final: int, wall: float
) -> int:
    """Print the figures; 0 when duplicates, lost and the rest are all 0."""
    db = home / "data" / "lumatui.db"
    jobs = query(db, "SELECT id, prompt, state, generation_id FROM jobs")
    created = sim_prompts(sim.simulator.settings.state_dir)
    by_state = Counter(row["state"] for row in jobs)
    recorded = {row["prompt"] for row in jobs if row["generation_id"]}
    uncertain = {row["prompt"] for row in jobs if row["state"] == "uncertain"}
    duplicates = sum(count - 1 for count in created.values() if count > 1)
    lost = [
        f"{prompt}: created, no job has its id"
        for prompt in created
        if prompt not in recorded and prompt not in uncertain
    ]
    lost += [
        f"{row['prompt']}: ended {row['state']}"
        for row in jobs
        if row["state"] in ("waiting", "submitting", "queued", "processing")
    ]
    missing = query(
        db,
        "SELECT j.prompt FROM jobs j JOIN outputs o ON o.job_id = j.id"
        " WHERE j.state = 'completed' AND o.local_path IS NULL",
    )
    check = check_outputs(db, home / "data" / "outputs")
    lost += check.problems
    never = [prompt for prompt in uncertain if prompt not in created]
    never_received = [prompt for prompt in uncertain if prompt not in api.received]
    per_request = sum(created.values()) / max(len(created), 1)
    gets = api.methods["GET"] / max(len(recorded), 1)
    print_counts(
        "results:",
        {
            "jobs": len(jobs),
            "states": dict(by_state),
            "submit exit codes": dict(sorted(codes.items())),
            "final wait --all exit code": final,
            "generations created": sum(created.values()),
            "API requests (simulator)": dict(api.methods),
            "faults injected": dict(sorted(sim.simulator.faults.counts.items())),
            "outputs verified": check.verified,
            "partial files left": check.partial_files,
            "duplicates": duplicates,
            "lost": len(lost),
            "completed without output": len(missing),
            "uncertain never created": len(never),
            "uncertain never received (no byte reached the API)": len(never_received),
            "GETs per created job (all processes)": f"{gets:.1f}",
            "wall time": f"{wall:.1f} s",
        },
    )
    for problem in lost[:20]:
        print(f"LOST {problem}")
    print(f"ratio created_per_request = {per_request:.2f}x (target <= 1)")
    print(f"ratio duplicates = {duplicates:.2f}x (target <= 0)")
    print(f"ratio lost = {len(lost):.2f}x (target <= 0)")
    print(f"ratio completed_without_output = {len(missing):.2f}x (target <= 0)")
    print(f"ratio uncertain_never_created = {len(never):.2f}x (target <= 0)")
    print(f"ratio uncertain_never_received = {len(never_received):.2f}x (target <= 0)")
    failed = duplicates or lost or missing or never or never_received or check.partial_files
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stress", action="store_true", help="two busy loops meanwhile")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    args = parser.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="lumatui-processes-"))
    return run(args.submits, args.parallel, args.seed, args.stress, work)


if __name__ == "__main__":
    sys.exit(main())
