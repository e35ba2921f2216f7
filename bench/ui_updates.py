"""List updates: a tick of 1,000 changed jobs against rebuilding a 10,000-row list; key latency.

1. tick vs rebuild, inside one headless workstation (`LumaApp`, 120x40) over a history of
   10,000 generations (a client that never answers), with the job list holding all 10,000
   rows (its page size raised to 10,000):
   - tick: `JobList.jobs_changed` with 1,000 changed `Job` objects (state, failure and
     finish time flip between two versions each round, so every tick changes four cells
     of each of the 1,000 rows);
   - rebuild: `JobList.reload()`, the list's own rebuild (clear, read 10,000 jobs from
     SQLite in workers, add 10,000 rows: its first rows, then the rest after a frame).
   Each is timed from the call to the next completed screen refresh (the screen laid out
   and painted, nothing dirty; for the rebuild, the first one after every row is placed),
   one warm-up each, then interleaved rounds; medians.
2. key-press-to-frame while polling runs: the real workstation on the built-in simulator
   (in a background thread, as `lumatui` runs it with no key) at a speed where uni-1
   images take ~10 s, kept at ~100 jobs in flight (a new job for each one that finishes),
   over the same 10,000-generation history (its 200 newest completed jobs with real image
   outputs, stored with their facts as the downloader keeps them: the preview measures
   none). The jobs pane is focused and `j`/`k` are pressed in blocks of 30, one every
   40 ms; each is timed from the key event entering the app to the first completed screen
   refresh after the cursor moved. Reported, no target.
3. another process writing: a workstation (a client that never answers) over a history of
   10,000 generations while a separate process (`bench/_writer.py`) changes one of its 200
   running jobs 50 times a second in the same SQLite file. Key press to frame (`j`/`k` in
   the jobs pane) is measured in interleaved blocks with the writer running and stopped
   (SIGSTOP/SIGCONT): p99 busy against p99 idle. And the time from each write (its note
   carries the write's wall time) to the frame that shows the changed row: the change
   feed is polled every 0.25 s, so it is under 1 s when the screen keeps up.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine, median, ms, orders, quantile, ratio_line
from _workstation import home_paths, make_images, resolve, seed_history, workstation

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp

SIZE = (120, 40)
HISTORY = 10_000
CHANGED = 1_000
SPEED = 3.0
"""Simulator speed: a uni-1 image (about 30 s at Luma) takes about 10 s."""
IN_FLIGHT = 100
KEY_GAP_S = 0.04
BLOCK = 30


async def next_frame(screen: Screen[Any]) -> None:
    """Wait for the screen's next completed refresh."""
    done = asyncio.get_running_loop().create_future()
    screen.call_after_refresh(resolve, done)
    await done


async def timed(screen: Screen[Any], action: Callable[[], object]) -> float:
    """Seconds from calling `action` to the next completed screen refresh (after the workers
    it started: the list reads its pages in workers)."""
    start = time.perf_counter()
    action()
    await screen.app.workers.wait_for_complete()
    await next_frame(screen)
    return time.perf_counter() - start


async def timed_rebuild(screen: Screen[Any], job_list: Any) -> float:
    """Seconds from `reload()` to the frame after every row is placed: the list places its
    first rows, then reads the rest of its page after the first frame (more workers)."""
    start = time.perf_counter()
    job_list.reload()
    for _ in range(100):
        await screen.app.workers.wait_for_complete()
        await next_frame(screen)
        if job_list.table.row_count == HISTORY and not job_list._loading:
            return time.perf_counter() - start
    raise RuntimeError(f"the list holds {job_list.table.row_count} rows, not {HISTORY}")


def flipped(jobs: list[Job], now: float) -> list[Job]:
    """The same jobs, finished the other way (completed <-> failed), a second later."""
    from lumatui.engine.jobs import JobState

    changed = []
    for job in jobs:
        failed = job.state is not JobState.FAILED
        changed.append(
            replace(
                job,
                state=JobState.FAILED if failed else JobState.COMPLETED,
                failure_code="content_moderated" if failed else None,
                failure_reason="The prompt was flagged by moderation." if failed else None,
                updated_at=now,
                finished_at=now,
            )
        )
    return changed


