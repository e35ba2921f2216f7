"""A client that never answers, for the benchmarks' workstation (kept apart from `_workstation`,
whose `with_first_frame` the bare app's child imports: this module loads httpx and pydantic)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lumatui.api.client import AgentsClient

if TYPE_CHECKING:
    from lumatui.api.schema import Generation, GenerationRequest
    from lumatui.api.sending import SendProbe


class SilentClient(AgentsClient):
    """A client whose calls never return: the engine runs, but nothing changes."""

    async def get(self, generation_id: str) -> Generation:
        """Wait forever (the poller is cancelled when the app stops)."""
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def create(
        self, request: GenerationRequest, *, probe: SendProbe | None = None
    ) -> Generation:
        """Wait forever."""
        await asyncio.Event().wait()
        raise AssertionError("unreachable")
