"""Seeding a real JobStore with jobs and media, and tiny host apps (shared test helpers).

The lineage and preview tests share these helpers: jobs go through the store as the engine
writes them (record_submission, mark_submitted, record_state), outputs are real PNG and MP4
files made with Pillow and PyAV, registered with record_outputs and record_download.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

import av
import pytest
from PIL import Image
from textual.app import App

from lumatui.api.schema import Generation, GenerationOutput, GenerationRequest
from lumatui.engine.media import verify_file
from lumatui.engine.store import JobStore
from lumatui.engine.thumbnails import ThumbnailCache, file_sha256
from lumatui.resources import styles_dir
from lumatui.tui.widgets.lineage import LineageTree
from lumatui.tui.widgets.preview import Preview

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path, PurePath

    from textual.app import ComposeResult
    from textual.message import Message

    from lumatui.engine.jobs import Job

SIZE = (100, 40)
T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
RED, GREEN, BLUE = (220, 30, 30), (30, 200, 60), (40, 60, 220)
VIDEO_FRAME: Any = av.VideoFrame  # from_image() is untyped in PyAV's stubs

# textual-image calls Pillow's deprecated getdata(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def write_png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (64, 40)) -> Path:
    """A small solid PNG with a lighter band, so thumbnails are not uniform."""
    image = Image.new("RGB", size, colour)
    band = tuple(min(c + 30, 255) for c in colour)
    image.paste(Image.new("RGB", (size[0], size[1] // 4), band), (0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path


def write_mp4(path: Path, colours: tuple[tuple[int, int, int], ...] = (RED, GREEN, BLUE)) -> Path:
    """A 2-second 24 fps H.264 MP4 in thirds, one colour each (first, middle, last differ)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = 48
    with av.open(str(path), mode="w") as out:
        stream: Any = out.add_stream("libx264", rate=24)
        stream.width, stream.height = 64, 36
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            colour = colours[i * len(colours) // frames]
            image = Image.new("RGB", (64, 36), colour)
            for packet in stream.encode(VIDEO_FRAME.from_image(image)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


class Seeder:
    """Writes jobs to a store the way the engine does, at fixed times."""

    def __init__(self, store: JobStore, media_dir: Path) -> None:
        self.store = store
        self.media_dir = media_dir

    def job(
        self,
        state: str = "completed",
        *,
        prompt: str = "a red fox in the snow",
        failure_code: str | None = None,
        failure_reason: str | None = None,
        at: float = T0,
        generation_id: str | None = None,
        **body: Any,
    ) -> Job:
        """A job recorded at `at`, sent a second later, processing at +5 s, finished at +31 s."""
        request = GenerationRequest.model_validate({"prompt": prompt, **body})
        job = self.store.record_submission(request, now=at)
        generation = Generation.model_validate(
            {
                "id": generation_id or str(uuid.uuid4()),
                "created_at": "2026-01-01T00:00:01Z",
                "model": str(request.effective_model),
                "state": "queued",
                "type": str(request.effective_type),
            }
        )
        self.store.mark_submitted(job.id, generation, now=at + 1)
        if state in ("processing", "completed", "failed"):
            processing = generation.model_copy(update={"state": "processing"})
            self.store.record_state(job.id, processing, now=at + 5)
        if state in ("completed", "failed"):
            final = generation.model_copy(
                update={
                    "state": state,
                    "failure_code": failure_code,
                    "failure_reason": failure_reason,
                }
            )
            self.store.record_state(job.id, final, now=at + 31)
        return self.store.get(job.id)

    def outputs(
        self, job: Job, *files: Path | None, at: float = T0 + 31, facts: bool = True
    ) -> Job:
        """Register outputs (one per file); a None file stays not downloaded. With `facts`
        what the file is is stored as the downloader stores it; without, the preview
        measures it (outputs downloaded before facts were kept)."""
        kinds = ["video" if f is not None and f.suffix == ".mp4" else "image" for f in files]
        self.store.record_outputs(
            job.id,
            [GenerationOutput(type=k, url=f"https://cdn.example/{i}") for i, k in enumerate(kinds)],
            now=at,
        )
        for i, path in enumerate(files):
            if path is not None:
                sha = file_sha256(path)
                media = verify_file(path) if facts else None
                self.store.record_download(
                    job.id, i, str(path), path.stat().st_size, sha, media=media, now=at
                )
        return self.store.get(job.id)

    def png(
        self, name: str, colour: tuple[int, int, int], size: tuple[int, int] = (64, 40)
    ) -> Path:
        """A PNG in the media folder."""
        return write_png(self.media_dir / f"{name}.png", colour, size)

    def mp4(self, name: str) -> Path:
        """An MP4 in the media folder."""
        return write_mp4(self.media_dir / f"{name}.mp4")


class Host(App[None]):
    """Mounts a LineageTree and/or a Preview on a real store; records their messages."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [
        styles_dir() / "lineage.tcss",
        styles_dir() / "preview.tcss",
    ]
    CSS = "LineageTree { height: 8; border-bottom: solid $panel; }"

    def __init__(
        self,
        store: JobStore,
        thumbnails: ThumbnailCache,
        *,
        tree: bool = True,
        preview: bool = True,
        clock: float = T0 + 60,
    ) -> None:
        super().__init__()
        self.store = store
        self.thumbnails = thumbnails
        self.with_tree = tree
        self.with_preview = preview
        self.clock = clock
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        """The widgets asked for; the preview with half-cell images and a fixed clock."""
        if self.with_tree:
            yield LineageTree(self.store, id="tree")
        if self.with_preview:
            yield Preview(
                self.store, self.thumbnails, renderer="halfcell", clock=lambda: self.clock
            )

    @property
    def family(self) -> LineageTree:
        """The lineage tree."""
        return self.query_one(LineageTree)

    @property
    def preview(self) -> Preview:
        """The preview."""
        return self.query_one(Preview)

    def on_lineage_tree_job_selected(self, message: LineageTree.JobSelected) -> None:
        """Record the tree's selections."""
        self.seen.append(message)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    """A real store in the test's folder."""
    with JobStore.open(tmp_path / "data" / "lumatui.db") as opened:
        yield opened


@pytest.fixture
def seed(store: JobStore, tmp_path: Path) -> Seeder:
    """A seeder writing outputs under the test's folder."""
    return Seeder(store, tmp_path / "data" / "outputs")


@pytest.fixture
def thumbnails(tmp_path: Path) -> ThumbnailCache:
    """A real thumbnail cache in the test's folder."""
    return ThumbnailCache(tmp_path / "cache" / "thumbnails")


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Show times in UTC, so the text does not depend on where the tests run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def stable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, utc: None) -> Iterator[None]:
    """What snapshots need: repeatable ids, relative paths, UTC, a fixed terminal cell size."""
    import random

    from textual_image._terminal import CellSize, get_cell_size

    rng = random.Random(7)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))
    monkeypatch.setattr(get_cell_size, "_result", CellSize(10, 20), raising=False)
    monkeypatch.chdir(tmp_path)
    yield


