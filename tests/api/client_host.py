"""A scripted API server for the client's tests, and the client made on it (shared helpers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from lumatui.api.client import AgentsClient
from lumatui.api.schema import GenerationRequest

if TYPE_CHECKING:
    from collections.abc import Callable

KEY = "luma-api-TOPSECRET-5f3a9c1e7b"
GID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
BASE = "https://agents.test/v1"


def generation(**changes: Any) -> dict[str, Any]:
    """A valid Generation reply body, with `changes` applied (None removes a field)."""
    body: dict[str, Any] = {
        "id": GID,
        "created_at": "2026-11-27T12:00:00Z",
        "model": "uni-1",
        "state": "queued",
        "type": "image",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


class Sleeps:
    """A fake `sleep` that records each delay instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Server:
    """A scripted MockTransport handler: replies (or raises) in order, recording requests."""

    def __init__(self, *script: httpx.Response | Exception | Callable[..., httpx.Response]):
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise _with_request(step, request)
        if isinstance(step, httpx.Response):
            return step
        return step(request)


def _with_request(exc: Exception, request: httpx.Request) -> Exception:
    if isinstance(exc, httpx.RequestError):
        return type(exc)(str(exc), request=request)
    return exc


def reply(status: int = 200, body: object = None, **headers: str) -> httpx.Response:
    """A JSON reply; `body` defaults to a valid Generation."""
    payload = generation() if body is None else body
    return httpx.Response(status, json=payload, headers=headers)


def make_client(server: Server, sleeps: Sleeps | None = None, **options: Any) -> AgentsClient:
    """An AgentsClient whose API calls go to `server`."""
    return AgentsClient(
        KEY,
        options.pop("base_url", BASE),
        transport=httpx.MockTransport(server),
        sleep=sleeps or Sleeps(),
        **options,
    )


def prompt_request() -> GenerationRequest:
    """The smallest valid request."""
    return GenerationRequest(prompt="a glass of iced coffee")
