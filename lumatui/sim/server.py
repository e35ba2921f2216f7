"""Serving the simulator with uvicorn: in a background thread (tests, the TUI) or blocking (CLI)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn

from lumatui.sim.app import InjectedDisconnect, create_app

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.types import ASGIApp

    from lumatui.sim.clock import Clock
    from lumatui.sim.render import MediaBackend
    from lumatui.sim.service import Simulator
    from lumatui.sim.settings import SimSettings

START_TIMEOUT_S = 30.0


class _QuietInjectedFaults(logging.Filter):
    """Keeps the connections dropped on purpose out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for records about an InjectedDisconnect."""
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDisconnect)


def _quiet_uvicorn() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietInjectedFaults) for f in logger.filters):
        logger.addFilter(_QuietInjectedFaults())


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is ready to accept connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as usual, then say so."""
        await super().startup(sockets=sockets)
        self.ready.set()

    def install_signal_handlers(self) -> None:
        """Signals belong to the main thread's program, not to a background server."""


@dataclass
class RunningSimulator:
    """A simulator serving on loopback in a background thread."""

    base_url: str
    simulator: Simulator
    _server: _Server
    _thread: threading.Thread

    @property
    def origin(self) -> str:
        """The server's scheme, host and port, without /v1."""
        return self.base_url.removesuffix("/v1")

    def wait_rendered(self, generation_id: str, timeout: float = 60.0) -> None:
        """Block until a job's output has been rendered."""
        self.simulator.renderer.wait(generation_id, timeout)

    def stop(self) -> None:
        """Stop serving, wait for the thread, and close the simulator."""
        self._server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT_S)
        self.simulator.close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_background(
    settings: SimSettings,
    *,
    clock: Clock | None = None,
    media: MediaBackend | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
) -> RunningSimulator:
    """Serve a simulator on `host` (loopback) and a free port, in a daemon thread.

    `wrap` puts ASGI middleware around the simulator (tests use it to stall a download).
    """
    _quiet_uvicorn()
    app, sim = create_app(settings, clock=clock, media=media)
    served: ASGIApp = wrap(app) if wrap is not None else app
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every keep-alive reply waits 40 ms for a delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound = sock.getsockname()[1]
    config = uvicorn.Config(served, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)

    def run() -> None:
        """The server thread."""
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name="lumatui-simulator", daemon=True)
    thread.start()
    if not server.ready.wait(START_TIMEOUT_S):
        server.should_exit = True
        sim.close()
        raise RuntimeError("the simulator did not start in time")
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return RunningSimulator(f"http://{shown}:{bound}/v1", sim, server, thread)


def serve(host: str, port: int, settings: SimSettings, *, log_level: str = "info") -> None:
    """Serve a simulator in the foreground until interrupted."""
    _quiet_uvicorn()
    app, sim = create_app(settings)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="off")
    finally:
        sim.close()
