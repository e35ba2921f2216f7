"""The bare Textual app the workstation is measured against: the same widget kinds, no lumatui.

A header line (Static), a form with the controls the workstation shows at start (five
labelled Selects, a TextArea, two Inputs; not the fields hidden for other types), a
DataTable with the job list's eight columns and no rows, a Tree with one node, a Static
where the picture goes, and a Footer. It imports Textual only, so its start-up and memory
are Textual's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.containers import Container, Vertical
from textual.widgets import DataTable, Footer, Input, Select, Static, TextArea, Tree

if TYPE_CHECKING:
    from textual.app import ComposeResult

FORM_SELECTS = (
    ("Type", ("image", "image_edit", "video", "video_edit", "video_reframe")),
    ("Model", ("uni-1", "uni-1-max")),
    ("Aspect ratio", ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9")),
    ("Style", ("auto", "manga")),
    ("Format", ("png", "jpeg")),
)
FORM_INPUTS = ("Reference image", "User id")
"""The controls the workstation's form shows at start (an image request), one of each."""
COLUMNS = ("state", "id", "prompt", "type", "model", "elapsed", "progress", "failure")
"""The job list's columns (the bare table is as wide as the real one)."""


class BareApp(App[None]):
    """Textual alone, laid out like the workstation's four panes."""

    CSS: ClassVar[str] = """
    #panes { layout: grid; grid-size: 2 2; }
    .pane { border: round $primary; }
    """

    def compose(self) -> ComposeResult:
        """A header, four panes (form, table, tree, picture), a footer."""
        yield Static("lumatui-bare · SIMULATOR · 0 running", id="header")
        with Container(id="panes"):
            with Vertical(classes="pane"):
                for label, options in FORM_SELECTS:
                    yield Static(label)
                    yield Select([(o, o) for o in options], value=options[0], compact=True)
                yield Static("Prompt")
                yield TextArea(id="prompt")
                for label in FORM_INPUTS:
                    yield Static(label)
                    yield Input(placeholder="optional", compact=True)
            yield DataTable[object](classes="pane", cursor_type="row")
            tree: Tree[None] = Tree("family", classes="pane")
            tree.root.add_leaf("no job selected")
            yield tree
            yield Static("Select a job to see its output here.", classes="pane")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """The table's columns, as the job list adds them."""
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        self.query_one("#prompt", TextArea).focus()
