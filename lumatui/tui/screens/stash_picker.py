"""The stash picker: the last stashed drafts, newest first; enter puts one in the composer."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lumatui.tui.frame_pacer import PacedFrames

if TYPE_CHECKING:
    from collections.abc import Sequence

    from textual.app import ComposeResult

    from lumatui.tui.drafts import Draft


def when(saved_at: float, now: float) -> str:
    """ "12 s ago", "5 min ago", "3 h ago", or the date."""
    age = max(0.0, now - saved_at)
    if age < 60:
        return f"{age:.0f} s ago"
    if age < 3600:
        return f"{age // 60:.0f} min ago"
    if age < 86400:
        return f"{age // 3600:.0f} h ago"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(saved_at))


class StashPicker(PacedFrames, ModalScreen["Draft | None"]):
    """Choose a stashed draft (enter), or leave it all as it is (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="stash.cancel"),
    ]

    def __init__(self, drafts: Sequence[Draft], now: float) -> None:
        super().__init__(classes="stash-picker")
        self.drafts = list(drafts)
        self.now = now

    def compose(self) -> ComposeResult:
        """A line of help and one option per draft."""
        with Vertical(id="stash-box") as box:
            box.border_title = "Stashed drafts (enter restores, escape cancels)"
            yield Static(
                "The composer's own draft, if it has one, is stashed in its place.",
                id="stash-help",
                markup=False,
            )
            yield OptionList(
                *(
                    Option(f"{when(draft.saved_at, self.now):>12}  {draft.summary}")
                    for draft in self.drafts
                ),
                id="stash-list",
                markup=False,
            )

    def on_mount(self) -> None:
        """The newest draft is highlighted; enter takes it."""
        options = self.query_one(OptionList)
        options.highlighted = 0
        self.set_focus(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A draft was chosen."""
        event.stop()
        self.dismiss(self.drafts[event.option_index])
