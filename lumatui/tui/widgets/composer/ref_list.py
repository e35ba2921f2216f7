"""A list of image references (image_ref, keyframes), each row optionally pinned to a frame."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label

from lumatui.api.field_errors import FieldError
from lumatui.tui.widgets.composer.body import get_path, set_path
from lumatui.tui.widgets.composer.error_line import ErrorLine
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widget import AwaitMount

    from lumatui.tui.widgets.composer.body import Body

_WHOLE = re.compile(r"\d+")
EMPTY_ROW = "choose an image: a URL, a file path or a generation id (s puts the selected job here)"


class _RefRow(Vertical):
    """One row: its number, the reference, the frame index, and the row's problems."""

    def __init__(self, ref: RefField, index: Input | None) -> None:
        super().__init__(classes="ref-row")
        self.ref = ref
        self.index = index
        self.number = Label("", classes="ref-number")
        self.errors = ErrorLine()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="ref-row-line"):
            yield self.number
            yield self.ref
            if self.index is not None:
                yield self.index
        yield self.errors


class RefList(Widget):
    """Rows of references; `ctrl+n` adds a row, `ctrl+r` removes the focused one.

    The list is the truth for its rows even before it is mounted (a group of the form that
    is not shown yet can be loaded): rows made then are mounted with the list.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+n",
            "add_row",
            "Add row",
            id="composer.add_row",
            tooltip="Add a row to this list of references",
        ),
        Binding(
            "ctrl+r",
            "remove_row",
            "Remove row",
            id="composer.remove_row",
            tooltip="Remove the reference row that has focus",
        ),
    ]

    @dataclass
    class RowsChanged(Message):
        """A row was added or removed (the form should check again)."""

        ref_list: RefList

    def __init__(
        self,
        path: str,
        *,
        index_path: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.path = path
        self.index_path = index_path
        self._rows: list[_RefRow] = []
        self._box: Vertical | None = None
        self._add = Button("+ add row (ctrl+n)", classes="add-row", compact=True)

    def compose(self) -> ComposeResult:
        """The rows, then the button that adds one."""
        self._box = Vertical(*self._rows, classes="ref-rows")
        yield self._box
        yield self._add

    @property
    def refs(self) -> list[RefField]:
        """The reference of every row, in order."""
        return [row.ref for row in self._rows]

    @property
    def row_lines(self) -> list[ErrorLine]:
        """The problem line of every row, in order."""
        return [row.errors for row in self._rows]

    def add_row(
        self, value: dict[str, Any] | None = None, index: object = None, *, focus: bool = True
    ) -> RefField:
        """Add a row (empty, or showing `value` at frame `index`) and return its reference."""
        ref, mounted = self._new_row(value, index)
        if focus and mounted is not None:
            self.run_worker(self._focus_when_mounted(ref, mounted), group="ref-rows")
        self.post_message(self.RowsChanged(self))
        return ref

    def _new_row(self, value: dict[str, Any] | None, index: object) -> tuple[RefField, Any]:
        ref = RefField(self.path, value=value)
        frame = None
        if self.index_path is not None:
            frame = SafeInput(
                "" if index is None else str(index),
                placeholder="frame",
                type="number",  # "1.5" must be seen (and refused), not read as 15
                compact=True,
                classes="ref-index",
            )
        row = _RefRow(ref, frame)
        self._rows.append(row)
        mounted: AwaitMount | None = None
        if self._box is not None and self._box.is_attached:
            mounted = self._box.mount(row)
        self._renumber()
        return ref, mounted

    async def _focus_when_mounted(self, ref: RefField, mounted: AwaitMount) -> None:
        await mounted
        if ref.is_attached:
            ref.focus_text()

    def remove_row(self, ref: RefField) -> None:
        """Remove the row holding `ref` (focus goes to the next row, or the add button)."""
        rows = [row for row in self._rows if row.ref is ref]
        if not rows:
            return
        position = self._rows.index(rows[0])
        self._rows.remove(rows[0])
        if rows[0].is_attached:
            rows[0].remove()
        self._renumber()
        if self.is_attached:
            if self._rows:
                self._rows[min(position, len(self._rows) - 1)].ref.focus_text()
            else:
                self.screen.set_focus(self._add)
        self.post_message(self.RowsChanged(self))

    def clear_rows(self) -> None:
        """Remove every row."""
        for row in self._rows:
            if row.is_attached:
                row.remove()
        self._rows = []

    async def action_add_row(self) -> None:
        """Add an empty row and put the cursor in it (typing goes on there at once)."""
        ref, mounted = self._new_row(None, None)
        self.post_message(self.RowsChanged(self))
        if mounted is not None:
            await mounted
            ref.focus_text()

    def action_remove_row(self) -> None:
        """Remove the row that has focus."""
        node = self.screen.focused
        while node is not None and node is not self:
            if isinstance(node, _RefRow):
                self.remove_row(node.ref)
                return
            node = node.parent  # type: ignore[assignment]
        self.notify("Move to a row first: ctrl+r removes the row that has focus.")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """The add button adds a row."""
        if event.button is self._add:
            event.stop()
            await self.action_add_row()

    def _renumber(self) -> None:
        """Each row answers for its own JSON paths, which follow its position."""
        for i, row in enumerate(self._rows):
            row.ref.path = f"{self.path}[{i}]"
            paths = [row.ref.path]
            if self.index_path is not None:
                paths.append(f"{self.index_path}[{i}]")
            row.errors.paths = tuple(paths)
            row.number.update(f"{i + 1}.")

    def contribute(self, body: Body, problems: list[FieldError]) -> None:
        """The list (and its parallel indexes); an empty list sends nothing."""
        if not self._rows:
            return
        refs: list[dict[str, Any]] = []
        for i, row in enumerate(self._rows):
            ref = row.ref.ref_json(problems)
            if ref is None:
                problems.append(FieldError(f"{self.path}[{i}]", EMPTY_ROW))
            refs.append({} if ref is None else ref)
        set_path(body, self.path, refs)
        if self.index_path is None:
            return
        indexes: list[object] = []
        for i, row in enumerate(self._rows):
            assert row.index is not None
            text = row.index.value.strip()
            where = f"{self.index_path}[{i}]"
            if not text:
                problems.append(FieldError(where, "needs a frame position, such as 0"))
                indexes.append("")
            elif not _WHOLE.fullmatch(text):
                problems.append(
                    FieldError(
                        where, f"frame positions are whole numbers, such as 0 or 24 (got {text})"
                    )
                )
                indexes.append(text)
            else:
                indexes.append(int(text))
        set_path(body, self.index_path, indexes)

    def load_json(self, body: Body) -> None:
        """Replace the rows with the references (and indexes) `body` holds."""
        self.clear_rows()
        refs = get_path(body, self.path)
        indexes = get_path(body, self.index_path) if self.index_path else None
        for i, ref in enumerate(refs if isinstance(refs, list) else []):
            index = indexes[i] if isinstance(indexes, list) and i < len(indexes) else None
            self._new_row(ref if isinstance(ref, dict) else None, index)
