"""The files view: the caller's uploaded files, to pick one as a reference, upload or delete.

Every call to the Files API runs in a worker; the table and the status line are the only
things touched on the UI thread. Server text (names, MIME types, failure reasons) is data:
cleaned and never read as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from lumatui.api.text import clean_text
from lumatui.tui.frame_pacer import PacedFrames
from lumatui.tui.screens.confirm import YES_NO, ConfirmScreen

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import ComposeResult

    from lumatui.api.files import FileObject
    from lumatui.engine.file_library import FileLibrary
    from lumatui.tui.widgets.composer import Composer

COLUMNS = ("Id", "State", "Kind", "Size", "Expires", "Name")
USE_HINT = "enter uses the file as a reference · u uploads · d deletes · r reloads · esc closes"


class FilesScreen(PacedFrames, ModalScreen[str | None]):
    """Lists the files at the API; dismisses with a file id (enter) or None (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="files.close", tooltip="Close the files view"),
        Binding("enter", "use", "Use", id="files.use", tooltip="Use the file as a reference"),
        Binding("u", "upload", "Upload", id="files.upload", tooltip="Upload a local file"),
        Binding("d", "delete", "Delete", id="files.delete", tooltip="Delete the file (asks)"),
        Binding("r", "reload", "Reload", id="files.reload", tooltip="List the files again"),
    ]

    def __init__(self, library: FileLibrary, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__(classes="files")
        self.library = library
        self.files: dict[str, FileObject] = {}
        self._clock = clock

    def compose(self) -> ComposeResult:
        """The table, an upload path line (hidden until `u`) and a status line."""
        with Vertical(id="files-box") as box:
            box.border_title = "Files"
            box.border_subtitle = USE_HINT
            yield DataTable(id="files-table", cursor_type="row", zebra_stripes=True)
            yield Input(placeholder="path of an image or video to upload", id="files-path")
            yield Static("Loading…", id="files-status", markup=False)

    def on_mount(self) -> None:
        """Columns, then the list in a worker."""
        table = self.query_one("#files-table", DataTable)
        table.add_columns(*COLUMNS)
        self.query_one("#files-path", Input).display = False
        table.focus()
        self.action_reload()

    # -- what the table shows ------------------------------------------------------------

    @property
    def selected(self) -> FileObject | None:
        """The file under the cursor."""
        table = self.query_one("#files-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.files.get(str(key))

    def show(self, files: list[FileObject]) -> None:
        """Replace the table's rows with `files` (newest first), keeping the cursor's file."""
        table = self.query_one("#files-table", DataTable)
        keep = self.selected
        table.clear()
        self.files = {f.id: f for f in files}
        for file in files:
            table.add_row(*file_cells(file, self._now()), key=file.id)
        if keep is not None and keep.id in self.files:
            table.move_cursor(row=table.get_row_index(keep.id))
        self.say(f"{len(files)} file(s)." if files else "No files yet: u uploads one.")

    def say(self, message: str) -> None:
        """Put `message` in the status line."""
        self.query_one("#files-status", Static).update(Text(message))

    def _now(self) -> float:
        import time

        return self._clock() if self._clock is not None else time.time()

    # -- actions -------------------------------------------------------------------------

    def action_close(self) -> None:
        """Escape hides the path line if it is open, else closes the view."""
        path = self.query_one("#files-path", Input)
        if path.display:
            path.display = False
            self.query_one("#files-table", DataTable).focus()
            return
        self.dismiss(None)

    def action_use(self) -> None:
        """Pick the file under the cursor as a reference (only a ready one)."""
        file = self.selected
        if file is None:
            self.say("No file to use.")
        elif not file.is_ready:
            self.say(f"{file.id[:8]} is {clean_text(str(file.state), 20)}: only a ready file.")
        else:
            self.dismiss(file.id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table takes the key before the screen does) uses it."""
        event.stop()
        self.action_use()

    def action_reload(self) -> None:
        """List the files again."""
        self.say("Loading…")
        self._list()

    def action_upload(self) -> None:
        """Open the path line; enter there uploads."""
        path = self.query_one("#files-path", Input)
        path.display = True
        path.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Upload the typed path."""
        event.stop()
        text = event.value.strip()
        if not text:
            self.say("Type the path of an image or video.")
            return
        event.input.display = False
        event.input.value = ""
        self.query_one("#files-table", DataTable).focus()
        self._upload(text)

    def action_delete(self) -> None:
        """Delete the file under the cursor, after asking."""
        file = self.selected
        if file is None:
            self.say("No file to delete.")
            return
        name = clean_text(file.filename or file.id, 60)

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._delete(file.id)

        question = f"Delete {name} ({file.id[:8]})? Jobs that reference it cannot be re-run."
        self.app.push_screen(ConfirmScreen("Delete file", question, YES_NO), callback=answered)

    # -- workers -------------------------------------------------------------------------

    @work(exclusive=True, group="files-list")
    async def _list(self) -> None:
        try:
            files = await self.library.list_files()
        except Exception as exc:  # every API failure is a line, never a crash
            self.say(f"Could not list files: {failure_text(exc)}")
            return
        self.show(files)

    @work(group="files-change")
    async def _upload(self, path: str) -> None:
        from pathlib import Path

        from lumatui.engine.uploads import size_text

        name = clean_text(Path(path).name or path, 60)

        def progress(sent: int, total: int) -> None:
            percent = 100 * sent // max(1, total)
            self.say(f"Uploading {name}: {percent}% of {size_text(total)}")

        self.say(f"Uploading {name}…")
        try:
            file = await self.library.upload(path, on_progress=progress)
        except Exception as exc:
            self.say(f"Could not upload {name}: {failure_text(exc)}")
            return
        await self._refresh_after(f"Uploaded {name} as {file.id[:8]}.")

    @work(group="files-change")
    async def _delete(self, file_id: str) -> None:
        try:
            await self.library.delete(file_id)
        except Exception as exc:
            self.say(f"Could not delete {file_id[:8]}: {failure_text(exc)}")
            return
        await self._refresh_after(f"Deleted {file_id[:8]}.")

    async def _refresh_after(self, message: str) -> None:
        try:
            files = await self.library.list_files()
        except Exception as exc:
            self.say(f"{message} Could not list files: {failure_text(exc)}")
            return
        self.show(files)
        self.say(message)


def file_cells(file: FileObject, now: float) -> tuple[Text, ...]:
    """One row: short id, state, MIME type, size, time left, name (all cleaned)."""
    from lumatui.engine.uploads import size_text

    state = clean_text(str(file.state), 12)
    style = {"ready": "green", "failed": "red", "pending": "yellow"}.get(state, "")
    if file.failure_reason:
        state = f"{state}: {clean_text(file.failure_reason, 40)}"
    return (
        Text(file.id[:8]),
        Text(state, style=style),
        Text(clean_text(file.mime_type, 24)),
        Text(size_text(file.size_bytes), justify="right"),
        Text(expiry_text(file.expires, now)),
        Text(clean_text(file.filename or "", 60)),
    )


def expiry_text(expires: float | None, now: float) -> str:
    """`in 3 h`, `in 2 d`, `expired` or `never`."""
    if expires is None:
        return "never"
    left = expires - now
    if left <= 0:
        return "expired"
    for unit, seconds in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if left >= seconds:
            return f"in {int(left // seconds)} {unit}"
    return "in <1 min"


def failure_text(error: BaseException) -> str:
    """One clean line for a failed Files API call."""
    text = clean_text(str(error), 160) or type(error).__name__
    return text.rstrip(".") + "."


def open_files_view(app: Any, composer: Composer) -> None:
    """Push the files view on `app` (a LumaApp); a picked file goes into `composer`."""
    from lumatui.backend import open_uploader
    from lumatui.engine.file_library import FileLibrary

    if app.backend is None:
        app.notify("The engine is not running yet.", severity="warning")
        return
    library = FileLibrary(open_uploader(app.backend, app.paths, app.settings))

    def picked(file_id: str | None) -> None:
        if file_id is not None:
            composer.use_selected(f"file:{file_id}")
            app.notify(f"File {file_id[:8]} is in the composer's reference.", markup=False)

    app.push_screen(FilesScreen(library), callback=picked)
