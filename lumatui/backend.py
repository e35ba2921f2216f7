"""Which API lumatui talks to: Luma's, or the built-in simulator when no key is set.

The TUI and the CLI both open their backend here, so "no key means the simulator, and
the screen says so" holds everywhere. The simulator keeps its state under the data dir,
so a chain can reference yesterday's generation.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.engine.jobs import ORIGIN_API, ORIGIN_SIMULATOR, Orphan

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.client import AgentsClient
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.service import Engine
    from lumatui.engine.thumbnails import ThumbnailCache
    from lumatui.engine.uploads import Uploader
    from lumatui.sim.server import RunningSimulator

THUMBNAIL_MEMORY_ITEMS = 12
"""Thumbnails kept decoded (the preview's last few jobs; a video is three): each is up to
480x480 RGB (~0.7 MB), and the disk cache gives back any other in milliseconds."""
THUMBNAIL_MEMORY_PIXELS = THUMBNAIL_MEMORY_ITEMS * 480 * 480

SIMULATOR_LABEL = "SIMULATOR"
API_LABEL = "Luma API"

SIMULATOR_KEY = "lumatui-local-simulator"
"""The key lumatui uses with its own simulator: any non-empty key works there; not a secret."""


@dataclass
class Backend:
    """An API client, and the simulator serving it when there is one."""

    client: AgentsClient
    label: str
    simulator: RunningSimulator | None
    time_scale: float

    @property
    def is_simulator(self) -> bool:
        """True when talking to the built-in simulator."""
        return self.simulator is not None

    async def aclose(self) -> None:
        """Close the client and stop the simulator."""
        await self.client.aclose()
        if self.simulator is not None:
            self.simulator.stop()


def uses_simulator(settings: Settings, *, force_simulator: bool = False) -> bool:
    """Whether `open_backend` opens the simulator: no key set, or the simulator forced."""
    return settings.api_key is None or force_simulator


def backend_label(settings: Settings, *, force_simulator: bool = False) -> str:
    """What the header calls the backend `open_backend` opens, known before it is opened."""
    return (
        SIMULATOR_LABEL if uses_simulator(settings, force_simulator=force_simulator) else API_LABEL
    )


def open_backend(settings: Settings, paths: AppPaths, *, force_simulator: bool = False) -> Backend:
    """Luma's API when a key is set (and the simulator is not forced), else the simulator."""
    from lumatui.api.client import AgentsClient

    if not uses_simulator(settings, force_simulator=force_simulator):
        assert settings.api_key is not None  # uses_simulator: a key is set
        client = AgentsClient(
            settings.api_key.get_secret_value(),
            settings.base_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            allow_insecure_http=settings.allow_insecure_http,
            max_get_retries=1,
        )
        return Backend(client, API_LABEL, None, 1.0)
    running = start_simulator(settings, paths)
    client = AgentsClient(
        SIMULATOR_KEY,
        running.base_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_get_retries=1,
    )
    return Backend(client, SIMULATOR_LABEL, running, 1.0 / settings.sim.speed)


def start_simulator(settings: Settings, paths: AppPaths) -> RunningSimulator:
    """Start the built-in simulator on 127.0.0.1 and a free port, in a background thread."""
    from lumatui.sim import SimSettings, start_in_background

    knobs = settings.sim.model_dump(exclude_none=True)
    return start_in_background(SimSettings(state_dir=paths.simulator_dir, **knobs))


def open_engine(
    backend: Backend,
    paths: AppPaths,
    settings: Settings,
    *,
    kind: str = "workstation",
    may_lead: bool = True,
    orphan: Orphan = Orphan.SEND,
    history: tuple[AsyncJobStore, ThumbnailCache] | None = None,
) -> Engine:
    """The engine over the store under `paths`, talking through `backend`.

    `kind` names this process to the others on the history, `may_lead` lets it become the
    primary, `orphan` says what becomes of its unsent jobs if it stops (see EngineOptions).
    `history` is the store and thumbnail cache `open_history` opened already (the
    workstation shows the history before it opens its engine).
    """
    from lumatui.engine.service import Engine, EngineOptions

    db, thumbnails = history if history is not None else open_history(paths)
    try:
        options = EngineOptions(
            rate_limit=settings.poll_rate_limit,
            time_scale=backend.time_scale,
            learn_durations=not backend.is_simulator,  # the simulator plays the priors exactly
            kind=kind,
            may_lead=may_lead,
            orphan=orphan,
            origin=ORIGIN_SIMULATOR if backend.is_simulator else ORIGIN_API,
        )
        return Engine(db, backend.client, paths.outputs_dir, thumbnails=thumbnails, options=options)
    except BaseException:
        if history is None:  # opened here: closed here (the caller closes its own)
            with contextlib.suppress(Exception):
                db.close()
        raise


def open_history(paths: AppPaths) -> tuple[AsyncJobStore, ThumbnailCache]:
    """The store under `paths` and the process's one thumbnail cache (the preview and the
    engine share it), without the API client or the engine (cheap to import and open)."""
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

    store = JobStore.open(paths.database)
    thumbnails = ThumbnailCache(
        paths.thumbnails_dir,
        max_memory_items=THUMBNAIL_MEMORY_ITEMS,
        max_memory_pixels=THUMBNAIL_MEMORY_PIXELS,
    )
    return AsyncJobStore(store), thumbnails


def open_uploader(
    backend: Backend,
    paths: AppPaths,
    settings: Settings,
    *,
    warn: Callable[[str], None] | None = None,
) -> Uploader:
    """Uploads of local media through `backend`, remembered in the data dir's files.db."""
    from lumatui.engine.file_ids import FileIdCache
    from lumatui.engine.uploads import Uploader

    paths.ensure_dirs()
    return Uploader(
        backend.client,
        FileIdCache(paths.file_ids),
        inline_cap=settings.inline_cap_bytes,
        warn=warn,
    )
