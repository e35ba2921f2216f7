"""The prompt: a multi-line editor with its character count and the session's prompt history."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import TextArea

from lumatui.api.enums import MAX_PROMPT_CHARS
from lumatui.tui.widgets.composer.body import get_path, set_path
from lumatui.tui.widgets.composer.visible import visible_controls

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import ComposeResult
    from textual.message import Message

    from lumatui.api.field_errors import FieldError
    from lumatui.tui.widgets.composer.body import Body
    from lumatui.tui.widgets.composer.error_line import ErrorLine

PATH = "prompt"


CLEAR_KEY = "ctrl+u"
"""Clears the whole prompt (TextArea's own ctrl+u only clears to the start of the line)."""


class _PromptArea(TextArea):
    """A TextArea whose up on the first row and down on the last row walk the history.

    Every change calls `changed` at once, inside the key's own handling, so the count and
    the prompt's problem line are drawn in the same frame as the character.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            CLEAR_KEY,
            "clear_prompt",
            "Clear prompt",
            id="composer.clear_prompt",
            tooltip="Clear the whole prompt (ctrl+z brings it back)",
        ),
    ]

    def get_line(self, line_index: int) -> Text:
        """The line as drawn: control characters as visible symbols, never raw."""
        return Text(visible_controls(self.document.get_line(line_index)), end="", no_wrap=True)

    def __init__(
        self,
        previous: Callable[[], bool],
        following: Callable[[], bool],
        changed: Callable[[], None],
    ) -> None:
        super().__init__(soft_wrap=True, tab_behavior="focus", compact=True, id="prompt-text")
        self._previous = previous
        self._following = following
        self._changed = changed

    def post_message(self, message: Message) -> bool:
        """Every edit posts Changed: that is the moment to update what depends on the text."""
        if isinstance(message, TextArea.Changed):
            self._changed()
        return super().post_message(message)

    def _refresh_size(self) -> None:
        """A new wrapped height: lay the screen out again only when the box's height changes.

        Textual answers any change of a widget's virtual size with a layout of the whole
        screen, 7-24 ms with the composer's form, on every key that makes the prompt wrap
        onto a new row or back. While the text fits in the box's minimum rows the box keeps
        its height, so the size is set without that layout (the box is redrawn).
        """
        new = Size(0, self.wrapped_document.height)
        old = self.virtual_size
        least = self.styles.min_height.cells if self.styles.min_height is not None else None
        if not self.soft_wrap or least is None or new == old:
            super()._refresh_size()
            return
        rows = least - self.styles.gutter.height
        if max(new.height, old.height) > rows:
            super()._refresh_size()
            return
        self.set_reactive(TextArea.virtual_size, new)
        self.refresh()

    def action_clear_prompt(self) -> None:
        """Clear the whole prompt, as one undoable edit."""
        self.clear()

    def action_cursor_up(self, select: bool = False) -> None:
        """Up on the first row recalls the previous prompt."""
        on_top = self.navigator.is_first_wrapped_line(self.cursor_location)
        if not select and on_top and self._previous():
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        """Down on the last row recalls the next prompt (and finally what was being typed)."""
        at_bottom = self.navigator.is_last_wrapped_line(self.cursor_location)
        if not select and at_bottom and self._following():
            return
        super().action_cursor_down(select)


class _CharCount(Widget):
    """Draws "1234 / 6000" under the prompt, in the error colour past the limit."""

    count: reactive[int] = reactive(0)

    def render(self) -> Content:
        """The count against the limit."""
        style = "$text-error" if self.count > MAX_PROMPT_CHARS else "$text-muted"
        return Content.styled(f"{self.count} / {MAX_PROMPT_CHARS}", style)


class PromptEditor(Vertical):
    """The prompt and its count; sends exactly what was typed, markup and controls included.

    `on_change` (set by the composer) is called on every edit, inside the key's handling.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.area = _PromptArea(self.recall_previous, self.recall_following, self._edited)
        self._count = _CharCount(classes="prompt-count")
        self.on_change: Callable[[], None] | None = None
        self.problems: ErrorLine | None = None
        """The prompt field's problem line, drawn beside the count (set by the form)."""
        self._history: list[str] = []
        self._position: int | None = None  # index into history while recalling
        self._draft = ""  # what was being typed before recalling began

    def compose(self) -> ComposeResult:
        """The editor above its problem line and its count, side by side on one row."""
        yield self.area
        with Horizontal(classes="prompt-foot"):
            if self.problems is not None:
                yield self.problems
            yield self._count

    @property
    def text(self) -> str:
        """The prompt as typed."""
        return self.area.text

    @text.setter
    def text(self, value: str) -> None:
        self.area.load_text(value)
        self.area.move_cursor(self.area.document.end)

    def _edited(self) -> None:
        self._count.count = len(self.area.text)
        if self.on_change is not None:
            self.on_change()

    def remember(self, prompt: str) -> None:
        """Add a sent prompt to the session's history (twice in a row counts once)."""
        if prompt and (not self._history or self._history[-1] != prompt):
            self._history.append(prompt)
        self._position = None

    @property
    def history(self) -> list[str]:
        """The prompts remembered this session, oldest first."""
        return list(self._history)

    def recall_previous(self) -> bool:
        """Show the prompt before the one shown; False when there is none."""
        if not self._history or self._position == 0:
            return False
        if self._position is None:
            self._draft = self.text
            self._position = len(self._history)
        self._position -= 1
        self.text = self._history[self._position]
        return True

    def recall_following(self) -> bool:
        """Show the prompt after the one shown, then the draft; False when not recalling."""
        if self._position is None:
            return False
        self._position += 1
        if self._position >= len(self._history):
            self._position = None
            self.text = self._draft
        else:
            self.text = self._history[self._position]
        return True

    def contribute(self, body: Body, problems: list[FieldError]) -> None:
        """The prompt, always sent (an empty one is a problem the model reports)."""
        set_path(body, PATH, self.text)

    def load_json(self, body: Body) -> None:
        """Show the prompt `body` holds."""
        value = get_path(body, PATH)
        self.text = value if isinstance(value, str) else ""
