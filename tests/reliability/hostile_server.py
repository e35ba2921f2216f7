"""A hostile API in front of the simulator: it breaks the replies about one job per case.

`HostileApi` is the client's transport. It forwards everything to the real simulator on
loopback, except the replies about a job whose prompt is `HOSTILE <case id>` while that
case is armed: its create reply (`post` cases), its status replies (`get` cases) or its
output files (`download` cases, through `HostileFiles`, the download transport) are
replaced by what the case makes. Every other job is served normally. Neither transport ever
leaves loopback: a request to another host is recorded and refused as a connection error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from lumatui.api.hosts import is_loopback

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

HOSTILE = "HOSTILE"
Target = Literal["post", "get", "download"]
Sink = Literal[
    "note", "failure", "output_error", "job_error", "connectivity", "paused", "completes"
]


@dataclass
class Ctx:
    """What a case sees when it makes its reply."""

    request: httpx.Request
    real: dict[str, Any] | None = None
    """The real JSON reply (get cases), or None."""
    real_body: bytes = b""
    """The real file (download cases)."""


@dataclass(frozen=True)
class Case:
    """One bad server reply: where it goes, how it is made, and where its message must end."""

    id: str
    target: Target
    make: Callable[[Ctx], httpx.Response | None]
    sink: Sink
    text: str
    """A fragment the message must contain (case-insensitive)."""
    times: int | None = None
    """Serve the bad reply this many times, then the real one; None: always."""
    body: dict[str, Any] = field(default_factory=dict)
    """Request fields for the hostile job (an image by default)."""
    forward: bool = False
    """Post cases: send the request on (the job is created), then break the reply."""


class DroppedStream(httpx.AsyncByteStream):
    """Yields part of a body, then the connection drops."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        raise httpx.ReadError("connection reset by peer")


def _real_json(response: httpx.Response, content: bytes) -> dict[str, Any] | None:
    if not 200 <= response.status_code < 300:
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass
class Armed:
    """A case in play: the job it breaks, and how many bad replies it has served."""

    case: Case
    gid: str | None = None
    served: int = 0
    retired: bool = False

    def serve(self, target: Target) -> bool:
        """True while this case still breaks replies of this kind."""
        if self.retired or self.case.target != target:
            return False
        return self.case.times is None or self.served < self.case.times


class HostileApi(httpx.AsyncBaseTransport):
    """The API transport: real simulator replies, except those about the armed cases' jobs.

    A job's prompt `HOSTILE <case id>` ties it to its case. A retired case serves real
    replies again, so its job can finish and stops costing requests.
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.armed: dict[str, Armed] = {}
        self.offhost: list[str] = []

    def arm(self, case: Case) -> Armed:
        """Start breaking the replies about the job of `case`."""
        self.armed[case.id] = armed = Armed(case)
        return armed

    def by_gid(self, path: str) -> Armed | None:
        """The armed case whose job this URL path is about."""
        for armed in self.armed.values():
            if armed.gid and f"/{armed.gid}" in path:
                return armed
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_loopback(request.url.host):
            self.offhost.append(str(request.url))
            raise httpx.ConnectError("test transport: only loopback is reachable", request=request)
        if request.method == "POST":
            prompt = str(json.loads(request.content).get("prompt", ""))
            head, _, case_id = prompt.partition(" ")
            armed = self.armed.get(case_id) if head == HOSTILE else None
            if armed is None:
                return await self.inner.handle_async_request(request)
            return await self._post(request, armed)
        armed = self.by_gid(request.url.path)
        if armed is None or not armed.serve("get"):
            return await self.inner.handle_async_request(request)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        reply = armed.case.make(Ctx(request, _real_json(response, content)))
        if reply is None:  # the case waits for a later state (e.g. completed)
            return httpx.Response(response.status_code, headers=response.headers, content=content)
        armed.served += 1
        return reply

    async def _post(self, request: httpx.Request, armed: Armed) -> httpx.Response:
        breaking = armed.serve("post")
        if breaking and not armed.case.forward:
            reply = armed.case.make(Ctx(request))
            if reply is not None:
                armed.served += 1
                return reply
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        real = _real_json(response, content)
        if real is not None:
            armed.gid = str(real.get("id"))
        if breaking and armed.case.forward:
            reply = armed.case.make(Ctx(request, real))
            if reply is not None:
                armed.served += 1
                return reply
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()


class HostileFiles(httpx.AsyncBaseTransport):
    """The download transport: real files, except the armed download cases' jobs'."""

    def __init__(self, api: HostileApi) -> None:
        self.api = api
        self.inner = httpx.AsyncHTTPTransport()
        self.headers_seen: list[httpx.Headers] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.headers_seen.append(request.headers)
        if not is_loopback(request.url.host):
            self.api.offhost.append(str(request.url))
            raise httpx.ConnectError("test transport: only loopback is reachable", request=request)
        armed = self.api.by_gid(request.url.path)
        if armed is None or not armed.serve("download"):
            return await self.inner.handle_async_request(request)
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        reply = armed.case.make(Ctx(request, real_body=body))
        if reply is None:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        armed.served += 1
        return reply

    async def aclose(self) -> None:
        await self.inner.aclose()


def json_reply(status: int, value: object, **headers: str) -> httpx.Response:
    """A JSON reply of any shape."""
    return httpx.Response(status, content=json.dumps(value).encode(), headers=_json(headers))


def raw_reply(status: int, content: bytes, content_type: str, **headers: str) -> httpx.Response:
    """A reply with exactly these bytes."""
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return httpx.Response(status, content=content, headers={"content-type": content_type, **named})


def _json(headers: dict[str, str]) -> dict[str, str]:
    return {
        "content-type": "application/json",
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }


def edited(
    change: Callable[[dict[str, Any]], object], *, when: str | None = None
) -> Callable[[Ctx], httpx.Response | None]:
    """A get case: the real reply, changed in place by `change` (once the state is `when`)."""

    def make(ctx: Ctx) -> httpx.Response | None:
        if ctx.real is None or (when is not None and ctx.real.get("state") != when):
            return None
        data = dict(ctx.real)
        change(data)
        return json_reply(200, data)

    return make


def failed_with(
    reason: object, code: object = "generation_failed"
) -> Callable[[Ctx], httpx.Response | None]:
    """A get case: the job failed, with this failure_reason and failure_code."""

    def change(data: dict[str, Any]) -> None:
        data.update(state="failed", failure_code=code, failure_reason=reason)
        data.pop("output", None)

    return edited(change)


def completed_with(outputs: object) -> Callable[[Ctx], httpx.Response | None]:
    """A get case: the job completed, with these outputs."""

    def change(data: dict[str, Any]) -> None:
        data.update(state="completed", output=outputs)

    return edited(change)


def constant(reply: Callable[[], httpx.Response]) -> Callable[[Ctx], httpx.Response | None]:
    """The same reply every time, whatever the real one was."""
    return lambda _ctx: reply()
