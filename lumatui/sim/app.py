"""The simulator's HTTP face: Starlette routes for /v1, signed file downloads and /_sim.

Routes: `POST /v1/generations`, `GET /v1/generations/{id}`, the Files API (`/v1/files...`
and the presigned `PUT /uploads/{id}`, in `files_routes`), `GET /files/{id}/{name}`
(presigned output downloads, no Authorization), `GET /_sim/stats` and `GET /_sim/health`
(simulator-only, outside /v1). Every response carries X-Request-Id (the caller's, echoed,
or a new UUID) and X-API-Version; a successful POST adds X-RateLimit-Limit and
X-RateLimit-Remaining.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from lumatui.sim.errors import ApiError
from lumatui.sim.files_routes import file_routes
from lumatui.sim.service import Simulator, caller_of
from lumatui.sim.settings import API_VERSION
from lumatui.sim.signing import access_denied_xml

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from lumatui.sim.clock import Clock
    from lumatui.sim.render import MediaBackend
    from lumatui.sim.settings import SimSettings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_FILE_NAME = re.compile(r"^[0-9]+\.(png|jpg|mp4)$")
_MIME = {"png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4"}


class InjectedDisconnect(Exception):
    """Raised after part of a reply was sent, so the server drops the connection."""


class DroppedResponse(Response):
    """Announces the full body, sends only the first half, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        raise InjectedDisconnect("fault injected: connection dropped")


class StandardHeaders:
    """ASGI middleware adding X-Request-Id and X-API-Version to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1").strip()
        request_id = sent if _REQUEST_ID.match(sent) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            """Add the headers to the response start."""
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-api-version", API_VERSION.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _caller(request: Request) -> str:
    """The caller's identity from its bearer key, or an ApiError (401, 403)."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError(
            401,
            "Missing or invalid API key: send Authorization: Bearer <your key>.",
            {"WWW-Authenticate": "Bearer"},
        )
    if "suspended" in key.lower():
        raise ApiError(403, "This API client is suspended or deactivated.")
    return caller_of(key)


def _shape(
    status: int, body: dict[str, Any], fault: str | None, headers: dict[str, str]
) -> Response:
    """The JSON reply, broken as the drawn fault says (reset or badjson)."""
    if fault == "reset":
        return DroppedResponse(json.dumps(body), status, headers, media_type="application/json")
    if fault == "badjson":
        text = json.dumps(body)
        return Response(text[: len(text) // 2], status, headers, media_type="application/json")
    return JSONResponse(body, status, headers=headers)


async def _api_fault(sim: Simulator, request: Request) -> str | None:
    """Draw the fault for an API call; raise the ones that replace the reply entirely."""
    fault = sim.faults.draw_api(request.url.path)
    if fault is None:
        return None
    if fault.isdigit():
        status = int(fault)
        headers = {"Retry-After": "1"} if status == 429 else {}
        message = "Too many requests." if status == 429 else "Upstream service error."
        raise ApiError(status, f"{message} (simulated fault)", headers)
    if fault == "slow":
        await asyncio.sleep(sim.settings.slow_s)
    return fault


def build_app(sim: Simulator) -> Starlette:
    """The ASGI app serving one Simulator."""

    async def create_generation(request: Request) -> Response:
        """POST /v1/generations."""
        fault: str | None = None
        try:
            caller = _caller(request)
            fault = await _api_fault(sim, request)
            body, verdict = await sim.create(caller, await request.body())
        except ApiError as error:
            return _shape(error.status, {"detail": error.detail}, fault, error.headers)
        headers = {
            "X-RateLimit-Limit": str(verdict.limit),
            "X-RateLimit-Remaining": str(verdict.remaining),
        }
        return _shape(201, body, fault, headers)

    async def get_generation(request: Request) -> Response:
        """GET /v1/generations/{id}."""
        fault: str | None = None
        try:
            caller = _caller(request)
            fault = await _api_fault(sim, request)
            origin = str(request.base_url).rstrip("/")
            body = sim.get(caller, request.path_params["generation_id"], origin)
        except ApiError as error:
            return _shape(error.status, {"detail": error.detail}, fault, error.headers)
        return _shape(200, body, fault, {})

    async def download(request: Request) -> Response:
        """GET /files/{id}/{name}: a presigned output download."""
        gid, name = request.path_params["generation_id"], request.path_params["name"]
        now = sim.clock()
        expires = request.query_params.get("expires")
        problem = sim.signer.check(
            request.url.path, expires, request.query_params.get("signature"), now
        )
        request_id = request.state.request_id
        if problem:
            xml = access_denied_xml(problem, expires=expires, now=now, request_id=request_id)
            return Response(xml, 403, media_type="application/xml")
        path = sim.settings.state_dir / "outputs" / gid / name
        if not _FILE_NAME.match(name) or not path.is_file():
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                "<Message>The specified key does not exist.</Message>"
                f"<RequestId>{request_id}</RequestId></Error>"
            )
            return Response(xml, 404, media_type="application/xml")
        mime = _MIME[name.rsplit(".", 1)[1]]
        if request.method == "GET" and sim.faults.draw_download(request.url.path) == "truncate":
            return DroppedResponse(path.read_bytes(), 200, media_type=mime)
        return FileResponse(path, media_type=mime)

    async def stats(request: Request) -> Response:
        """GET /_sim/stats: injected faults and counts."""
        del request
        return JSONResponse(
            {
                "faults": sim.faults.stats(),
                "generations": sim.store.count(),
                "renders_in_progress": sim.renderer.pending(),
            }
        )

    async def health(request: Request) -> Response:
        """GET /_sim/health."""
        del request
        return JSONResponse({"ok": True, "api_version": API_VERSION})

    async def http_error(request: Request, exc: Exception) -> Response:
        """Routing errors (404, 405) as `{"detail": ...}`."""
        del request
        assert isinstance(exc, HTTPException)
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    app = Starlette(
        routes=[
            Route("/v1/generations", create_generation, methods=["POST"]),
            Route("/v1/generations/{generation_id}", get_generation, methods=["GET"]),
            *file_routes(sim, _caller, _api_fault, _shape),
            Route("/files/{generation_id}/{name}", download, methods=["GET", "HEAD"]),
            Route("/_sim/stats", stats, methods=["GET"]),
            Route("/_sim/health", health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.add_middleware(StandardHeaders)
    app.state.simulator = sim
    return app


def create_app(
    settings: SimSettings, *, clock: Clock | None = None, media: MediaBackend | None = None
) -> tuple[Starlette, Simulator]:
    """A new Simulator on `settings` and the ASGI app serving it."""
    from lumatui.sim.clock import system_clock

    sim = Simulator(settings, clock=clock or system_clock, media=media)
    return build_app(sim), sim