async def tick_vs_rebuild(home: Path, rounds: int) -> dict[str, list[float]]:
    """Time the tick and the rebuild, interleaved, in one running workstation."""
    app = workstation(home)
    times: dict[str, list[float]] = {"tick": [], "rebuild": []}
    async with app.run_test(headless=True, size=SIZE) as pilot:
        while not app.engine_started:
            await pilot.pause()
        screen = app.main_screen
        job_list = screen.job_list
        job_list.page_size = HISTORY
        await timed_rebuild(screen, job_list)
        keys = random.Random(3).sample(list(job_list.table.keys_in_order()), CHANGED)
        versions = [[job_list._jobs[key] for key in keys]]
        versions.append(flipped(versions[0], versions[0][0].updated_at + 1))
        flips = 0

        def tick() -> None:
            nonlocal flips
            flips += 1
            job_list.jobs_changed(versions[flips % 2])

        async def rebuild() -> float:
            return await timed_rebuild(screen, job_list)

        async def ticked() -> float:
            return await timed(screen, tick)

        cases = {"tick": ticked, "rebuild": rebuild}
        for case in cases.values():  # warm-up
            await case()
        for order in orders(list(cases), rounds):
            for name in order:
                times[name].append(await cases[name]())
        if job_list.table.row_count != HISTORY:
            raise RuntimeError("the list lost rows")
        app.exit()
    return times


async def key_latency(home: Path, presses: int) -> tuple[list[float], list[int]]:
    """Seconds from key to frame for `presses` j/k presses while ~100 jobs are polled."""
    from lumatui.api.client import AgentsClient
    from lumatui.api.schema import GenerationRequest
    from lumatui.backend import Backend
    from lumatui.config import load_settings
    from lumatui.sim import SimSettings, start_in_background
    from lumatui.tui.app import LumaApp

    sim = start_in_background(
        SimSettings.for_tests(
            home / "sim", speed=SPEED, concurrent_jobs=1000, requests_per_minute=1_000_000
        )
    )
    paths = home_paths(home)
    settings = load_settings(
        paths, environ={"LUMATUI_HOME": str(home)}, overrides={"poll_rate_limit": 40.0}
    )
    client = AgentsClient("bench-key", sim.base_url)
    backend = Backend(client, "SIMULATOR", sim, 1.0 / SPEED)
    app = LumaApp(settings, paths, backend, image_renderer="halfcell")
    latencies: list[float] = []
    in_flight: list[int] = []
    try:
        async with app.run_test(headless=True, size=SIZE) as pilot:
            while not app.engine_started:
                await pilot.pause()
            engine = app.engine
            assert engine is not None
            prompts = iter(range(1_000_000))

            def top_up() -> None:
                missing = IN_FLIGHT - engine.poller.followed - engine.submitter.waiting
                for _ in range(max(missing, 0)):
                    request = GenerationRequest.model_validate(
                        {"prompt": f"a lighthouse at dusk, take {next(prompts)}"}
                    )
                    app.run_worker(engine.submit(request))

            top_up()
            feeder = app.set_interval(0.1, top_up)
            while engine.poller.followed < IN_FLIGHT * 0.9:
                await asyncio.sleep(0.1)
            await pilot.press("f3")
            await pilot.pause()
            latencies = await press_keys(app, presses, in_flight)
            feeder.stop()
            app.exit()
    finally:
        sim.stop()
    return latencies, in_flight


