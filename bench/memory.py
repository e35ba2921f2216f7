"""Memory: peak RSS of the workstation with 10,000 generations and 500 thumbnails viewed.

Each measured app runs in a fresh Python process (RSS is per process), headless at
120x40:

- bare: the bare Textual app with the same widget kinds (`_bare.BareApp`), to its first
  full frame;
- ws: the real workstation (`LumaApp`) over 10,000 generations written straight into its
  store (a client that never answers, half-cell pictures); the 500 newest completed jobs
  have real image outputs (different 512x384 JPEGs, stored with their facts as the
  downloader keeps them). Like `lumatui`, the child rests the garbage collector from
  before the workstation's imports until the composer's form is mounted after the first
  frame (`tui.heap`). Once the start is over (first frame, form, engine running) the job
  list is focused and `j` pressed row by row (the 500 are the newest rows, with a few
  failed jobs between them); on each of the 500 it waits until the thumbnail is decoded,
  scaled, cached and shown in the preview: the preview shows that job's output, the
  decoding worker has answered its latest request (workers may answer out of order) and
  the next frame asked for no other. One not shown within 30 s stops the run. The
  thumbnail cache folder is emptied before every run, so every thumbnail is made anew;
- start-gc: the same workstation with the collector on throughout, to the end of its start
  (no thumbnails).

Children cache their byte code in a folder of their own (a warm-up run of bare, and of ws
over 5 thumbnails, first), so no measured child compiles sources. Figures, read from
/proc/self/status inside the child: the peak (VmHWM) when the start is over and at the
end, and the resident size (VmRSS) after 100 and after 500 thumbnails. Rounds rotate the
cases; the figures are medians.

- memory_vs_bare = peak of ws after 500 thumbnails / peak of bare;
- memory_500_vs_100_thumbs = VmRSS after 500 thumbnails / VmRSS after 100 (flat means
  the caches are bounded: nothing per thumbnail is kept);
- start_peak_resting_vs_collecting = peak of ws when its start is over / that of start-gc
  (what resting the collector during the start costs in memory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import (
    child_env,
    current_rss_kib,
    machine,
    median,
    mib,
    orders,
    peak_rss_kib,
    ratio_line,
)

if TYPE_CHECKING:
    from textual.app import App

    from lumatui.tui.widgets.preview.preview import Preview

SIZE = (120, 40)
HISTORY = 10_000
THUMBNAILS = 500
FIRST = 100
WARM_UP_VIEWS = 5
CASES = ("bare", "ws", "start-gc")


def run_bare() -> dict[str, Any]:
    """In the child: the bare app to its first full frame; its peak RSS."""
    from _bare import BareApp
    from _workstation import with_first_frame

    def done(app: App[Any]) -> None:
        app.exit()

    asyncio.run(with_first_frame(BareApp, done)().run_async(headless=True, size=SIZE))
    return {"peak_kib": peak_rss_kib()}


def run_workstation(
    home: Path, job_ids: list[str], *, collector_rests: bool = True
) -> dict[str, Any]:
    """In the child: the workstation, then each job's thumbnail in turn; RSS on the way.

    With `collector_rests`, as `lumatui` starts: no garbage collection from before the
    workstation's imports until the end of its first frame; without, it collects throughout.
    """
    if collector_rests:
        from lumatui.tui.heap import pause_for_start_up

        pause_for_start_up()
    return asyncio.run(_view_thumbnails(home, job_ids))


async def _view_thumbnails(home: Path, job_ids: list[str]) -> dict[str, Any]:
    from _workstation import workstation

    from lumatui.tui.widgets.preview.media_view import MediaView

    answered: set[int] = set()

    def hook(message: object) -> None:
        if isinstance(message, MediaView.FrameLoaded):
            answered.add(message.token)

    figures: dict[str, Any] = {}
    app = workstation(home)
    async with app.run_test(headless=True, size=SIZE, message_hook=hook) as pilot:
        while not app.engine_started:
            await pilot.pause()
        # The start is over: first frame, composer's form, engine; the collector back on.
        figures["start_peak_kib"] = peak_rss_kib()
        screen = app.main_screen
        preview = screen.preview
        table = screen.job_list.table
        wanted = set(job_ids)
        await pilot.press("f3", "j", "k")  # the jobs pane; the cursor on the newest job
        started = time.perf_counter()
        shown = 0
        while shown < len(job_ids):
            job_id = table.key_at_cursor()
            if job_id in wanted:
                await _wait_for_thumbnail(screen, preview, job_id, answered)
                answered.clear()  # later answers are for later requests (greater tokens)
                shown += 1
                if shown == FIRST:
                    figures["rss_first_kib"] = current_rss_kib()
                    figures["peak_first_kib"] = peak_rss_kib()
            await _press_down(app, table, job_id)
        figures["seconds"] = time.perf_counter() - started
        figures["rss_last_kib"] = current_rss_kib()
        figures["peak_kib"] = peak_rss_kib()
        figures["lru_items"] = preview._thumbnails.memory_items
        app.exit()
    return figures


async def _press_down(app: App[Any], table: Any, current: str | None) -> None:
    """Press `j` (as the terminal would send it) and wait until the cursor has moved."""
    from textual import events

    driver = app._driver
    assert driver is not None
    event = events.Key("j", "j")
    event.set_sender(app)
    driver.send_message(event)
    while table.key_at_cursor() == current:
        await asyncio.sleep(0.001)


async def _next_frame(screen: Any) -> None:
    """Wait for the screen's next completed refresh."""
    from _workstation import resolve

    done = asyncio.get_running_loop().create_future()
    screen.call_after_refresh(resolve, done)
    await done


