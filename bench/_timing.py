"""Small helpers shared by bench/polling.py and bench/thumbs.py: the machine, medians, ratios.

Every benchmark runs both sides of a comparison in one process, interleaved over several
rounds (the order alternating), and ends with one line per comparison:
`ratio <name> = <x.xx>x (target <= <y>)`.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def machine() -> str:
    """One line naming the machine: CPUs, Python, platform."""
    cpus = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return (
        f"machine: {usable} usable CPU(s) of {cpus}, Python {sys.version.split()[0]} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}"
    )


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return float(statistics.median(values)) if values else 0.0


def quantile(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0..1) by linear interpolation (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def orders(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The order to run `names` in each round: rotated every round, reversed every other."""
    result = []
    for index in range(rounds):
        shift = index % len(names)
        order = list(names[shift:]) + list(names[:shift])
        result.append(order[::-1] if index % 2 else order)
    return result


def interleaved(
    cases: dict[str, Callable[[], object]], rounds: int, *, warmup: int = 1
) -> dict[str, list[float]]:
    """Seconds per call of each case, over `rounds` interleaved rounds (after warm-up)."""
    for _ in range(warmup):
        for run in cases.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for order in orders(list(cases), rounds):
        for name in order:
            start = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - start)
    return times


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open window [t, t + window)."""
    ordered, best, low = sorted(times), 0, 0
    for high, moment in enumerate(ordered):
        while ordered[low] <= moment - window:
            low += 1
        best = max(best, high - low + 1)
    return best


def ratio_line(name: str, value: float, target: float) -> str:
    """The closing line of a benchmark for one comparison."""
    return f"ratio {name} = {value:.2f}x (target <= {target:g})"


def ms(seconds: float) -> str:
    """Seconds as milliseconds with two decimals."""
    return f"{seconds * 1000:.2f} ms"


def peak_rss_kib() -> int:
    """This process's peak resident memory (VmHWM, else ru_maxrss), in KiB."""
    found = _proc_status("VmHWM")
    if found is not None:
        return found
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def current_rss_kib() -> int:
    """This process's resident memory now (VmRSS), in KiB (0 where /proc is missing)."""
    return _proc_status("VmRSS") or 0


def _proc_status(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def mib(kib: float) -> str:
    """KiB as MiB with one decimal."""
    return f"{kib / 1024:.1f} MiB"


def child_env(pycache: str) -> dict[str, str]:
    """The environment of a measured child process: byte code cached under `pycache`.

    Imports then read compiled files after a warm-up run, as an installed package does,
    even where PYTHONDONTWRITEBYTECODE is set and the source tree has no __pycache__.
    """
    env = {**os.environ, "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