async def press_keys(
    app: LumaApp, presses: int, in_flight: list[int], *, offset: int = 0
) -> list[float]:
    """Press j/k in blocks; each latency ends at the first frame after the cursor moved."""
    from textual import events

    table = app.main_screen.job_list.table
    moved: asyncio.Future[float] | None = None
    original = {name: getattr(table, f"action_{name}") for name in ("cursor_down", "cursor_up")}

    def hooked(name: str) -> Callable[[], None]:
        def action() -> None:
            original[name]()
            if moved is not None and not moved.done():
                future = moved
                table.screen.call_after_refresh(lambda: resolve(future, time.perf_counter()))

        return action

    for name in original:
        setattr(table, f"action_{name}", hooked(name))
    driver = app._driver
    assert driver is not None
    engine = app.engine
    assert engine is not None
    latencies = []
    for n in range(offset, offset + presses):
        key = "j" if (n // BLOCK) % 2 == 0 else "k"
        moved = asyncio.get_running_loop().create_future()
        event = events.Key(key, key)
        event.set_sender(app)
        start = time.perf_counter()
        driver.send_message(event)
        latencies.append(await asyncio.wait_for(moved, 10.0) - start)
        in_flight.append(engine.poller.followed)
        await asyncio.sleep(KEY_GAP_S)
    return latencies


WRITES_PER_S = 50.0
WRITER_JOBS = 200


async def under_writes(home: Path, presses: int) -> tuple[dict[str, list[float]], list[float]]:
    """Key-to-frame with another process writing (busy) and stopped (idle); write-to-frame."""
    import os
    import signal
    import subprocess

    paths = home_paths(home)
    writer = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parent / "_writer.py"),
            str(paths.database),
            str(WRITER_JOBS),
            str(WRITES_PER_S),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    if writer.stdout.readline().strip() != "ready":
        raise RuntimeError("the writer did not start")
    app = workstation(home)
    keys: dict[str, list[float]] = {"idle": [], "busy": []}
    shown: list[float] = []
    try:
        async with app.run_test(headless=True, size=SIZE) as pilot:
            while not app.engine_started:
                await pilot.pause()
            screen = app.main_screen
            job_list = screen.job_list
            original = job_list.jobs_changed

            def watched(jobs: Any) -> None:
                jobs = list(jobs)
                original(jobs)
                written = [
                    float(job.note.split()[1])
                    for job in jobs
                    if job.note and job.note.startswith("bench-write ")
                ]
                if written:
                    newest = max(written)
                    screen.call_after_refresh(lambda: shown.append(time.time() - newest))

            job_list.jobs_changed = watched  # type: ignore[method-assign]
            await pilot.press("f3")
            await pilot.pause()
            blocks = max(presses // BLOCK, 2)
            for n in range(blocks):
                mode = "busy" if n % 2 == 0 else "idle"
                os.kill(writer.pid, signal.SIGCONT if mode == "busy" else signal.SIGSTOP)
                await asyncio.sleep(0.5)  # let the feed catch up with the switch
                keys[mode] += await press_keys(app, BLOCK, [], offset=n * BLOCK)
            os.kill(writer.pid, signal.SIGCONT)
            app.exit()
    finally:
        writer.kill()
        writer.wait()
    return keys, shown


def main() -> int:
    """Seed, measure the three parts, print medians, the ratios and the key latency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--presses", type=int, default=300)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="lumatui-bench-ui-") as tmp:
        home = Path(tmp) / "list"
        seed_history(home, HISTORY, running=0)
        times = asyncio.run(tick_vs_rebuild(home, args.rounds))
        live = Path(tmp) / "live"
        images = make_images(Path(tmp) / "images", 200)
        seed_history(live, HISTORY, running=0, images=images, facts=True)
        latencies, in_flight = asyncio.run(key_latency(live, args.presses))
        shared = Path(tmp) / "shared"
        seed_history(shared, HISTORY, running=0)
        keys, shown = asyncio.run(under_writes(shared, args.presses))

    tick, rebuild = median(times["tick"]), median(times["rebuild"])
    print(f"\n{CHANGED:,} changed jobs in a list of {HISTORY:,} rows, {args.rounds} rounds:")
    print(f"  tick (jobs_changed) to frame:  {ms(tick)} (median)")
    print(f"  rebuild (reload) to frame:     {ms(rebuild)} (median)")
    print(
        f"\nkey press to frame, {len(latencies)} j/k presses, simulator at speed {SPEED:g}, "
        f"{median([float(n) for n in in_flight]):.0f} jobs polled (median, "
        f"{min(in_flight, default=0)}-{max(in_flight, default=0)}):"
    )
    print(
        f"key_to_frame p50/p99 ms = {quantile(latencies, 0.5) * 1000:.1f} / "
        f"{quantile(latencies, 0.99) * 1000:.1f} (max {max(latencies, default=0) * 1000:.1f})"
    )
    idle99, busy99 = quantile(keys["idle"], 0.99), quantile(keys["busy"], 0.99)
    print(
        f"\nanother process writing {WRITES_PER_S:g} job changes a second into the history "
        f"({len(keys['busy'])} presses busy, {len(keys['idle'])} idle, interleaved):"
    )
    print(
        f"key_to_frame p50/p99 ms idle = {quantile(keys['idle'], 0.5) * 1000:.1f} / "
        f"{idle99 * 1000:.1f}; busy = {quantile(keys['busy'], 0.5) * 1000:.1f} / "
        f"{busy99 * 1000:.1f}"
    )
    print(
        f"write_to_screen p50/p99/max ms = {quantile(shown, 0.5) * 1000:.0f} / "
        f"{quantile(shown, 0.99) * 1000:.0f} / {max(shown, default=0) * 1000:.0f} "
        f"({len(shown)} changes shown)"
    )
    print()
    print(ratio_line("ui_tick_vs_rebuild", tick / rebuild, 0.1))
    print(ratio_line("key_p99_busy_vs_idle", busy99 / max(idle99, 1e-9), 2.0))
    print(ratio_line("write_to_screen_p99_vs_1s", quantile(shown, 0.99) / 1.0, 1.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
