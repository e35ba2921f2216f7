"""A layering job in the preview: each layer on a checkerboard, stepped, and composited."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from textual.widgets import Static
from textual.worker import WorkerCancelled

from lumatui.api.schema import GenerationOutput
from lumatui.engine.media import verify_file
from lumatui.engine.thumbnails import file_sha256
from tests.tui.preview_host import T0, Host, Seeder, seed, store, thumbnails, utc

if TYPE_CHECKING:
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore
    from lumatui.engine.thumbnails import ThumbnailCache

__all__ = ["seed", "store", "thumbnails", "utc"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SIZE = (120, 40)
LAYERS = (
    ("hat", "a red hat", "hard", (220, 30, 30)),
    ("hair", "loose strands", "soft", (30, 200, 30)),
    ("background", "a snowy field", "none", (30, 30, 220)),
)


def write_layer(path: Path, n: int, colour: tuple[int, int, int]) -> Path:
    """Layer n of LAYERS: the background opaque; the others fill only a band, alpha elsewhere."""
    width, height = 64, 48
    if n == len(LAYERS) - 1:
        image = Image.new("RGBA", (width, height), (*colour, 255))
    else:
        image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        top = n * height // 3  # the hat on top, the hair in the middle band
        image.paste(Image.new("RGBA", (width, height // 3), (*colour, 255)), (0, top))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path


def layering_job(seed: Seeder) -> Job:
    """A completed layering job whose three RGBA layers are downloaded."""
    job = seed.job(type="layering", model="uni-1", source={"url": "https://cdn.example/s.png"})
    outputs = [
        GenerationOutput.model_validate(
            {
                "type": "image",
                "url": f"https://cdn.example/{n}",
                "layer": {"index": n, "label": label, "description": text, "alpha_hint": hint},
            }
        )
        for n, (label, text, hint, _) in enumerate(LAYERS)
    ]
    seed.store.record_outputs(job.id, outputs, now=T0 + 31)
    for n, (label, _, _, colour) in enumerate(LAYERS):
        path = write_layer(seed.media_dir / f"{label}.png", n, colour)
        seed.store.record_download(
            job.id,
            n,
            str(path),
            path.stat().st_size,
            file_sha256(path),
            media=verify_file(path),
            now=T0 + 31,
        )
    return seed.store.get(job.id)


async def settle(pilot: Pilot[None]) -> None:
    """Let messages and the workers finish (the rows, the layer PNG, its thumbnail)."""
    for _ in range(200):
        await pilot.pause()
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return
    raise AssertionError("the workers never settled")


def layer_text(app: Host) -> str:
    """The line naming the layer shown ('' while hidden)."""
    line = app.preview.query_one(".preview-layer", Static)
    return str(line.render()) if line.display else ""


def shown(app: Host) -> Image.Image:
    """The picture on screen, as RGB."""
    picture: Any = app.preview.media.picture
    assert picture is not None
    image: Image.Image = picture.convert("RGB")
    return image


def near(pixel: Any, colour: tuple[int, int, int]) -> bool:
    """A pixel within scaling tolerance of a colour."""
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def is_checker(pixel: Any) -> bool:
    """A pixel of the grey checkerboard (light or dark)."""
    red, green, blue = pixel[:3]
    return bool(abs(red - green) < 12 and abs(green - blue) < 12 and 130 < red < 225)


async def test_layers_step_on_a_checkerboard_and_composite(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = layering_job(seed)
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        app.preview.focus()
        await settle(pilot)
        assert layer_text(app) == "layer 1 of 3 · hat · hard edges\na red hat"
        image = shown(app)
        assert near(image.getpixel((image.width // 2, image.height // 6)), (220, 30, 30))
        assert is_checker(image.getpixel((image.width // 2, image.height * 5 // 6)))
        assert app.preview.media.output is not None
        assert str(thumbnails.cache_dir) in (app.preview.media.output.local_path or "")

        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert layer_text(app).startswith("layer 2 of 3 · hair · soft edges")
        image = shown(app)
        assert near(image.getpixel((image.width // 2, image.height // 2)), (30, 200, 30))
        assert is_checker(image.getpixel((image.width // 2, image.height // 6)))

        await pilot.press("l")
        await settle(pilot)
        assert app.preview.composite
        assert layer_text(app) == "3 layers composited · l: each layer"
        image = shown(app)
        # front to back: the hat's band, the hair's band, the background where both are clear
        assert near(image.getpixel((image.width // 2, image.height // 6)), (220, 30, 30))
        assert near(image.getpixel((image.width // 2, image.height // 2)), (30, 200, 30))
        assert near(image.getpixel((image.width // 2, image.height * 5 // 6)), (30, 30, 220))
        cached = list((thumbnails.cache_dir / "layers").glob("*.png"))
        assert len(cached) == 3  # two layers on their board and the composite

        await pilot.press("l", "right_square_bracket")
        await settle(pilot)
        assert not app.preview.composite
        assert layer_text(app).startswith("layer 3 of 3 · background · background")
        image = shown(app)
        assert near(image.getpixel((image.width // 2, image.height // 6)), (30, 30, 220))

        await pilot.press("right_square_bracket", "l", "right_square_bracket")
        await settle(pilot)  # stepping leaves the composite for the next layer
        assert layer_text(app).startswith("layer 2 of 3")


async def test_an_ordinary_job_has_no_layer_line_and_l_does_nothing(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(), seed.png("one", (200, 20, 20)))
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        app.preview.focus()
        await pilot.press("l")
        await settle(pilot)
        assert not app.preview.composite
        assert layer_text(app) == ""
        assert app.preview.media.output is not None
        assert app.preview.media.output.local_path == str(seed.media_dir / "one.png")
        assert not (thumbnails.cache_dir / "layers").exists()
