"""The preview: thumbnails off the UI thread, details, outputs, frames, failures, downloads."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

import pytest
from textual.widgets import ProgressBar, Static
from textual.worker import WorkerCancelled

from lumatui.api.enums import FailureCode
from lumatui.engine.jobs import JobState
from lumatui.engine.thumbnails import ThumbnailCache, file_sha256
from lumatui.tui.widgets.preview.advice import FAILURE_ADVICE, UNKNOWN_FAILURE_ADVICE
from lumatui.tui.widgets.preview.details import url_expiry
from lumatui.tui.widgets.preview.thumbnail import requested_protocol
from tests.tui.preview_host import (
    BLUE,
    GREEN,
    RED,
    SIZE,
    T0,
    Host,
    Seeder,
    seed,
    store,
    thumbnails,
    utc,
)

if TYPE_CHECKING:
    from pathlib import Path

    from PIL import Image
    from textual.pilot import Pilot

    from lumatui.engine.store import JobStore
    from lumatui.tui.widgets.preview import Preview

__all__ = ["seed", "store", "thumbnails", "utc"]  # fixtures shared with the lineage tests

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def settle(pilot: Pilot[None]) -> None:
    """Let messages and the workers finish (reading the job's rows, then its thumbnails)."""
    for _ in range(200):
        await pilot.pause()
        with contextlib.suppress(WorkerCancelled):  # a newer read replaced it
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return
    raise AssertionError("the workers never settled")


def details(preview: Preview) -> str:
    """The details text as plain text."""
    return str(preview.query_one(".preview-details", Static).render())


def message(preview: Preview) -> str | None:
    """The message line above the picture, None while hidden."""
    note = preview.query_one(".media-message", Static)
    return str(note.render()) if note.display else None


def shown_images(preview: Preview) -> list[Image.Image]:
    """The PIL image shown (a list: empty when there is none)."""
    frame = preview.query_one(".media-frame")
    picture: Any = preview.media.picture
    return [picture] if frame.display and picture is not None else []


def colour(image: Image.Image) -> tuple[int, int, int]:
    """The colour at the image's centre."""
    rgb = image.convert("RGB")
    pixel: Any = rgb.getpixel((rgb.width // 2, rgb.height * 3 // 4))
    red, green, blue = pixel[:3]
    return red, green, blue


def near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Two colours within JPEG/scaling tolerance of each other."""
    return all(abs(x - y) < 40 for x, y in zip(a, b, strict=True))


async def test_an_image_is_shown_half_cell_beside_its_details(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(aspect_ratio="16:9", style="manga"), seed.png("fox", RED))
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        widget = app.preview.query(".media-image").first()
        assert type(widget).__name__ == "HalfcellImage"
        (image,) = shown_images(app.preview)
        assert near(colour(image), RED)
        assert message(app.preview) is None
        text = details(app.preview)
        assert "16:9 · style manga" in text
        # The path wraps where the pane ends, which depends on how long tmp paths are here.
        assert f"file{seed.media_dir / 'fox.png'}" in "".join(text.split())
        drawn = "".join(s.text for s in app.preview.query_one(".media-image").render_line(3))
        assert "▀" in drawn  # half-cell blocks


async def test_stepping_through_two_outputs(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(), seed.png("one", RED), seed.png("two", BLUE, (40, 64)))
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        app.preview.focus()
        await settle(pilot)
        assert "1 of 2" in details(app.preview) and "[ ] step" in details(app.preview)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "2 of 2" in details(app.preview) and "40×64" in details(app.preview)
        assert near(colour(shown_images(app.preview)[0]), BLUE)
        assert app.preview.current_output is not None
        assert app.preview.current_output.index == 1
        await pilot.press("right_square_bracket")  # wraps around
        await settle(pilot)
        assert near(colour(shown_images(app.preview)[0]), RED)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "2 of 2" in details(app.preview)
        app.preview.show(job)  # the same job again keeps the output shown
        await settle(pilot)
        assert "2 of 2" in details(app.preview)


async def test_a_video_is_stepped_frame_by_frame_and_plays(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(type="video", video={"duration": "5s"}), seed.mp4("clip"))
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        app.preview.focus()
        await settle(pilot)
        media = app.preview.media
        assert media.frames == 48
        (image,) = shown_images(app.preview)
        assert near(colour(image), RED)
        caption = app.preview.query_one(".media-caption", Static)
        assert str(caption.render()).startswith("frame 1 of 48 · 0.00 s of 2.00 s")
        assert "video/mp4 · 64×36 · 2.0s · 48 frames" in details(app.preview)
        await pilot.press(*["full_stop"] * 24)
        await settle(pilot)
        assert media.frame == 24
        assert near(colour(shown_images(app.preview)[0]), GREEN)
        assert str(caption.render()).startswith("frame 25 of 48 · 1.00 s")
        media.seek(47)
        await settle(pilot)
        assert near(colour(shown_images(app.preview)[0]), BLUE)
        await pilot.press("comma")
        await settle(pilot)
        assert media.frame == 46
        await pilot.press("space")
        assert media.playing and "playing" in str(caption.render())
        await pilot.press("space")
        assert not media.playing


async def test_the_picture_fills_the_pane_at_its_aspect_and_follows_resizes(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(), seed.png("wide", RED, (160, 90)))
    portrait = seed.outputs(seed.job(prompt="tall"), seed.png("tall", BLUE, (90, 160)))
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=(100, 40)) as pilot:
        app.preview.show(job)
        await settle(pilot)
        image = app.preview.query_one(".media-image")
        # 16:9 in 10x20-pixel cells: the pane's 98 usable columns, rows at the aspect.
        assert image.size.width == 98 and image.size.height == round(98 * 10 * 90 / (160 * 20))
        picture = shown_images(app.preview)[0]
        assert picture.size == (98, image.size.height * 2)  # two pixels a half-cell
        await pilot.resize_terminal(60, 30)
        await settle(pilot)
        assert image.size.width == 58
        assert shown_images(app.preview)[0].size == (58, image.size.height * 2)
        app.preview.show(portrait)
        await settle(pilot)
        # Portrait: the rows limit it; the details never overlap the picture.
        media = app.preview.media
        assert not media.region.overlaps(app.preview.query_one(".preview-side").region)
        assert image.size.height <= media.size.height


@pytest.mark.parametrize("code", [*FailureCode, "something_new"])
async def test_a_failed_job_shows_code_reason_and_next_step(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None, code: str
) -> None:
    job = seed.job(
        "failed", failure_code=str(code), failure_reason="it broke [red]badly[/red] \x1b]0;pwn\x07!"
    )
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        text = details(app.preview)
        assert f"failure   {code}" in text
        assert "reason    it broke [red]badly[/red] !" in text
        assert "\x1b" not in text and "pwn" not in text
        advice = FAILURE_ADVICE.get(code, UNKNOWN_FAILURE_ADVICE)
        assert " ".join(advice.split()) in " ".join(text.split())
        assert message(app.preview) == "No output: the job is failed."


def test_the_advice_table_covers_every_code() -> None:
    assert set(FAILURE_ADVICE) == set(FailureCode)
    assert "edit the prompt" in FAILURE_ADVICE[FailureCode.CONTENT_MODERATED]
    assert "queue pauses" in FAILURE_ADVICE[FailureCode.BUDGET_EXHAUSTED]
    assert "re-run (r)" in FAILURE_ADVICE[FailureCode.GENERATION_FAILED]


@pytest.mark.parametrize(
    ("state", "note", "expected"),
    [
        (JobState.UNCERTAIN, "no answer in 60s", "a second run is a second charge"),
        (JobState.REJECTED, "422: prompt is empty", "Fix the request"),
        (JobState.WAITING, "rate limit: 60 requests a minute", "sent automatically"),
    ],
)
async def test_local_states_show_their_note_and_explanation(
    store: JobStore,
    seed: Seeder,
    thumbnails: ThumbnailCache,
    utc: None,
    state: JobState,
    note: str,
    expected: str,
) -> None:
    from lumatui.api.schema import GenerationRequest

    job = store.record_submission(GenerationRequest(prompt="p"), now=T0)
    job = store.mark_local(job.id, state, note, now=T0 + 2)
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        text = " ".join(details(app.preview).split())
        assert state.explanation.split(";")[0] in text
        assert note in text and expected in text
        assert "(no server id yet)" in text


async def test_a_missing_or_corrupt_file_gives_a_message(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    gone = seed.png("gone", RED)
    broken = seed.png("broken", GREEN)
    job = seed.outputs(seed.job(), gone, broken)
    gone.unlink()
    broken.write_bytes(b"<!doctype html><html>expired</html>")
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        app.preview.focus()
        await settle(pilot)
        assert (
            message(app.preview)
            == "Cannot show output 1: cannot read the file: No such file or directory"
        )
        assert shown_images(app.preview) == []
        await pilot.press("right_square_bracket")
        await settle(pilot)
        text = message(app.preview)
        assert text is not None and "looks like HTML" in text


async def test_a_stale_thumbnail_is_dropped_when_the_selection_moves_on(
    store: JobStore, seed: Seeder, tmp_path: Path, utc: None
) -> None:
    slow = seed.outputs(seed.job(prompt="slow"), seed.png("slow", RED))
    fast = seed.outputs(seed.job(prompt="fast"), seed.png("fast", BLUE))
    release = threading.Event()
    started = threading.Event()
    threads: list[threading.Thread] = []

    class GatedCache(ThumbnailCache):
        """Holds the slow job's thumbnail until the test releases it."""

        def thumbnail(self, path: Path, size: tuple[int, int] = (512, 512), **kw: Any) -> Path:
            """Wait for the release before making the slow job's thumbnail."""
            threads.append(threading.current_thread())
            if path.name == "slow.png":
                started.set()
                release.wait(10)
            return super().thumbnail(path, size, **kw)

    app = Host(store, GatedCache(tmp_path / "gated"), tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(slow)
        await pilot.pause()
        assert started.wait(10)
        app.preview.show(fast)
        await pilot.pause()
        release.set()
        await settle(pilot)
        (image,) = shown_images(app.preview)
        assert near(colour(image), BLUE)
        assert app.preview.stale_results >= 1  # the slow picture (and any resized one)
        assert threads and threading.main_thread() not in threads  # decoded off the UI thread
        assert "fast" in details(app.preview)


async def test_download_progress_then_the_output_arrives(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(), None)
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        bar = app.preview.query_one(".preview-download", ProgressBar)
        assert not bar.display
        assert message(app.preview) == "Output 1 is downloading…"
        assert "waiting to be downloaded" in details(app.preview)
        app.preview.download_progress("some-other-job", 0, 5, 10)
        app.preview.download_progress(job.id, 0, 2048, 4096)
        await pilot.pause()
        assert bar.display and bar.total == 4096 and bar.progress == 2048
        assert "downloading: 2.0 KB of 4.0 KB" in details(app.preview)
        path = seed.png("arrived", GREEN)
        store.record_download(job.id, 0, str(path), path.stat().st_size, file_sha256(path))
        app.preview.output_ready(job.id)
        await settle(pilot)
        assert not bar.display
        assert near(colour(shown_images(app.preview)[0]), GREEN)


async def test_job_updates_and_empty_selection(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.job("processing")
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        assert message(app.preview) == "No output yet: the job is processing."
        assert "running for 59s" in details(app.preview)
        app.preview.job_updated(seed.job())  # another job: ignored
        app.preview.show(None)
        await settle(pilot)
        assert message(app.preview) == "Select a job to see its output here."
        assert details(app.preview) == ""


def test_url_expiry_counts_down_then_says_expired() -> None:
    assert url_expiry(1000.0, 1000.0 + 60).plain == "expires in 59m00s"
    assert url_expiry(1000.0, 1000.0 + 3590).plain == "expires in 10s"
    assert url_expiry(1000.0, 1000.0 + 3700).plain.startswith("expired 1m40s ago")


def test_the_renderer_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    assert requested_protocol("halfcell") == "halfcell"
    assert requested_protocol(None, {"LUMATUI_IMAGE_PROTOCOL": "Kitty"}) == "tgp"
    assert requested_protocol(None, {}) == "auto"
    with pytest.raises(ValueError, match="must be one of"):
        requested_protocol("ascii-art")


async def test_an_output_stored_without_facts_is_measured_once_and_kept(
    store: JobStore, seed: Seeder, thumbnails: ThumbnailCache, utc: None
) -> None:
    job = seed.outputs(seed.job(), seed.png("old", GREEN, (80, 40)), facts=False)
    assert store.outputs(job.id)[0].width is None
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        assert near(colour(shown_images(app.preview)[0]), GREEN)
        assert "image/png · 80×40" in details(app.preview)
    (kept,) = store.outputs(job.id)
    assert (kept.mime, kept.width, kept.height) == ("image/png", 80, 40)


@pytest.mark.parametrize("video", [False, True], ids=["image", "video"])
async def test_an_output_stored_without_facts_is_asked_of_the_cache_once(
    store: JobStore,
    seed: Seeder,
    thumbnails: ThumbnailCache,
    utc: None,
    monkeypatch: pytest.MonkeyPatch,
    video: bool,
) -> None:
    # The picture is asked for once the preview has laid the view out for the measured
    # facts: not also at the size it had before (one more decode, maybe one more file).
    asks: list[tuple[int, int]] = []
    for method in ("thumbnail", "video_frames"):
        real = getattr(thumbnails, method)

        def counted(path: Path, size: tuple[int, int], *, _real: Any = real, **kw: Any) -> Any:
            asks.append(size)
            return _real(path, size, **kw)

        monkeypatch.setattr(thumbnails, method, counted)
    kept: list[int] = []
    record = store.record_media_facts

    def recorded(job_id: str, index: int, *args: Any) -> Any:
        kept.append(index)
        return record(job_id, index, *args)

    monkeypatch.setattr(store, "record_media_facts", recorded)
    file = seed.mp4("old") if video else seed.png("old", GREEN, (80, 40))
    job = seed.outputs(seed.job(), file, facts=False)
    app = Host(store, thumbnails, tree=False)
    async with app.run_test(size=SIZE) as pilot:
        app.preview.show(job)
        await settle(pilot)
        (picture,) = shown_images(app.preview)
        region = app.preview.query_one(".media-image").size
        assert picture.size == (region.width, region.height * 2)  # half-cell: two rows a cell
        assert near(colour(picture), RED if video else GREEN)
        assert app.preview.media.frames == (48 if video else 1)
        assert len(asks) == 1, asks
        assert kept == [0]
    (output,) = store.outputs(job.id)
    assert output.has_facts
