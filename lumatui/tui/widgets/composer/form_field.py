"""One labelled control of the composer with its problems underneath."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Switch
from textual.widgets.select import InvalidSelectValueError

from lumatui.api.enums import GenerationType
from lumatui.tui.widgets.composer.body import get_path, set_path
from lumatui.tui.widgets.composer.error_line import ErrorLine
from lumatui.tui.widgets.composer.form_check import Part

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widget import Widget

    from lumatui.api.field_errors import FieldError
    from lumatui.tui.widgets.composer.body import Body

ALL_TYPES = frozenset(GenerationType)


@runtime_checkable
class Contributor(Protocol):
    """A control that writes its own part of the body (lists, references, rectangles)."""

    def contribute(self, body: Body, problems: list[FieldError]) -> None:
        """Add this control's value to `body`; add what is wrong with it to `problems`."""

    def load_json(self, body: Body) -> None:
        """Show the value `body` holds for this control."""


class FormField(Vertical):
    """A label, a control and an ErrorLine; `active` says whether it applies (and is sent)."""

    def __init__(
        self,
        label: str,
        path: str,
        control: Widget,
        *,
        types: frozenset[GenerationType] = ALL_TYPES,
        manual_only: bool = False,
        extra_paths: tuple[str, ...] = (),
        errors: ErrorLine | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self.path = path
        self.control = control
        self.types = types
        self.manual_only = manual_only
        self.extra_paths = extra_paths
        self.active = True
        # Made here, not in compose: a field of a group not mounted yet still holds its
        # value and owns its line of problems.
        self.label_widget = Label(label, classes="field-label")
        self.errors = errors or ErrorLine(path, *extra_paths)
        self._errors_below = errors is None  # else the control draws the line itself

    @property
    def paths(self) -> tuple[str, ...]:
        """Every JSON path this field writes (a keyframe list also writes its indexes)."""
        return (self.path, *self.extra_paths)

    def compose(self) -> ComposeResult:
        """Label above the control, problems below it."""
        yield self.label_widget
        yield self.control
        if self._errors_below:
            yield self.errors

    def highlight(self, on: bool) -> None:
        """Mark the label of the field that has focus (only the label is restyled)."""
        self.label_widget.set_class(on, "-focused")

    def applies(self, kind: GenerationType, *, auto_controls: bool) -> bool:
        """Whether this field belongs to a request of `kind` (manual controls need auto off)."""
        return kind in self.types and not (self.manual_only and auto_controls)

    def contribute(self, body: Body, problems: list[FieldError]) -> None:
        """Write the control's value at this field's path; an empty control sends nothing."""
        if isinstance(self.control, Contributor):
            self.control.contribute(body, problems)
            return
        value = read_control(self.control)
        if value is not None:
            set_path(body, self.path, value)

    def part(self) -> Part:
        """What this field adds to the body now, with its problems."""
        body: Body = {}
        problems: list[FieldError] = []
        self.contribute(body, problems)
        return Part(body, tuple(problems))

    def load_json(self, body: Body) -> None:
        """Show the value `body` holds at this field's path (nothing clears the control)."""
        if isinstance(self.control, Contributor):
            self.control.load_json(body)
        else:
            write_control(self.control, get_path(body, self.path))


def read_control(control: Widget) -> Any:
    """A plain control's value for the body, or None when it should not be sent."""
    if isinstance(control, Select):
        return None if control.is_blank() else control.value
    if isinstance(control, Switch):
        # An optional boolean: on sends true, off leaves the model default.
        return True if control.value else None
    if isinstance(control, Input):
        if control.type in ("number", "integer"):
            return parse_number(control.value)
        return control.value or None  # text is sent exactly as typed
    raise TypeError(f"no reader for {type(control).__name__}")


def write_control(control: Widget, value: Any) -> None:
    """Show `value` (None clears) in a plain control."""
    if isinstance(control, Select):
        if value is None:
            control.clear()
            return
        try:
            control.value = value
        except InvalidSelectValueError:
            control.clear()
    elif isinstance(control, Switch):
        control.value = bool(value)
    elif isinstance(control, Input):
        control.value = "" if value is None else str(value)


def parse_number(text: str) -> int | float | str | None:
    """A number typed in a field: int or float when it parses, the text itself otherwise.

    Unparsable text goes to the model as typed so its message names what was typed.
    """
    text = text.strip()
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