async def _wait_for_thumbnail(
    screen: Any, preview: Preview, job_id: str, answered: set[int]
) -> None:
    """Until the preview shows `job_id`'s picture, settled (RuntimeError after 30 s).

    Settled: the preview's picture is this job's output, the decoding worker has answered
    its latest request (`MediaView.token`; workers may answer out of order, an older
    request's answer after it), and the frame drawn after that asked for no other (a
    layout change would ask again at the new size).
    """
    media = preview.media
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        output = media.output
        if (
            preview.job is not None
            and preview.job.id == job_id
            and output is not None
            and output.job_id == job_id
            and media.token in answered
            and media.picture is not None
        ):
            token = media.token
            await _next_frame(screen)
            if media.token == token:
                return
        else:
            await asyncio.sleep(0.001)
    raise RuntimeError(f"the thumbnail of {job_id} was not shown within 30 s")


def run_child(case: str, home: Path, ids_file: Path, views: int) -> dict[str, Any]:
    """In the child: one case's figures."""
    if case == "bare":
        return run_bare()
    if case == "start-gc":  # its start only: no thumbnail viewed
        return run_workstation(home, [], collector_rests=False)
    ids: list[str] = json.loads(ids_file.read_text())
    return run_workstation(home, ids[:views])


def measure(case: str, home: Path, ids_file: Path, *, views: int = THUMBNAILS) -> dict[str, Any]:
    """Run one child; its figures."""
    shutil.rmtree(home / "cache", ignore_errors=True)  # every thumbnail made anew
    args = [sys.executable, __file__, "--child", case, "--home", str(home), "--ids", str(ids_file)]
    args += ["--views", str(views)]
    env = child_env(str(ids_file.parent / "pycache"))
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, env=env)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{case} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    """Seed, run the cases interleaved, print medians and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ids", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--views", type=int, default=THUMBNAILS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_child(args.child, args.home, args.ids, args.views)))
        return 0

    print(machine())
    from _workstation import image_slots_of, make_images, seed_history

    with tempfile.TemporaryDirectory(prefix="lumatui-bench-memory-") as tmp:
        root = Path(tmp)
        images = make_images(root / "images", THUMBNAILS)
        home = root / "home"
        ids = seed_history(home, HISTORY, running=0, images=images, facts=True)
        slots = image_slots_of(HISTORY, 0, THUMBNAILS)
        viewed = [ids[n] for n in sorted(slots, key=slots.__getitem__)]
        ids_file = root / "viewed.json"
        ids_file.write_text(json.dumps(viewed))
        results: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
        # Warm-up: every module the cases import compiled and cached (a few thumbnails).
        measure("bare", home, ids_file)
        measure("ws", home, ids_file, views=WARM_UP_VIEWS)
        for order in orders(CASES, args.rounds):
            for case in order:
                results[case].append(measure(case, home, ids_file))

    def mid(case: str, key: str) -> float:
        return median([float(r[key]) for r in results[case]])

    bare_peak, ws_peak = mid("bare", "peak_kib"), mid("ws", "peak_kib")
    first, last = mid("ws", "rss_first_kib"), mid("ws", "rss_last_kib")
    resting, collecting = mid("ws", "start_peak_kib"), mid("start-gc", "start_peak_kib")
    print(f"\npeak RSS, {args.rounds} rounds (medians):")
    print(f"  bare Textual app, first frame:                 {mib(bare_peak)}")
    print(f"  workstation, {HISTORY:,} generations, {THUMBNAILS} thumbnails: {mib(ws_peak)}")
    print(
        f"  workstation's start (to its engine running): {mib(resting)} with the collector "
        f"resting, as lumatui starts; {mib(collecting)} with it collecting"
    )
    print(
        f"  workstation RSS after {FIRST} thumbnails: {mib(first)} "
        f"(peak {mib(mid('ws', 'peak_first_kib'))}); after {THUMBNAILS}: {mib(last)}"
    )
    print(
        f"  {THUMBNAILS} thumbnails shown one after another in {mid('ws', 'seconds'):.1f} s, "
        f"{mid('ws', 'lru_items'):.0f} pictures in the in-memory LRU"
    )
    print()
    print(ratio_line("memory_vs_bare", ws_peak / bare_peak, 2.5))
    print(ratio_line("memory_500_vs_100_thumbs", last / first, 1.1))
    print(ratio_line("start_peak_resting_vs_collecting", resting / collecting, 1.1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
