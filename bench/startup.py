"""Start-up: headless start to the first full frame, the workstation against a bare Textual app.

Cases, each started in a fresh Python process (so imports are cold-ish: the OS caches the
files, nothing is imported yet) at 120x40:

- bare: a Textual app with the same widget kinds (header line, a form of Inputs, Selects
  and a TextArea, a DataTable, a Tree, a Static where the picture goes, a footer);
- parts (informative): what importing Textual, then pydantic, httpx and lumatui costs;
- ws-0, ws-10k, ws-100k: the real workstation (`LumaApp`) over a history of 0, 10,000 and
  100,000 generations written straight into its store, a client that never answers (built
  by a function the app calls after its first frame, as `lumatui` passes its backend), and
  the half-cell picture renderer. Like `lumatui`, the child rests the garbage collector
  before the workstation's imports (`tui.heap.pause_for_start_up`).

Children cache their byte code in a folder of their own (PYTHONPYCACHEPREFIX), so after
the warm-up their imports read compiled files, as an installed lumatui does.
The time is taken inside the child, from the first line of this script (before Textual or
lumatui is imported) to the first full frame: the moment the first frame showing the main
screen with the job list's first rows (its first read: 100 rows; the rest of the page is
read after the frame) is written out (`App._display`; for the bare app its first frame).
A callback after that frame then checks the screen was left with nothing dirty and the
rows are there (see `_workstation.with_first_frame`); the "settled" column
is when it ran. The workstation mounts the composer's form right after its first frame
(keys typed meanwhile wait, then land in the prompt): "keys taken" is when it is there and
keys go on, looked for every 2 ms. One warm-up run of each case, then the rounds, the
order rotating and reversing; the figures are medians.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # before anything heavy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import child_env, machine, median, ms, orders, ratio_line  # noqa: E402

if TYPE_CHECKING:
    from textual.app import App

SIZE = (120, 40)
HISTORIES = {"ws-0": 0, "ws-10k": 10_000, "ws-100k": 100_000}
CASES = ("bare", *HISTORIES)
CHILDREN = (*CASES, "parts")


def run_child(case: str, home: Path | None) -> None:
    """In the child: start the app, print the seconds to its first full frame as JSON."""
    import asyncio

    from _workstation import with_first_frame

    result: dict[str, Any] = {}

    def done(app: App[Any]) -> None:
        if case != "bare":
            rows = app.screen.query_one("#job-table").row_count  # type: ignore[attr-defined]
            if (HISTORIES[case] and not rows) or app.shown_at is None:  # type: ignore[attr-defined]
                # The first page is read off the event loop: the frame that counts is the
                # first one that shows its rows (or, empty, the list placed), so look again
                # after the next frame.
                app.set_timer(0.002, lambda: app.screen.call_after_refresh(done, app))
                return
            result["rows"] = rows
        result.setdefault("settled_s", time.perf_counter() - _STARTED)
        result["first_frame_s"] = app.shown_at - _STARTED  # type: ignore[attr-defined]
        result.setdefault("cpu_s", time.process_time())
        if case != "bare" and app.keys_held_by:  # type: ignore[attr-defined]
            # The composer's form is mounted after the first frame; keys wait until then.
            app.set_timer(0.002, lambda: done(app))
            return
        result["form_s"] = time.perf_counter() - _STARTED
        app.exit()

    if case == "parts":
        print(json.dumps(import_parts()))
        return
    app: App[Any]
    if case == "bare":
        from _bare import BareApp

        app = with_first_frame(BareApp, done)()  # its first frame shows everything
    else:
        from _workstation import workstation

        from lumatui.tui.heap import pause_for_start_up

        pause_for_start_up()  # as `lumatui` does before it imports the workstation
        assert home is not None
        app = workstation(home, with_first_frame(_luma_app(), done, _first_page_shown))  # type: ignore[arg-type]
    result["ready_s"] = time.perf_counter() - _STARTED  # imported, app built: the loop starts
    asyncio.run(app.run_async(headless=True, size=SIZE))
    print(json.dumps(result))


_PAGE_PLACED: list[bool] = []


def _first_page_shown(app: App[Any]) -> bool:
    """True once the workstation's main screen has placed the job list's first page (the
    frame being written out shows it)."""
    job_list = getattr(app.screen, "job_list", None)
    if job_list is None:
        return False
    if not _PAGE_PLACED:
        _PAGE_PLACED.append(False)
        job_list.after_first_page(lambda: _PAGE_PLACED.__setitem__(0, True))
    return _PAGE_PLACED[0]


PARTS = (
    ("textual", ("textual.app", "textual.containers", "textual.widgets")),
    ("pydantic", ("pydantic", "pydantic.main")),
    ("httpx", ("lumatui", "httpx")),  # as lumatui imports it (see lumatui/__init__.py)
    ("lumatui", ("lumatui.config", "lumatui.backend", "lumatui.tui.app")),
)
"""What the workstation imports beyond the bare app, in order (each part's CPU time counts
only what the parts before it did not import: lumatui's share includes building its
pydantic models and everything else of its own)."""


def import_parts() -> dict[str, float]:
    """In the child: the CPU seconds each part of PARTS takes to import."""
    import importlib

    took: dict[str, float] = {}
    for name, modules in PARTS:
        began = time.process_time()
        for module in modules:
            importlib.import_module(module)
        took[name] = time.process_time() - began
    return took


def _luma_app() -> type[Any]:
    from lumatui.tui.app import LumaApp

    return LumaApp


def measure(case: str, home: Path | None, pycache: Path) -> dict[str, Any]:
    """Start a child for `case`; its figures, and the wall time seen from here."""
    args = [sys.executable, __file__, "--child", case]
    if home is not None:
        args += ["--home", str(home)]
    start = time.perf_counter()
    env = child_env(str(pycache))
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{case} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_s"] = wall
    return figures


def main() -> int:
    """Seed the histories, run the cases interleaved, print medians and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.home)
        return 0

    print(machine())
    from _workstation import seed_history

    with tempfile.TemporaryDirectory(prefix="lumatui-bench-startup-") as tmp:
        homes: dict[str, Path | None] = {"bare": None}
        for case, count in HISTORIES.items():
            home = Path(tmp) / case
            began = time.perf_counter()
            seed_history(home, count, running=min(count, 20))
            print(f"seeded {case}: {count:,} generations in {time.perf_counter() - began:.1f} s")
            homes[case] = home
        for case in CASES:  # warm-up: .pyc files and the OS file cache
            measure(case, homes[case], Path(tmp) / "pycache")
        first: dict[str, list[float]] = {case: [] for case in CASES}
        wall: dict[str, list[float]] = {case: [] for case in CASES}
        ready: dict[str, list[float]] = {case: [] for case in CASES}
        settled: dict[str, list[float]] = {case: [] for case in CASES}
        form: dict[str, list[float]] = {case: [] for case in CASES}
        cpu: dict[str, list[float]] = {case: [] for case in CASES}
        parts: dict[str, list[float]] = {name: [] for name, _ in PARTS}
        rows: dict[str, int] = {}
        measure("parts", None, Path(tmp) / "pycache")
        for order in orders(CASES, args.rounds):
            for case in order:
                figures = measure(case, homes[case], Path(tmp) / "pycache")
                first[case].append(figures["first_frame_s"])
                wall[case].append(figures["wall_s"])
                ready[case].append(figures["ready_s"])
                settled[case].append(figures["settled_s"])
                form[case].append(figures["form_s"])
                cpu[case].append(figures["cpu_s"])
                rows[case] = figures.get("rows", 0)
            for name, seconds in measure("parts", None, Path(tmp) / "pycache").items():
                if name in parts:
                    parts[name].append(seconds)

    print(f"\nfirst full frame at {SIZE[0]}x{SIZE[1]}, {args.rounds} rounds (medians):")
    print(
        f"  {'case':<9} {'history':>8} {'first frame':>12} {'of it: loop':>12} "
        f"{'settled':>10} {'keys taken':>11} {'CPU':>10} {'process wall':>13} {'rows':>6}"
    )
    for case in CASES:
        history = f"{HISTORIES.get(case, 0):,}" if case != "bare" else "-"
        loop = median([f - r for f, r in zip(first[case], ready[case], strict=True)])
        print(
            f"  {case:<9} {history:>8} {ms(median(first[case])):>12} {ms(loop):>12} "
            f"{ms(median(settled[case])):>10} {ms(median(form[case])):>11} "
            f"{ms(median(cpu[case])):>10} "
            f"{ms(median(wall[case])):>13} "
            f"{rows.get(case, 0) if case != 'bare' else '-':>6}"
        )
    print("  (loop: from the app built, every import done, to its first full frame;")
    print("   settled: when the check after that frame ran; keys taken: the composer's form")
    print("   mounted after that frame, typing goes on (the bare app: its first frame);")
    print("   CPU: the child's CPU time to that check, which a loaded machine inflates less)")
    cpu_ratio = median(cpu["ws-10k"]) / median(cpu["bare"])
    print(f"  CPU to the first frame, 10,000 generations vs bare: {cpu_ratio:.2f}x")
    took = ", ".join(f"{name} {ms(median(parts[name]))}" for name, _ in PARTS)
    print(f"  imports, CPU, each part after the ones before it: {took}")
    bare, ten_k, hundred_k = (median(first[c]) for c in ("bare", "ws-10k", "ws-100k"))
    print(f"  workstation, empty history vs bare: {median(first['ws-0']) / bare:.2f}x")
    keys_ratio = median(form["ws-10k"]) / median(form["bare"])
    print(f"  keys taken, 10,000 generations vs bare: {keys_ratio:.2f}x")
    print()
    print(ratio_line("startup_10k_vs_bare", ten_k / bare, 1.5))
    print(ratio_line("startup_100k_vs_10k", hundred_k / ten_k, 1.1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
