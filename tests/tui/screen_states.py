"""The workstation's main states, built the same way for the snapshot tests and the screenshots.

Nothing here talks to a server: the store is seeded with fixed jobs (fixed ids, times and a
fixed clock), the client never answers, the half-cell image renderer is forced, and the
data folder and time zone are fixed, so every run draws the same picture.
`tests/tui/test_app_snapshots.py` compares each state with its snapshot, and
`scripts/screenshots.py` saves the same states as `screenshots/<name>-<cols>x<rows>.svg`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from textual.worker import WorkerCancelled, WorkerError

from lumatui.api.client import AgentsClient
from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest
from lumatui.backend import Backend
from lumatui.config import app_paths, load_settings
from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from tests.tui.conftest import (
    FIXED_NOW,
    UNFINISHED,
    generation_id,
    messages_waiting,
    seed_batch,
    seed_job,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from textual.pilot import Pilot

    from lumatui.api.sending import SendProbe
    from lumatui.config import AppPaths
    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp

SIZES = ((120, 40), (80, 24))
LIST_SIZES = ((80, 24), (120, 40), (160, 45), (250, 70))
"""The sizes the job list is checked at (issue 13: 80 to 250 columns)."""
HOME = Path(tempfile.gettempdir()) / f"lumatui-snapshot-home-{os.getpid()}"
"""The data folder of every state: one per process, so two test runs never share a store
(the engine takes the store's primary lock); no state shows a path under it."""


class SilentClient(AgentsClient):
    """A client whose calls never return: the engine runs, but nothing changes."""

    async def get(self, generation_id: str) -> Generation:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def create(
        self, request: GenerationRequest, *, probe: SendProbe | None = None
    ) -> Generation:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def fresh_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME as LUMATUI_HOME, and UTC (times are on screen); undo with monkeypatch."""
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir()
    monkeypatch.setenv("LUMATUI_HOME", str(HOME))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return HOME


def fixed_local_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local job ids come from uuid4: make them the same on every run (some are on screen)."""
    numbers = itertools.count(1)
    monkeypatch.setattr(
        "lumatui.engine.rows.uuid.uuid4",
        lambda: uuid.uuid5(uuid.NAMESPACE_URL, f"lumatui-local-{next(numbers)}"),
    )


def _paths(home: Path) -> AppPaths:
    paths = app_paths({"LUMATUI_HOME": str(home)})
    paths.ensure_dirs()
    return paths


def _attach_output(
    store: JobStore, paths: AppPaths, job: Job, n: int, data: bytes, kind: str = "image"
) -> None:
    """Register `data` as the job's downloaded first output, as the engine would."""
    suffix = "mp4" if kind == "video" else "png"
    folder = paths.outputs_dir / generation_id(n)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"0.{suffix}"
    path.write_bytes(data)
    output = GenerationOutput(type=kind, url=f"https://outputs.invalid/0.{suffix}")
    store.record_outputs(job.id, [output], now=FIXED_NOW - 600)
    sha = hashlib.sha256(data).hexdigest()
    store.record_download(job.id, 0, str(path), len(data), sha, now=FIXED_NOW - 590)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed_history(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finished image (with its file on disk), a failed job, a running one, an uncertain one."""
    fixed_local_ids(monkeypatch)
    paths = _paths(home)
    with JobStore.open(paths.database) as store:
        done = seed_job(store, 1, "a red fox in fresh snow, morning light", took=31.0)
        image = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
        _attach_output(store, paths, done, 1, _png(image))
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


CHAIN_PROMPTS = (
    "a lighthouse on a cliff at dusk, waves below",
    "make it a stormy night",
    "add a warm glow in the lighthouse window",
    "the waves crash as the light turns",
)


def seed_chain(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """image -> edit -> edit -> animate, each completed with its output on disk."""
    from lumatui.sim.media.paint import render_scene, tint
    from lumatui.sim.media.scene import build_scene

    fixed_local_ids(monkeypatch)
    paths = _paths(home)
    scene = build_scene(CHAIN_PROMPTS[0], 7)
    size = (192, 108)
    base = render_scene(scene, size)
    stormy = tint(base, (10, 14, 48), (110, 150, 230), 0.55)
    glowing = tint(stormy, (24, 16, 48), (255, 196, 90), 0.4)
    with JobStore.open(paths.database) as store:
        image = seed_job(store, 1, CHAIN_PROMPTS[0], aspect_ratio="16:9", took=28.0)
        _attach_output(store, paths, image, 1, _png(base))
        first = seed_job(
            store,
            2,
            CHAIN_PROMPTS[1],
            type_="image_edit",
            took=24.0,
            source={"generation_id": generation_id(1)},
        )
        _attach_output(store, paths, first, 2, _png(stormy))
        second = seed_job(
            store,
            3,
            CHAIN_PROMPTS[2],
            type_="image_edit",
            took=26.0,
            source={"generation_id": generation_id(2)},
        )
        _attach_output(store, paths, second, 3, _png(glowing))
        video = seed_job(
            store,
            4,
            CHAIN_PROMPTS[3],
            type_="video",
            model="ray-3.2",
            took=95.0,
            video={"start_frame": {"generation_id": generation_id(3)}, "duration": "5s"},
        )
        frames = [
            tint(render_scene(scene, size, t), (30, 20, 40), (250, 200, 120), 0.5)
            for t in (0.0, 2.5, 5.0)
        ]
        _attach_output(store, paths, video, 4, _mp4(frames), kind="video")


BATCH_LABEL = "make it {red|blue} at {dawn|dusk}"
BATCH_TINTS = {
    "make it red at dawn": ((60, 10, 10), (255, 170, 120)),
    "make it red at dusk": ((40, 4, 16), (220, 80, 60)),
    "make it blue at dawn": ((10, 20, 60), (150, 200, 255)),
    "make it blue at dusk": ((6, 8, 40), (80, 110, 220)),
}


def seed_batch_flow(home: Path, monkeypatch: pytest.MonkeyPatch, *, settled: bool = False) -> None:
    """The chain, then four variations of its image sent as one batch (`{red|blue}` x
    `{dawn|dusk}`): three completed with their outputs, one still processing (all four
    completed when `settled`), one starred."""
    from lumatui.sim.media.paint import render_scene, tint
    from lumatui.sim.media.scene import build_scene

    seed_chain(home, monkeypatch)
    paths = _paths(home)
    base = render_scene(build_scene(CHAIN_PROMPTS[0], 7), (192, 108))
    states = [JobState.COMPLETED] * 3 + [JobState.COMPLETED if settled else JobState.PROCESSING]
    with JobStore.open(paths.database) as store:
        jobs = seed_batch(
            store,
            10,
            BATCH_LABEL,
            list(zip(BATCH_TINTS, states, strict=True)),
            type_="image_edit",
            source={"generation_id": generation_id(1)},
        )
        for index, job in enumerate(jobs if settled else jobs[:3]):
            dark, light = BATCH_TINTS[job.prompt or ""]
            _attach_output(store, paths, job, 10 + index, _png(tint(base, dark, light, 0.5)))
        store.set_star(jobs[1].id, True)


def seed_batch_settled(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch of `seed_batch_flow`, its four jobs completed."""
    seed_batch_flow(home, monkeypatch, settled=True)


THOUSAND_PROMPTS = (
    "a red fox in fresh snow, morning light",
    "a lighthouse on a cliff at dusk, waves below",
    "an orange cat asleep on a stack of old books",
    "a neon city street in the rain, reflections everywhere",
    "a bowl of ramen, steam rising, top-down",
    "a paper boat on a puddle after the storm",
    "a desert road at noon, heat haze, one car",
    "a hummingbird at a red flower, frozen wings",
)


def seed_thousand(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 jobs over the last hours: mostly completed, some failed or uncertain, the newest
    running (processing, queued) or waiting in the local queue."""
    fixed_local_ids(monkeypatch)
    paths = _paths(home)
    running = {1000: JobState.PROCESSING, 999: JobState.PROCESSING, 998: JobState.QUEUED}
    running |= {997: JobState.WAITING, 996: JobState.PROCESSING}
    with JobStore.open(paths.database) as store:
        for n in range(1, 1001):
            video = n % 3 == 0
            state = running.get(n, JobState.COMPLETED)
            if n not in running and n % 17 == 0:
                state = JobState.FAILED
            elif n not in running and n % 53 == 0:
                state = JobState.UNCERTAIN
            seed_job(
                store,
                n,
                f"{THOUSAND_PROMPTS[n % len(THOUSAND_PROMPTS)]} #{n}",
                state=state,
                type_="video" if video else "image",
                model="ray-3.2" if video else "uni-1",
                took=20.0 + (n * 7) % 90 if state is not JobState.PROCESSING else 4.0,
                failure_code="generation_failed" if state is JobState.FAILED else None,
                failure_reason="The model could not render it."
                if state is JobState.FAILED
                else None,
                created=FIXED_NOW - (1001 - n) * 20 - 30,
            )


def _mp4(frames: list[Image.Image], fps: int = 12, seconds: float = 5.0) -> bytes:
    """An H.264 MP4 of `seconds`, the frames shown one after another for equal times."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream: Any = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        frame_class: Any = av.VideoFrame
        total = round(fps * seconds)
        for i in range(total):
            image = frames[i * len(frames) // total]
            for packet in stream.encode(frame_class.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def snapshot_app(home: Path) -> LumaApp:
    """The app over `home`'s store with a silent client and a fixed clock."""
    from lumatui.tui.app import LumaApp

    paths = app_paths({"LUMATUI_HOME": str(home)})
    settings = load_settings(paths, environ={"LUMATUI_HOME": str(home)})
    client = SilentClient("snapshot-key", "http://127.0.0.1:9/v1")
    backend = Backend(client, "SIMULATOR", None, 1.0)
    clock: Callable[[], float] = lambda: FIXED_NOW  # noqa: E731
    return LumaApp(settings, paths, backend, clock=clock, image_renderer="halfcell")


async def _workers_done(pilot: Pilot[Any]) -> None:
    """Until no worker runs: a store read's worker may start a decoding worker of its own."""
    for _ in range(200):
        await pilot.pause()
        # A newer read replaced one (cancelled); one not started yet cannot be waited for.
        with contextlib.suppress(WorkerCancelled, WorkerError):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        busy = any(worker.state in UNFINISHED for worker in pilot.app.workers)
        if not busy and not messages_waiting(pilot.app):
            return
    raise AssertionError("the workers never settled")


async def settle(pilot: Pilot[Any], *keys: str) -> None:
    """Wait for the engine, the thumbnails and the first frame; then press `keys`."""
    app: Any = pilot.app
    await wait_until(pilot, lambda: app.engine_started)
    await _workers_done(pilot)
    if keys:
        await pilot.press(*keys)
        await _workers_done(pilot)
    await pilot.pause()
    # A caret blinks on a timer: on a busy machine the picture could catch it hidden. With
    # blinking off, TextArea's line cache keys a line the same with and without its caret, so
    # a line cached while the caret was blinked away would be drawn without it: drop the cache.
    for screen in app.screen_stack:
        for widget in screen.query("TextArea, Input"):
            widget.cursor_blink = False
    await pilot.pause()
    # A blink already queued when blinking stopped may still hide the caret: show it (where
    # the widget has focus) as a steady caret, whatever phase the blink was in, and draw the
    # lines again (a line cached before focus arrived would keep no caret).
    for screen in app.screen_stack:
        for widget in screen.query("TextArea, Input"):
            widget._cursor_visible = widget.has_focus
            widget.notify_style_update()
            widget.refresh()
    focused = app.focused
    await wait_until(pilot, lambda: focused is None or focused.has_focus)
    await pilot.pause()
    await pilot.pause()


@dataclass(frozen=True)
class ScreenState:
    """One state of the workstation: what is in the store, and the keys pressed per size."""

    name: str
    description: str
    seed: Callable[[Path, pytest.MonkeyPatch], None] | None = None
    keys: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)
    sizes: tuple[tuple[int, int], ...] = SIZES

    def build(self, monkeypatch: pytest.MonkeyPatch) -> LumaApp:
        """A fresh home with this state's jobs, and the app over it."""
        home = fresh_home(monkeypatch)
        if self.seed is not None:
            self.seed(home, monkeypatch)
        return snapshot_app(home)

    def run_before(self, size: tuple[int, int]) -> Callable[[Pilot[Any]], Awaitable[None]]:
        """What to do in the running app before the picture is taken at `size`."""
        keys = self.keys.get(size, ())

        async def run(pilot: Pilot[Any]) -> None:
            await settle(pilot, *keys)

        return run


STATES: dict[str, ScreenState] = {
    state.name: state
    for state in (
        ScreenState("empty", "the first start: focus in the prompt, no jobs yet"),
        ScreenState(
            "jobs",
            "four jobs in the list (completed, failed, processing, uncertain), the oldest selected",
            seed_history,
            {size: ("f3", "j", "j", "j") for size in SIZES},
        ),
        ScreenState(
            "chain",
            "an image edited twice and animated: the chain in the tree, the last edit shown",
            seed_chain,
            {(120, 40): ("f3", "j"), (80, 24): ("f3", "f4")},
        ),
        ScreenState(
            "failed",
            "a job refused by moderation, with its code, reason and what to do next",
            seed_history,
            {(120, 40): ("f3", "j", "j", "f5", "end"), (80, 24): ("f3", "j", "j", "f5")},
        ),
        ScreenState(
            "thousand",
            "1,000 jobs: the columns that fit each width, the newest running ones on top",
            seed_thousand,
            {size: ("f3", "j", "j") for size in LIST_SIZES},
            sizes=LIST_SIZES,
        ),
        ScreenState(
            "maximized",
            "the chain's video maximized with z: the preview fills the screen",
            seed_chain,
            {(160, 45): ("f3", "z")},
            sizes=((160, 45),),
        ),
        ScreenState(
            "compare",
            "the chain's video and its last edit marked and compared side by side (=)",
            seed_chain,
            {size: ("f3", "space", "space", "equals_sign") for size in SIZES},
        ),
        ScreenState(
            "batch",
            "four variations sent as one batch: its group row opened in the list, one node in "
            "the lineage, its line in the header while one job still runs",
            seed_batch_flow,
            {(120, 40): ("f3", "right", "j", "j"), (80, 24): ("f3", "right", "j", "j")},
        ),
        ScreenState(
            "batch-compare",
            "the batch's group row marked with space (its four jobs) and compared with =",
            seed_batch_settled,
            {(120, 40): ("f3", "space", "equals_sign")},
            sizes=((120, 40),),
        ),
        ScreenState(
            "help",
            "the help screen: every key and action",
            None,
            {(120, 40): ("f1",)},
            sizes=((120, 40),),
        ),
    )
}


@pytest.fixture
def fixed_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what a state's build did: environment, time zone, its data folder (a fixture
    for the snapshot tests, used by name)."""
    yield
    monkeypatch.undo()
    time.tzset()
    shutil.rmtree(HOME, ignore_errors=True)
