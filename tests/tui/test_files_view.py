"""The files view: upload, list, use as a reference and delete, on the simulator's Files API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from textual.app import App
from textual.widgets import DataTable, Input, Static

from lumatui.api.client import AgentsClient
from lumatui.engine.file_ids import FileIdCache
from lumatui.engine.file_library import FileLibrary
from lumatui.engine.uploads import Uploader
from lumatui.tui.screens.files import FilesScreen, expiry_text
from tests.sim.fakes import png_bytes
from tests.tui.conftest import KEY, settle, wait_until

if TYPE_CHECKING:
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.backend import Backend
    from lumatui.sim import RunningSimulator


class FilesHost(App[None]):
    """An app that opens the files view at once and keeps what it returned."""

    def __init__(self, library: FileLibrary) -> None:
        super().__init__()
        self.library = library
        self.picked: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(FilesScreen(self.library), callback=self.picked.append)


def library_on(client: AgentsClient, tmp_path: Path) -> FileLibrary:
    return FileLibrary(Uploader(client, FileIdCache(tmp_path / "files.db"), inline_cap=1 << 20))


def status(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one("#files-status", Static).render())


def rows(pilot: Pilot[Any]) -> int:
    return pilot.app.screen.query_one("#files-table", DataTable).row_count


async def test_upload_use_and_delete_a_file(backend: Backend, tmp_path: Path) -> None:
    image = tmp_path / "red.png"
    image.write_bytes(png_bytes(32, 32))
    app = FilesHost(library_on(backend.client, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert rows(pilot) == 0
        assert "No files yet" in status(pilot)

        await pilot.press("u")
        path = app.screen.query_one("#files-path", Input)
        assert path.has_focus
        path.value = str(image)
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Uploaded red.png" in status(pilot))
        assert rows(pilot) == 1
        (file,) = app.screen.files.values()  # type: ignore[attr-defined]
        assert file.is_ready and file.filename == "red.png"

        await pilot.press("d", "y")
        await settle(pilot)
        await wait_until(pilot, lambda: "Deleted" in status(pilot))
        assert rows(pilot) == 0
    assert app.picked == []


async def test_enter_returns_the_ready_file(backend: Backend, tmp_path: Path) -> None:
    image = tmp_path / "blue.png"
    image.write_bytes(png_bytes(16, 16, (20, 20, 200)))
    library = library_on(backend.client, tmp_path)
    made = await library.upload(image)
    app = FilesHost(library)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert rows(pilot) == 1
        await pilot.press("enter")
        await pilot.pause()
    assert app.picked == [made.id]


async def test_an_api_without_files_says_so(tmp_path: Path) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    client = AgentsClient(KEY, "https://files.invalid", transport=httpx.MockTransport(reply))
    app = FilesHost(library_on(client, tmp_path))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: "Could not list files" in status(pilot))
        await pilot.press("escape")
        await pilot.pause()
    assert app.picked == [None]


async def test_a_hostile_file_name_is_shown_as_text(
    simulator: RunningSimulator, backend: Backend, tmp_path: Path
) -> None:
    image = tmp_path / "[bold red]x\x1b[31m.png"
    image.write_bytes(png_bytes())
    library = library_on(backend.client, tmp_path)
    await library.upload(image)
    app = FilesHost(library)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#files-table", DataTable)
        name = str(table.get_row_at(0)[-1])
        assert "\x1b" not in name and "[bold red]" in name


def test_expiry_reads_as_time_left() -> None:
    assert expiry_text(None, 0) == "never"
    assert expiry_text(100, 200) == "expired"
    assert expiry_text(3 * 3600 + 5, 0) == "in 3 h"
    assert expiry_text(30, 0) == "in <1 min"


async def test_the_workstation_opens_files_with_shift_f(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await pilot.press("f3", "F")
        await settle(pilot)
        assert isinstance(app.screen, FilesScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FilesScreen)


async def test_a_file_picked_in_the_workstation_is_the_composer_reference(
    make_app: Any, backend: Backend, tmp_path: Path
) -> None:
    image = tmp_path / "ref.png"
    image.write_bytes(png_bytes(16, 16))
    made = await library_on(backend.client, tmp_path).upload(image)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await pilot.press("f3", "F")
        await settle(pilot)
        await wait_until(pilot, lambda: rows(pilot) == 1)
        await pilot.press("enter")
        await settle(pilot)
        composer = app.main_screen.composer
        composer.prompt_editor.text = "a cat like this one"
        request = composer.to_request()
        assert request is not None and request.image_ref is not None
        assert [ref.file_id for ref in request.image_ref] == [made.id]
