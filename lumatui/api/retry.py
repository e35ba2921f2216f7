"""The one retry policy: exponential backoff, and how far a server's Retry-After is believed.

The client (GET retries), the submitter (held POSTs), the poller and the downloader all
wait through these two functions, so a delay means the same thing everywhere.
"""

from __future__ import annotations

MAX_RETRY_AFTER_S = 120.0
"""A Retry-After longer than this is not believed (a broken or hostile reply would stop a
queue for days): the caller's own backoff is used instead."""
MAX_EXPONENT = 32
"""Failures beyond this count no more (2.0 ** 1025 overflows a float)."""


def backoff_delay(failures: int, *, base: float = 2.0, cap: float = 120.0) -> float:
    """`base` after the first failure, doubling with each one after it, never over `cap`."""
    exponent = min(max(failures - 1, 0), MAX_EXPONENT)
    return min(base * 2.0**exponent, cap)


def believed_retry_after(hint: float | None, *, cap: float = MAX_RETRY_AFTER_S) -> float | None:
    """The server's Retry-After when it is a sane number of seconds (<= `cap`), else None."""
    if hint is None or not 0.0 <= hint <= cap:
        return None
    return hint


def retry_delay(
    hint: float | None, failures: int, *, base: float = 2.0, cap: float = 120.0
) -> float:
    """Seconds to wait: the server's Retry-After when believed, else the backoff."""
    believed = believed_retry_after(hint)
    return believed if believed is not None else backoff_delay(failures, base=base, cap=cap)