def snapshot_family(tmp_path: Path) -> tuple[JobStore, dict[str, Job]]:
    """A family for the snapshots: image -> edit -> (video, two-parent edit -> failed edit)."""
    from pathlib import Path

    store = JobStore.open(tmp_path / "data" / "lumatui.db")
    seed = Seeder(store, Path("outputs"))  # relative to the test's folder: stable text
    image = seed.outputs(
        seed.job(prompt="a red fox [bold]in[/bold] snow", aspect_ratio="16:9"),
        seed.png("fox", RED, (160, 90)),
        seed.png("fox-2", BLUE, (160, 90)),
    )
    edit = seed.outputs(
        seed.job(type="image_edit", source={"generation_id": image.generation_id}, prompt="ink"),
        seed.png("ink", GREEN, (90, 120)),
    )
    video = seed.outputs(
        seed.job(
            type="video",
            video={"keyframes": [{"generation_id": edit.generation_id}], "keyframe_indexes": [0]},
            prompt="the fox runs",
        ),
        seed.mp4("runs"),
    )
    other = seed.job(prompt="a snowy forest")
    both = seed.job(
        type="image_edit",
        source={"generation_id": edit.generation_id},
        image_ref=[{"generation_id": other.generation_id}],
        prompt="the fox in the forest",
    )
    failed = seed.job(
        "failed",
        type="image_edit",
        source={"generation_id": both.generation_id},
        prompt="make it \x1b[31mgory",
        failure_code="content_moderated",
        failure_reason="The prompt was flagged by the content filter.",
    )
    jobs = {"image": image, "edit": edit, "video": video, "both": both, "failed": failed}
    return store, jobs
