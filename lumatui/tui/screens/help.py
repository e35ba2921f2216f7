"""The help screen: every action with its key, grouped by where it applies."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from lumatui.tui.commands import collect_actions
from lumatui.tui.frame_pacer import PacedFrames

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen

    from lumatui.tui.commands import ActionEntry

INTRO = (
    "Every action is also in the command palette (ctrl+p), which acts on the selected job "
    "wherever focus is. Keys on the selected job work in the job list, the lineage tree and "
    "the preview."
)


class HelpScreen(PacedFrames, ModalScreen[None]):
    """A table of every key, grouped by where it applies: the key, its action, what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # f1 and ? close it too: they are the app's help keys, which toggle.
        Binding("escape,q", "dismiss", "Close", id="help.close", tooltip="Close this list"),
    ]

    def __init__(self, source: Screen[Any]) -> None:
        super().__init__(classes="help")
        self.entries: list[ActionEntry] = collect_actions(source)

    def compose(self) -> ComposeResult:
        """The introduction and the table."""
        with Vertical(id="help-box") as box:
            box.border_title = "Keys (escape closes)"
            yield Static(INTRO, id="help-intro", markup=False)
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Fill the table, grouped by area, in the order the bindings were declared."""
        table = self.query_one("#help-table", DataTable)
        table.add_columns("Key", "Action", "What it does")
        order = {entry.where: n for n, entry in enumerate(self.entries)}
        ordered = sorted(self.entries, key=lambda e: order[e.where])
        for where, entries in groupby(ordered, key=lambda e: e.where):
            table.add_row(Text(""), Text(where.capitalize(), style="bold underline"), Text(""))
            for entry in entries:
                table.add_row(
                    Text(entry.key or "palette"),
                    Text(entry.description),
                    Text(entry.help if entry.help != entry.description else ""),
                )
        table.focus()

    def plain_text(self) -> str:
        """Every row as text (for tests and screen readers)."""
        table = self.query_one("#help-table", DataTable)
        return "\n".join(
            " | ".join(str(cell) for cell in table.get_row_at(n)) for n in range(table.row_count)
        )
