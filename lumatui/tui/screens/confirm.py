"""A small modal question with a few answers, each on a button and a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from lumatui.tui.frame_pacer import PacedFrames

if TYPE_CHECKING:
    from collections.abc import Sequence

    from textual import events
    from textual.app import ComposeResult


@dataclass(frozen=True)
class Choice:
    """One answer: the value returned, the button's label and the key that picks it."""

    value: str
    label: str
    key: str


YES_NO = (Choice("yes", "Yes (y)", "y"), Choice("cancel", "Cancel (n)", "n"))
REPLACE_STASH_CANCEL = (
    Choice("replace", "Replace (r)", "r"),
    Choice("stash", "Stash & replace (s)", "s"),
    Choice("cancel", "Cancel (n)", "n"),
)


class ConfirmScreen(PacedFrames, ModalScreen[str]):
    """Asks `question`; dismisses with the chosen value ("cancel" on escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel", id="confirm.cancel"),
        Binding("left", "app.focus_previous", "Previous", show=False, id="confirm.left"),
        Binding("right", "app.focus_next", "Next", show=False, id="confirm.right"),
    ]

    def __init__(self, title: str, question: str, choices: Sequence[Choice] = YES_NO) -> None:
        super().__init__(classes="confirm")
        self.title_text = title
        self.question = question
        self.choices = tuple(choices)

    def compose(self) -> ComposeResult:
        """The question and one button per answer."""
        with Vertical(id="confirm-box") as box:
            box.border_title = self.title_text
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                for n, choice in enumerate(self.choices):
                    yield Button(
                        choice.label,
                        id=f"choice-{choice.value}",
                        variant="primary" if n == 0 else "default",
                    )

    def on_mount(self) -> None:
        """The first answer has focus: enter picks it."""
        self.query(Button).first().focus()

    def on_key(self, event: events.Key) -> None:
        """Each answer's key picks it."""
        for choice in self.choices:
            if event.key == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button picks its answer."""
        value = (event.button.id or "").removeprefix("choice-")
        self.dismiss(value)

    def action_choose(self, value: str) -> None:
        """Dismiss with `value`."""
        self.dismiss(value)
