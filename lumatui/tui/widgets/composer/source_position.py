"""The source rectangle of a reframe: x, y, width and height, all four or none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Horizontal

from lumatui.api.field_errors import FieldError
from lumatui.tui.widgets.composer.body import get_path, set_path
from lumatui.tui.widgets.composer.form_field import parse_number
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from lumatui.tui.widgets.composer.body import Body

PATH = "video.source_position"
_PARTS = (("x_norm", "x"), ("y_norm", "y"), ("w_norm", "w"), ("h_norm", "h"))


class SourcePositionInput(Horizontal):
    """Four number boxes for `video.source_position`; leaving all empty lets the model choose."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._boxes = {
            name: SafeInput(placeholder=short, type="number", compact=True, classes="position-part")
            for name, short in _PARTS
        }

    def compose(self) -> ComposeResult:
        """x, y, w, h side by side."""
        yield from self._boxes.values()

    def contribute(self, body: Body, problems: list[FieldError]) -> None:
        """All four numbers, nothing when all are empty, a problem when only some are given."""
        values = {name: parse_number(box.value) for name, box in self._boxes.items()}
        given = {name: value for name, value in values.items() if value is not None}
        if not given:
            return
        if len(given) < len(values):
            missing = ", ".join(short for name, short in _PARTS if name not in given)
            problems.append(
                FieldError(PATH, f"give all four of x, y, w and h, or none (missing {missing})")
            )
            return
        set_path(body, PATH, given)

    def load_json(self, body: Body) -> None:
        """Show the rectangle `body` holds (empty boxes when it holds none)."""
        position = get_path(body, PATH)
        for name, box in self._boxes.items():
            value = position.get(name) if isinstance(position, dict) else None
            box.value = "" if value is None else str(value)
