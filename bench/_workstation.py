"""What bench/startup.py, ui_updates.py and memory.py share: a seeded history and the app on it.

- `seed_history` writes N generations straight into a new store with `executemany`
  (the schema of `lumatui.engine.migrations`; the store's own writes take ~1 ms a job),
  mostly completed with one output each, some failed, every fifth an edit of the one
  before (a lineage edge), and a few still running.
- `SilentClient` (`bench/_silent.py`) never answers, so the engine runs without a network.
- `workstation` builds the real `LumaApp` over a seeded home (its backend a function the app
  calls after its first frame, as `lumatui` passes it); `with_first_frame` wraps an
  app class so it records when the first full frame after start-up was drawn.

Only the standard library is imported at the top; lumatui, Textual and Pillow load where
they are used, so a child process measures its own app's imports and memory (the bare app's
child imports `with_first_frame` from here: it must not load httpx or pydantic).
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from textual.app import App

    from lumatui.tui.app import LumaApp

START = 1_767_225_600.0 - 400 * 86_400.0
"""The first seeded job's time: a history spread over the year before 2026."""
MODELS = (("image", "uni-1"), ("image", "uni-1-max"), ("video", "ray-3.2"), ("image_edit", "uni-1"))
WORDS = (
    *("fox", "harbour", "lantern", "dusk", "snow", "forest", "neon", "city", "river", "glass"),
    *("mountain", "portrait", "cat", "desert", "storm", "garden", "robot", "violin", "ocean"),
    *("market", "bridge", "tower", "candle", "mirror", "autumn"),
)


def home_paths(home: Path) -> Any:
    """The AppPaths of LUMATUI_HOME=`home`, folders created."""
    from lumatui.config import app_paths

    paths = app_paths({"LUMATUI_HOME": str(home)})
    paths.ensure_dirs()
    return paths


def seed_history(
    home: Path,
    count: int,
    *,
    running: int = 20,
    images: Sequence[Path] = (),
    facts: bool = False,
    seed: int = 7,
) -> list[str]:
    """Write `count` generations under `home` (the last `running` still processing).

    The newest completed image jobs get the files in `images` as their downloaded outputs
    (one each, hashed as a download would be); the rest point at files never opened. With
    `facts`, those files' facts (MIME type, pixel size: `verify_file`, as the downloader
    keeps them) are stored too; without, they are unknown, as for outputs downloaded before
    facts were kept (the preview measures each once and writes them back).
    Returns the local ids, oldest first.
    """
    from lumatui.engine.store import JobStore

    paths = home_paths(home)
    JobStore.open(paths.database).close()  # creates the schema
    rng = random.Random(seed)
    jobs: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    outputs: list[tuple[Any, ...]] = []
    edges: list[tuple[Any, ...]] = []
    ids: list[str] = []
    image_slots = image_slots_of(count, running, len(images))
    previous_generation = ""
    for n in range(count):
        seq = n + 1
        job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        generation_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        type_, model = MODELS[n % len(MODELS)]
        if n in image_slots:
            type_, model = "image", "uni-1"
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        body: dict[str, Any] = {"prompt": prompt, "type": type_, "model": model}
        if type_ == "image_edit" and previous_generation:
            body["source"] = {"generation_id": previous_generation}
            edges.append((job_id, previous_generation, "source"))
        created = START + n * 300.0
        is_running = n >= count - running
        failed = not is_running and n % 23 == 0
        state = "processing" if is_running else "failed" if failed else "completed"
        took = 20.0 + (n % 40)
        finished = None if is_running else created + 1 + took
        jobs.append(
            (
                seq,
                job_id,
                generation_id,
                type_,
                model,
                prompt,
                json.dumps(body, separators=(",", ":")),
                state,
                created,
                finished or created + 1,
                created + 1,
                finished,
                "2025-01-01T00:00:00Z",
                "content_moderated" if failed else None,
                "The prompt was flagged by moderation." if failed else None,
            )
        )
        changes += [(seq, "submitting", created), (seq, "queued", created + 1)]
        changes.append((seq, state, finished or created + 2))
        if state == "completed":
            slot = image_slots.get(n)
            image = images[slot] if slot is not None else None
            outputs.append(_output(job_id, generation_id, type_, n, paths, image, facts=facts))
        ids.append(job_id)
        previous_generation = generation_id
    db = sqlite3.connect(str(paths.database), isolation_level=None)
    try:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO jobs (seq, id, generation_id, type, model, prompt, request_json, state,"
            " created_at, updated_at, submitted_at, finished_at, server_created_at, failure_code,"
            " failure_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            jobs,
        )
        db.executemany("INSERT INTO state_changes VALUES (?, ?, ?, NULL)", changes)
        db.executemany(
            "INSERT INTO outputs (job_id, n, media_type, url, url_fetched_at, local_path,"
            " size_bytes, sha256, downloaded_at, error, mime, width, height, duration_s,"
            " frame_count) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
            outputs,
        )
        db.executemany("INSERT INTO edges VALUES (?, ?, ?)", edges)
        db.execute("COMMIT")
    finally:
        db.close()
    return ids


