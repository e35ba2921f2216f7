"""Faults on demand: server errors, 429s, dropped connections, slow and malformed replies.

A profile such as `500=0.05,429=0.05,reset=0.02,slow=0.05,badjson=0.01,truncate=0.02`
gives each fault's chance per request. Any HTTP status from 500 to 599 may be named, and
429. Faults are drawn from two random streams fixed by the seed, one for API requests and
one for file downloads, one draw per request, so the same seed and the same sequence of
requests inject the same faults.

| fault      | applies to     | effect                                                            |
|------------|----------------|-------------------------------------------------------------------|
| `5xx`      | API requests   | that status with a string `detail`; nothing is created            |
| `429`      | API requests   | 429 with `Retry-After: 1`; nothing is created                     |
| `reset`    | API requests   | the request is carried out (a POST creates and charges its job),  |
|            |                | then the connection drops in the middle of the reply              |
| `slow`     | API requests   | the reply comes `slow_s` seconds late                             |
| `badjson`  | API requests   | the request is carried out, the JSON reply is cut in half         |
| `truncate` | file downloads | the full Content-Length is sent, then only half the bytes, then   |
|            |                | the connection drops                                              |
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

API_FAULTS = ("reset", "slow", "badjson")
DOWNLOAD_FAULTS = ("truncate",)


class FaultSpecError(ValueError):
    """A fault profile that cannot be understood."""


@dataclass(frozen=True)
class FaultProfile:
    """Each fault's chance per request, by name ("500", "429", "reset", ...)."""

    rates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(cls, spec: str) -> FaultProfile:
        """Read a profile such as "500=0.05,reset=0.02"; raises FaultSpecError."""
        rates: dict[str, float] = {}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, eq, value = part.partition("=")
            name = name.strip().lower()
            if not eq:
                raise FaultSpecError(f"{part!r}: write each fault as name=rate, like 500=0.05")
            if not _known(name):
                raise FaultSpecError(
                    f"{name!r} is not a fault; use 429, 500-599, reset, slow, badjson, truncate"
                )
            try:
                rate = float(value)
            except ValueError:
                raise FaultSpecError(f"{part!r}: the rate must be a number") from None
            if not 0 <= rate <= 1:
                raise FaultSpecError(f"{part!r}: the rate must be between 0 and 1")
            rates[name] = rate
        for group in (_api_names(rates), DOWNLOAD_FAULTS):
            if sum(rates.get(n, 0.0) for n in group) > 1:
                raise FaultSpecError("the rates of one kind of request add up to more than 1")
        return cls(tuple(rates.items()))

    def table(self, names: tuple[str, ...]) -> list[tuple[str, float]]:
        """The faults among `names` with their rates, in profile order."""
        return [(name, rate) for name, rate in self.rates if name in names and rate > 0]

    def __str__(self) -> str:
        return ",".join(f"{name}={rate:g}" for name, rate in self.rates)


def _known(name: str) -> bool:
    if name in API_FAULTS or name in DOWNLOAD_FAULTS or name == "429":
        return True
    return name.isdigit() and 500 <= int(name) <= 599


def _api_names(rates: dict[str, float]) -> tuple[str, ...]:
    return tuple(n for n in rates if n not in DOWNLOAD_FAULTS)


@dataclass
class FaultInjector:
    """Draws the fault (or none) for each request and counts what it injected."""

    profile: FaultProfile
    seed: int
    counts: Counter[str] = field(default_factory=Counter)
    log: list[tuple[int, str, str]] = field(default_factory=list)
    _streams: dict[str, random.Random] = field(default_factory=dict)
    _draws: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draw_api(self, path: str) -> str | None:
        """The fault for the next API request, or None."""
        names = tuple(name for name, _ in self.profile.rates if name not in DOWNLOAD_FAULTS)
        return self._draw("api", names, path)

    def draw_download(self, path: str) -> str | None:
        """The fault for the next file download, or None."""
        return self._draw("download", DOWNLOAD_FAULTS, path)

    def _draw(self, stream: str, names: tuple[str, ...], path: str) -> str | None:
        table = self.profile.table(names)
        if not table:
            return None
        with self._lock:
            rng = self._streams.get(stream)
            if rng is None:
                digest = hashlib.sha256(f"{self.seed}:faults:{stream}".encode()).digest()
                rng = self._streams[stream] = random.Random(int.from_bytes(digest[:8], "big"))
            self._draws[stream] += 1
            roll = rng.random()
            for name, rate in table:
                if roll < rate:
                    self.counts[name] += 1
                    self.log.append((self._draws[stream], name, path))
                    del self.log[:-1000]
                    return name
                roll -= rate
            return None

    def stats(self) -> dict[str, object]:
        """What has been injected so far, for GET /_sim/stats."""
        with self._lock:
            return {
                "profile": str(self.profile),
                "seed": self.seed,
                "requests": dict(self._draws),
                "injected": dict(self.counts),
                "log": [{"n": n, "fault": f, "path": p} for n, f, p in self.log],
            }
