"""The built-in Agents API simulator: a faithful, stateful stand-in for Luma's service.

Start one with `start_in_background(SimSettings(state_dir=...))` (loopback, a free port) or
`serve(host, port, settings)`; build the ASGI app alone with `create_app(settings)`.
"""

from __future__ import annotations

from lumatui.sim.app import create_app
from lumatui.sim.clock import ManualClock
from lumatui.sim.server import RunningSimulator, serve, start_in_background
from lumatui.sim.service import Simulator
from lumatui.sim.settings import SimSettings

__all__ = [
    "ManualClock",
    "RunningSimulator",
    "SimSettings",
    "Simulator",
    "create_app",
    "serve",
    "start_in_background",
]