def image_slots_of(count: int, running: int, wanted: int) -> dict[int, int]:
    """Job number -> image file number: the newest completed jobs, newest first.

    `seed_history(..., images=...)` gives these jobs their files; the numbers index the ids
    it returns.
    """
    slots: dict[int, int] = {}
    n = count - running - 1
    while len(slots) < wanted and n >= 0:
        if n % 23:
            slots[n] = len(slots)
        n -= 1
    return slots


def _output(
    job_id: str,
    generation_id: str,
    type_: str,
    n: int,
    paths: Any,
    image: Path | None,
    *,
    facts: bool,
) -> tuple[Any, ...]:
    """An outputs row: `image` for a job given one (its facts too, with `facts`), else a
    path never opened."""
    media = "video" if type_ == "video" else "image"
    url = f"https://outputs.invalid/{generation_id}/0"
    finished = START + n * 300.0 + 60
    if image is not None:
        data = image.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        row = (job_id, media, url, finished, str(image), len(data), digest, finished)
        if not facts:
            return (*row, None, None, None, None, None)
        from lumatui.engine.media import verify_file

        media_facts = verify_file(image)  # what the downloader keeps
        return (
            *row,
            media_facts.mime,
            media_facts.width,
            media_facts.height,
            media_facts.duration_s,
            media_facts.frame_count,
        )
    suffix = "mp4" if media == "video" else "png"
    local = paths.outputs_dir / generation_id / f"0.{suffix}"
    return (job_id, media, url, finished, str(local), 1000, "0" * 64, finished, *(None,) * 5)


def make_images(folder: Path, count: int, size: tuple[int, int] = (512, 384)) -> list[Path]:
    """`count` different small JPEGs (a gradient tinted per image), like a job's output."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    base = Image.linear_gradient("L").resize(size)
    made = []
    for i in range(count):
        tint = Image.new("RGB", size, ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
        picture = Image.merge("RGB", (base, base.rotate(90), base.rotate(180)))
        picture = Image.blend(picture, tint, 0.5)
        ImageDraw.Draw(picture).text((10, 10), f"output {i}", fill=(255, 255, 255))
        path = folder / f"output-{i:04d}.jpg"
        picture.save(path, "JPEG", quality=85)
        made.append(path)
    return made


def workstation(home: Path, app_class: type[LumaApp] | None = None) -> LumaApp:
    """The real workstation over `home`'s store, a silent client, half-cell pictures."""
    from lumatui.config import load_settings
    from lumatui.tui.app import LumaApp

    paths = home_paths(home)
    settings = load_settings(paths, environ={"LUMATUI_HOME": str(home)})
    app_type = app_class or LumaApp
    return app_type(
        settings, paths, _silent_backend, backend_label="SIMULATOR", image_renderer="halfcell"
    )


def _silent_backend() -> Any:
    """The backend the app opens after its first frame, as `lumatui` does: a silent client."""
    from _silent import SilentClient

    from lumatui.backend import Backend

    return Backend(SilentClient("bench-key", "http://127.0.0.1:9/v1"), "SIMULATOR", None, 1.0)


def resolve(future: asyncio.Future[Any], value: Any = None) -> None:
    """Set `future`'s result unless it is already done (a callback that may run twice)."""
    if not future.done():
        future.set_result(value)


def with_first_frame(
    base: type[App[Any]],
    done: Callable[[App[Any]], object],
    shows: Callable[[App[Any]], bool] | None = None,
) -> type[App[Any]]:
    """A subclass of `base` that calls `done(app)` once its first full frame is drawn.

    Textual runs every class's `on_mount` along the MRO, this one first; `call_later` runs
    after the whole Mount message is handled (the main screen pushed), and the screen's
    `call_after_refresh` then runs once that screen has been laid out and painted with
    nothing left dirty. `done` runs a moment after that frame (other callbacks may run
    first), so the app also keeps `shown_at`: the `time.perf_counter()` at which the first
    frame was written out (`App._display`) for which `shows(app)` held (any frame, when
    `shows` is None), the moment a person would see it.
    """

    class FirstFrame(base):  # type: ignore[valid-type,misc]
        shown_at: float | None = None

        def on_mount(self) -> None:
            self.call_later(self._after_start)

        def _after_start(self) -> None:
            self.screen.call_after_refresh(done, self)

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if self.shown_at is None and (shows is None or shows(self)):
                self.shown_at = time.perf_counter()

    FirstFrame.__name__ = f"FirstFrame{base.__name__}"
    return FirstFrame
