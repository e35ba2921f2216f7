"""A local file above the inline cap in the composer: uploaded on ctrl+j, sent as file_id."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from textual.widgets import Select, TextArea

from lumatui.api.files_client import FilesClient
from lumatui.config import load_settings
from lumatui.sim.files import FAIL_MARKER
from lumatui.tui.widgets.composer.ref_field import RefField
from tests.tui.conftest import reopen_backend, wait_until
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CAP = 2048


@pytest.fixture
def settings(paths: AppPaths) -> Settings:
    """The suite's settings with an inline cap of 2 KB: a small PNG must be uploaded."""
    return load_settings(paths, overrides={"poll_rate_limit": 500.0, "inline_cap_bytes": CAP})


def noisy_png(path: Path) -> Path:
    """A PNG of random pixels (it does not compress), well above CAP."""
    Image.frombytes("RGB", (48, 48), os.urandom(48 * 48 * 3)).save(path, "PNG")
    assert path.stat().st_size > CAP
    return path


async def fill_edit(
    app: LumaApp, pilot: Pilot[None], source: Path, kind: str = "image_edit"
) -> RefField:
    """An edit (`kind`) with `source` as its source, the file checked (not read)."""
    composer = app.main_screen.composer
    composer.query_one("#prompt-text", TextArea).focus()
    await pilot.pause()
    await burst(pilot, *"make it snow")
    composer.query_one("#type", Select).value = kind
    await wait_until(pilot, lambda: bool(composer.query("#source")))
    field = composer.query_one("#source", RefField)
    field.set_text(str(source))
    await wait_until(pilot, lambda: field.pending_upload is not None)
    return field


def toasts(app: LumaApp) -> list[str]:
    """The notifications shown so far."""
    return [str(n.message) for n in app._notifications]


async def test_a_file_above_the_cap_is_uploaded_then_sent_as_file_id(
    make_app: Callable[..., LumaApp], backend: Backend, tmp_path: Path
) -> None:
    source = noisy_png(tmp_path / "big.png")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        field = await fill_edit(app, pilot, source)
        status = str(field.query_one(".ref-status").render())
        assert status == f"image/png, will upload {source.stat().st_size // 1024} KB as a file"
        composer = app.main_screen.composer
        await composer.load_body(composer.draft_body())  # a draft read back: the path again
        field = composer.query_one("#source", RefField)
        assert field.text == str(source)
        await wait_until(pilot, lambda: field.pending_upload is not None)
        await pilot.press("ctrl+j")
        assert app.engine is not None
        store = app.engine.store
        await wait_until(pilot, lambda: bool(store.page(app.main_screen.job_list.job_query)))
        (job,) = store.page(app.main_screen.job_list.job_query)
        body = json.loads(job.request_json)
        assert set(body["source"]) == {"file_id"}  # no base64 anywhere
        assert "data" not in str(body)
        assert field.pending_upload is not None
        assert body["source"]["file_id"] != field.pending_upload[0]  # the stand-in replaced
        uploaded = await FilesClient(backend.client).get(body["source"]["file_id"])
        assert uploaded.is_ready and uploaded.size_bytes == source.stat().st_size
        assert any("Uploading big.png: 100%" in text for text in toasts(app))


async def test_a_failed_upload_sends_nothing_and_says_why(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    source = noisy_png(tmp_path / f"bad{FAIL_MARKER}.png")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await fill_edit(app, pilot, source)
        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: any("Not sent" in text for text in toasts(app)))
        (failure,) = [text for text in toasts(app) if "Not sent" in text]
        assert f"bad{FAIL_MARKER}.png could not be uploaded" in failure
        assert "ingest failed" in failure
        assert app.engine is not None
        assert app.engine.store.page(app.main_screen.job_list.job_query) == []
        # Nothing went: the form is still an unsent draft (kept across quit, asked about).
        assert app.main_screen.composer.holds_unsent_draft()


# A local video for a video_edit: tests/tui/test_big_video.py (6 MB, every claim audited).


async def test_an_unsent_draft_with_a_file_to_upload_survives_a_restart(
    make_app: Callable[..., LumaApp],
    settings: Settings,
    paths: AppPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lumatui.tui.app import LumaApp
    from lumatui.tui.widgets.composer import ref_field

    source = noisy_png(tmp_path / "big.png")
    first = make_app()
    async with first.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: first.engine_started)
        await fill_edit(first, pilot, source)
    # What the quit kept: the path, not the stand-in id (which dies with the process).
    (kept,) = (paths.data_dir / "drafts").glob("current-*.json")
    draft = json.loads(kept.read_text(encoding="utf-8"))["body"]
    assert draft["source"] == {"lumatui_local_path": str(source)}
    monkeypatch.setattr(ref_field, "_STAND_INS", {})  # a new process knows no stand-in
    backend = reopen_backend(tmp_path / "simulator")
    second = LumaApp(settings, paths, backend, image_renderer="halfcell")
    async with second.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: second.engine_started)
        composer = second.main_screen.composer
        await wait_until(pilot, lambda: bool(composer.query("#source")))
        field = composer.query_one("#source", RefField)
        assert field.text == str(source)  # the path, checked again: not file:<stand-in>
        await wait_until(pilot, lambda: field.pending_upload is not None)
        assert "will upload" in str(field.query_one(".ref-status").render())
        composer.focus_prompt()
        await pilot.press("ctrl+j")
        assert second.engine is not None
        store = second.engine.store
        await wait_until(pilot, lambda: bool(store.page(second.main_screen.job_list.job_query)))
        (job,) = store.page(second.main_screen.job_list.job_query)
        body = json.loads(job.request_json)
        assert set(body["source"]) == {"file_id"}
        uploaded = await FilesClient(backend.client).get(body["source"]["file_id"])
        assert uploaded.is_ready and uploaded.size_bytes == source.stat().st_size
