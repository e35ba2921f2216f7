"""The client's httpx connection pools: the API's behind the GET limiter, downloads' apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from lumatui.api.limiter import limited_transports

if TYPE_CHECKING:
    from lumatui.api.limiter import SlidingWindowLimiter


def open_pool(
    transport: httpx.AsyncBaseTransport | None,
    headers: dict[str, str],
    timeout: httpx.Timeout,
    limiter: SlidingWindowLimiter | None = None,
) -> httpx.AsyncClient:
    """A pool that never follows redirects; with `limiter`, every transport it may use (the
    given one, or httpx's default and the environment's proxies) sits behind it."""
    mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None
    if limiter is not None:
        transport, mounts = limited_transports(transport, limiter)
    return httpx.AsyncClient(
        transport=transport,
        mounts=mounts,
        timeout=timeout,
        follow_redirects=False,
        headers=headers,
    )
