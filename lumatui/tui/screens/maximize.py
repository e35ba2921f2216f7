"""z: the preview alone on the whole screen, and back (a part of MainScreen).

The other panes are hidden (not removed), so nothing they hold is lost; the preview gets
the focus (its keys: [ ] outputs, , . frames, space play) and its picture is made again at
the new size, off the UI thread. z again, or escape in the preview, puts the panes back
and the focus where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from lumatui.tui.screens.keys import PANE_TITLES, PANES

if TYPE_CHECKING:
    from textual.widget import Widget

    from lumatui.tui.widgets.preview.preview import Preview


class PreviewMaximizer(Screen[None]):
    """The maximize toggle of the main screen."""

    _before_maximize: Widget | None = None

    @property
    def preview(self) -> Preview:
        """The preview (the main screen's)."""
        raise NotImplementedError

    def _draw_panes(self) -> None:
        raise NotImplementedError

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
