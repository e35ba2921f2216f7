"""The key bar at the foot of a screen: Textual's Footer, rebuilt only when what it shows changed.

Textual's `Footer` recomposes (removes and mounts a widget per key) every time the screen's
bindings are updated, which is every focus move: three times while the workstation starts
and once per `tab` in the composer, though the keys shown mostly stay the same. `KeyBar`
compares what it would show (each shown binding's key, action, description, group, whether
it is enabled and its tooltip, and the palette's key) with what it shows, and recomposes
only when they differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyBar(Footer):
    """A `Footer` that recomposes only when the keys it shows changed."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._shown: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """The screen's bindings were updated: recompose after the refresh if it matters."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        shown = self._what_it_shows()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _what_it_shows(self) -> tuple[Any, ...]:
        """Every fact `Footer.compose` draws from, in its order."""
        active = self.screen.active_bindings
        keys = tuple(
            (b.key, b.action, b.description, b.group, enabled, tooltip, b.tooltip)
            for _node, b, enabled, tooltip in active.values()
            if b.show
        )
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        palette_key = None
        if palette is not None:
            _node, b, enabled, tooltip = palette
            palette_key = (b.key, b.description, b.tooltip, enabled, tooltip)
        return (keys, palette_key, self.show_command_palette, self.compact)
