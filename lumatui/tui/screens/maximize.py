"""z: the preview alone on the whole screen, and back; where notices go (parts of MainScreen).

The other panes are hidden (not removed), so nothing they hold is lost; the preview gets
the focus (its keys: [ ] outputs, , . frames, space play) and its picture is made again at
the new size, off the UI thread. z again, or escape in the preview, puts the panes back
and the focus where it was.

Notices are toasts at the bottom left on a wide screen; where one pane fills the screen
(panes as tabs, or the preview maximized) they go on the pane bar instead, so they never
cover the pane that is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from lumatui.tui.frame_pacer import PacedFrames
from lumatui.tui.screens.keys import PANE_TITLES, PANES
from lumatui.tui.screens.notices import TIMEOUTS
from lumatui.tui.screens.pane_bar import PaneBar
from lumatui.tui.screens.panes import paint_panes

if TYPE_CHECKING:
    from textual.widget import Widget

    from lumatui.tui.screens.notices import Notices, Severity
    from lumatui.tui.widgets.preview.preview import Preview


class PreviewMaximizer(PacedFrames, Screen[None]):
    """The maximize toggle of the main screen."""

    _before_maximize: Widget | None = None
    notices: Notices

    @property
    def stacked(self) -> bool:
        """True when one pane is shown at a time."""
        raise NotImplementedError

    def notices_in_line(self) -> bool:
        """True when notices go on the pane bar: one pane fills the screen."""
        return self.stacked or self.preview_maximized

    def show_notice(self, text: str, severity: Severity) -> None:
        """A notice on the pane bar (see `Notices`)."""
        self.query_one(PaneBar).show_notice(text, severity, TIMEOUTS[severity])

    def line_mode_changed(self) -> None:
        """The screen changed between toasts and the pane bar: no toast left behind."""
        if self.notices_in_line() and hasattr(self, "notices"):
            self.notices.clear_toasts()

    @property
    def preview(self) -> Preview:
        """The preview (the main screen's)."""
        raise NotImplementedError

    def _draw_panes(self) -> None:
        panes = {name: self.query_one(f"#pane-{name}") for name in PANES}
        maximized = "preview" if self.preview_maximized else None
        colours = self.app.theme_variables
        paint_panes(
            panes, self.active_pane, stacked=self.stacked, colours=colours, maximized=maximized
        )

    active_pane: str

    def action_focus_pane(self, pane: str) -> None:
        raise NotImplementedError

    def action_next_pane(self) -> None:
        """Go to the next pane."""
        self.action_focus_pane(PANES[(PANES.index(self.active_pane) + 1) % len(PANES)])

    def action_previous_pane(self) -> None:
        """Go to the previous pane."""
        self.action_focus_pane(PANES[(PANES.index(self.active_pane) - 1) % len(PANES)])

    @property
    def preview_maximized(self) -> bool:
        """True while the preview fills the screen (z)."""
        return self.has_class("-maximized")

    def action_toggle_maximize(self) -> None:
        """Maximize the preview to the whole screen (focus in it), or put the panes back."""
        preview = self.preview
        maximize = not self.preview_maximized
        if maximize:
            self._before_maximize = self.focused
        self.set_class(maximize, "-maximized")
        preview.set_class(maximize, "-maximized")
        self.query_one(PaneBar).maximized = maximize
        self.line_mode_changed()
        key = f"F{PANES.index('preview') + 2}"
        tail = " · z or esc restores" if maximize else ""
        preview.border_title = f"{PANE_TITLES['preview']} {key}{tail}"
        self._draw_panes()
        if maximize:
            preview.focus()
        else:
            before = self._before_maximize
            self._before_maximize = None
            if before is not None and before.is_attached and before.focusable:
                before.focus()

    def on_preview_restore_requested(self, message: Preview.RestoreRequested) -> None:
        """escape in the maximized preview: the panes come back."""
        message.stop()
        if self.preview_maximized:
            self.action_toggle_maximize()
