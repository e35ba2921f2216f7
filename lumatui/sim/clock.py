"""Time as the simulator sees it: wall-clock seconds, injectable so tests never sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""A function returning the current time in seconds since the epoch."""


def system_clock() -> float:
    """The real time."""
    return time.time()


class ManualClock:
    """A clock that moves only when told to; safe to share between threads."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds`; returns the new time."""
        with self._lock:
            self._now += seconds
            return self._now
