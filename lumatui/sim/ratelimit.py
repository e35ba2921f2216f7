"""Per-key rate limits: requests per minute on a sliding 60 s window, and concurrent jobs.

Which requests count toward RPM: every authenticated `POST /v1/generations` that is not
itself refused with 429 — including ones later rejected with 400, 402, 413 or 422, as a
gateway in front of the service would count them. A 429 does not count, so a client that
honours Retry-After is let through when it comes back. Concurrency counts only jobs that
were created and have not ended (queued + processing). GETs are not limited.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass

WINDOW_S = 60.0
MAX_RETRY_AFTER_S = 60


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass; when not, why and how many seconds to wait."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int = 0
    reason: str = ""


def retry_seconds(wait_s: float) -> int:
    """A Retry-After value: whole seconds, at least 1 and at most 60."""
    return max(1, min(MAX_RETRY_AFTER_S, math.ceil(wait_s)))


class RateLimiter:
    """Sliding-window request counting per caller, plus the concurrency check."""

    def __init__(self, requests_per_minute: int, concurrent_jobs: int) -> None:
        self.requests_per_minute = requests_per_minute
        self.concurrent_jobs = concurrent_jobs
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def admit(self, caller: str, now: float, active_job_ends: list[float]) -> Verdict:
        """Count one POST if both limits allow it; `active_job_ends` are the caller's jobs."""
        limit = self.requests_per_minute
        with self._lock:
            hits = self._hits[caller]
            while hits and hits[0] <= now - WINDOW_S:
                hits.popleft()
            if len(hits) >= limit:
                wait = hits[0] + WINDOW_S - now
                return Verdict(
                    False,
                    limit,
                    0,
                    retry_seconds(wait),
                    f"Rate limit exceeded: {limit} requests per minute. "
                    f"Retry in {retry_seconds(wait)} s.",
                )
            if len(active_job_ends) >= self.concurrent_jobs:
                ending = active_job_ends[len(active_job_ends) - self.concurrent_jobs]
                wait = max(ending - now, 1.0)
                return Verdict(
                    False,
                    limit,
                    limit - len(hits),
                    retry_seconds(wait),
                    f"Concurrent job limit reached: {self.concurrent_jobs} jobs are queued or "
                    f"processing. Retry in {retry_seconds(wait)} s.",
                )
            hits.append(now)
            return Verdict(True, limit, limit - len(hits))
