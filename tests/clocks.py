"""A clock for tests that moves only when code under test sleeps on it: no test waits."""

from __future__ import annotations

import asyncio
import math


class SteppedClock:
    """A monotonic clock and a matching `sleep`: sleeping moves the clock, then yields."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` (a busy machine resuming a task late)."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Let `seconds` pass at once."""
        self.slept.append(seconds)
        self.now = max(self.now + max(seconds, 0.0), math.nextafter(self.now, math.inf))
        await asyncio.sleep(0)


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open window [t, t + window)."""
    ordered, best, low = sorted(times), 0, 0
    for high, moment in enumerate(ordered):
        while ordered[low] <= moment - window:
            low += 1
        best = max(best, high - low + 1)
    return best
