"""A list of image references (image_ref, keyframes), each row optionally pinned to a frame."""

from __future__ import annotations

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
from lumatui.tui.widgets.composer.form_field import parse_number
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from lumatui.tui.widgets.composer.body import Body


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
    """Rows of references; `ctrl+n` adds a row, `ctrl+r` removes the focused one."""

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
        self._box = Vertical(classes="ref-rows")
        self._add = Button("+ add row (ctrl+n)", classes="add-row", compact=True)

    def compose(self) -> ComposeResult:
        """The rows, then the button that adds one."""
        yield self._box
        yield self._add

    @property
    def refs(self) -> list[RefField]:
        """The reference of every row, in order."""
        return [row.ref for row in self._rows]

    def add_row(
        self, value: dict[str, Any] | None = None, index: object = None, *, focus: bool = True
    ) -> RefField:
        """Add a row (empty, or showing `value` at frame `index`) and return its reference."""
        ref = RefField(self.path, value=value)
        frame = None
        if self.index_path is not None:
            frame = SafeInput(
                "" if index is None else str(index),
                placeholder="frame",
                type="integer",
                compact=True,
                classes="ref-index",
            )
        row = _RefRow(ref, frame)
        self._rows.append(row)
        self._box.mount(row)
        self._renumber()
        if focus:
            self.call_after_refresh(ref.focus_text)
        self.post_message(self.RowsChanged(self))
        return ref

    def remove_row(self, ref: RefField) -> None:
        """Remove the row holding `ref`."""
        rows = [row for row in self._rows if row.ref is ref]
        if not rows:
            return
        position = self._rows.index(rows[0])
        self._rows.remove(rows[0])
        rows[0].remove()
        self._renumber()
        if self._rows:
            self._rows[min(position, len(self._rows) - 1)].ref.focus_text()
        else:
            self._add.focus()
        self.post_message(self.RowsChanged(self))

    def clear_rows(self) -> None:
        """Remove every row."""
        for row in self._rows:
            row.remove()
        self._rows = []

    def action_add_row(self) -> None:
        """Add an empty row and focus it."""
        self.add_row()

    def action_remove_row(self) -> None:
        """Remove the row that has focus."""
        node = self.screen.focused
        while node is not None and node is not self:
            if isinstance(node, _RefRow):
                self.remove_row(node.ref)
                return
            node = node.parent  # type: ignore[assignment]
        self.notify("Move to a row first: ctrl+r removes the row that has focus.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The add button adds a row."""
        if event.button is self._add:
            event.stop()
            self.add_row()

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
        refs = [row.ref.ref_json(problems) for row in self._rows]
        set_path(body, self.path, [{} if ref is None else ref for ref in refs])
        if self.index_path is None:
            return
        indexes: list[object] = []
        for i, row in enumerate(self._rows):
            assert row.index is not None
            number = parse_number(row.index.value)
            if number is None:
                problems.append(
                    FieldError(f"{self.index_path}[{i}]", "needs a frame position, such as 0")
                )
                number = ""
            indexes.append(number)
        set_path(body, self.index_path, indexes)

    def load_json(self, body: Body) -> None:
        """Replace the rows with the references (and indexes) `body` holds."""
        self.clear_rows()
        refs = get_path(body, self.path)
        indexes = get_path(body, self.index_path) if self.index_path else None
        for i, ref in enumerate(refs if isinstance(refs, list) else []):
            index = indexes[i] if isinstance(indexes, list) and i < len(indexes) else None
            self.add_row(ref if isinstance(ref, dict) else None, index, focus=False)
