"""Whether a request's bytes may have left this machine: httpcore's trace, read as it happens.

A POST is a paid job. If it is interrupted (the command stops, the user presses ctrl+c, the
connection fails), what happens to the job depends on one fact: did any byte of the
request go out? httpcore reports `http11.send_request_headers.started` (or the HTTP/2
equivalent) just before the first byte is written; before that event nothing can have
reached the server, so the job provably created nothing and may be sent again later.
"""

from __future__ import annotations

from typing import Any

import httpx

_SENDING = ("http11.send_request_headers.started", "http2.send_request_headers.started")


class SendProbe:
    """Follows one request through httpcore's trace extension."""

    def __init__(self, *, traced: bool = True) -> None:
        self.traced = traced
        """False when the transport does not report trace events (a test double): every
        request handed to it is then taken as possibly sent."""
        self.handed_over = False
        """The request was given to the transport."""
        self.headers_started = False
        """httpcore began writing the request: bytes may have reached the server."""

    @property
    def may_have_sent(self) -> bool:
        """True unless it is certain that no byte of the request left this machine."""
        if not self.handed_over:
            return False
        return self.headers_started or not self.traced

    def follow(self, request: httpx.Request) -> None:
        """Ask httpcore to report this request's progress here; it is being handed over."""
        request.extensions["trace"] = self.trace
        self.handed_over = True

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback (`request.extensions["trace"]`)."""
        if event in _SENDING:
            self.headers_started = True


def reports_trace(transport: httpx.AsyncBaseTransport | None) -> bool:
    """True when requests through `transport` report httpcore's trace events (httpx's own
    transport does; a stand-in says so with a true `reports_trace` attribute)."""
    return (
        transport is None
        or isinstance(transport, httpx.AsyncHTTPTransport)
        or bool(getattr(transport, "reports_trace", False))
    )
