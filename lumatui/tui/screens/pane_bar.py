"""The one-line bar under the header: pane tabs where the panes are tabs, and notices.

On a narrow screen (panes as tabs) it shows each pane's key and name, the active one
reversed; on any screen with the preview maximized it says how to come back. Notices go
on its right end in these two cases (see `notices.py`), so no toast ever covers the one
pane that is shown; while a notice is up the tabs other than the active one shrink to
their keys, so the notice has room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from lumatui.tui.screens.keys import PANE_TITLES, PANES

if TYPE_CHECKING:
    from textual.timer import Timer

    from lumatui.tui.screens.notices import Severity

NOTICE_STYLES = {"information": "$success", "warning": "$warning", "error": "$error"}


def tabs_markup(active: str, *, compact: bool = False) -> str:
    """Each pane's key and name (only the active one's name when `compact`), clickable."""
    labels = []
    for n, pane in enumerate(PANES):
        style = "reverse bold " if pane == active else ""
        action = f"screen.focus_pane('{pane}')"
        name = f" {PANE_TITLES[pane]}" if pane == active or not compact else ""
        labels.append(f"[{style}@click={action}] F{n + 2}{name} [/]")
    return " ".join(labels)


class PaneBar(Static):
    """Tabs (or the maximized preview's way back) on the left, the notice on the right."""

    active: reactive[str] = reactive("composer")
    maximized: reactive[bool] = reactive(False)
    notice: reactive[tuple[str, str] | None] = reactive(None)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._timer: Timer | None = None

    def show_notice(self, text: str, severity: Severity, timeout: float) -> None:
        """Put `text` on the right end for `timeout` seconds (replacing the one up)."""
        self.notice = (text, severity)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(timeout, self._expire, name="notice")

    def _expire(self) -> None:
        self.notice = None

    def render(self) -> Content:
        """Left part, then the notice right-aligned and cut to what is left."""
        width = self.size.width or 80
        if self.maximized:
            left = Content.from_markup(
                "[bold] Preview[/] maximized · [@click=screen.toggle_maximize]z[/] or esc restores"
            )
        else:
            left = Content.from_markup(tabs_markup(self.active, compact=self.notice is not None))
        if self.notice is None:
            return left
        text, severity = self.notice
        room = width - cell_len(left.plain) - 2
        if room < 8:
            return left
        if cell_len(text) > room:
            text = text[: room - 1] + "…"
        pad = " " * max(width - cell_len(left.plain) - cell_len(text) - 1, 1)
        return Content.assemble(left, pad, (text, NOTICE_STYLES.get(severity, "")), " ")
