"""Snapshots of the workstation's main states at 120x40 and 80x24, with fixed content.

Nothing here talks to a server: the store is seeded with fixed jobs (fixed ids, times and
a fixed clock), the client never answers, the half-cell image renderer is forced, and the
data folder and time zone are fixed, so every run draws the same picture.
`scripts/screenshots.py` can build the same states through `snapshot_app`.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from lumatui.api.client import AgentsClient
from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest
from lumatui.backend import Backend
from lumatui.config import app_paths, load_settings
from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from tests.tui.conftest import FIXED_NOW, generation_id, seed_job, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from textual.pilot import Pilot

    from lumatui.tui.app import LumaApp

SIZES = [(120, 40), (80, 24)]


class SilentClient(AgentsClient):
    """A client whose calls never return: the engine runs, but nothing changes."""

    async def get(self, generation_id: str) -> Generation:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def create(self, request: GenerationRequest) -> Generation:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.fixture
def fixed_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The same LUMATUI_HOME and time zone on every run (paths and times are on screen)."""
    home = Path(tempfile.gettempdir()) / "lumatui-snapshot-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    monkeypatch.setenv("LUMATUI_HOME", str(home))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield home
    monkeypatch.undo()
    time.tzset()
    shutil.rmtree(home, ignore_errors=True)


def seed_history(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finished image (with its file on disk), a failed job, a running one, an uncertain one.

    Local ids come from uuid4: they are made fixed here, as the screen shows some of them.
    """
    numbers = iter(range(1, 1000))
    monkeypatch.setattr(
        "lumatui.engine.store.uuid.uuid4",
        lambda: uuid.uuid5(uuid.NAMESPACE_URL, f"lumatui-local-{next(numbers)}"),
    )
    paths = app_paths({"LUMATUI_HOME": str(home)})
    paths.ensure_dirs()
    with JobStore.open(paths.database) as store:
        done = seed_job(store, 1, "a red fox in fresh snow, morning light", took=31.0)
        image = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
        folder = paths.outputs_dir / generation_id(1)
        folder.mkdir(parents=True)
        path = folder / "0.png"
        image.save(path, format="PNG")
        data = path.read_bytes()
        output = GenerationOutput(type="image", url="https://outputs.invalid/0.png")
        store.record_outputs(done.id, [output], now=FIXED_NOW - 600)
        store.record_download(
            done.id, 0, str(path), len(data), hashlib.sha256(data).hexdigest(), now=FIXED_NOW - 590
        )
        seed_job(
            store,
            2,
            "[moderate] a fox [bold]in markup[/bold]",
            state=JobState.FAILED,
            failure_code="content_moderated",
            failure_reason="The prompt was flagged by moderation.",
            took=12.0,
        )
        seed_job(
            store,
            3,
            "the fox runs through the forest",
            type_="video",
            model="ray-3.2",
            state=JobState.PROCESSING,
            took=5.0,
        )
        seed_job(store, 4, "a fox at dusk", state=JobState.UNCERTAIN)


def snapshot_app(home: Path) -> LumaApp:
    """The app over `home`'s store with a silent client and a fixed clock."""
    from lumatui.tui.app import LumaApp

    paths = app_paths({"LUMATUI_HOME": str(home)})
    settings = load_settings(paths, environ={"LUMATUI_HOME": str(home)})
    client = SilentClient("snapshot-key", "http://127.0.0.1:9/v1")
    backend = Backend(client, "SIMULATOR", None, 1.0)
    clock: Callable[[], float] = lambda: FIXED_NOW  # noqa: E731
    return LumaApp(settings, paths, backend, clock=clock, image_renderer="halfcell")


async def settle(pilot: Pilot[Any], *keys: str) -> None:
    """Wait for the engine, the thumbnails and the first frame; then press `keys`."""
    app: Any = pilot.app
    await wait_until(pilot, lambda: app.engine_started)
    await pilot.pause()
    await app.workers.wait_for_complete()
    if keys:
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
    await pilot.pause()
    # The preview leaves its (animated, indeterminate) download bar showing while no job
    # is selected; hide it here so the picture is stable (reported to the preview's owner).
    preview = app.main_screen.preview
    if preview.current_output is None:
        for bar in preview.query(".preview-download"):
            bar.display = False
    focused = app.focused
    await wait_until(pilot, lambda: focused is None or focused.has_focus)
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_start(
    snap_compare: Callable[..., bool], fixed_home: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(snapshot_app(fixed_home), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_after_a_completed_job(
    snap_compare: Callable[..., bool],
    fixed_home: Path,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_history(fixed_home, monkeypatch)

    async def to_the_list(pilot: Pilot[Any]) -> None:
        await settle(pilot, "f3", "j", "j", "j")

    assert snap_compare(snapshot_app(fixed_home), terminal_size=size, run_before=to_the_list)


def test_help_screen(snap_compare: Callable[..., bool], fixed_home: Path) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await settle(pilot, "f1")

    assert snap_compare(snapshot_app(fixed_home), terminal_size=(120, 40), run_before=open_help)
