"""Painting the four panes: which are shown, which one is active, where focus lands.

A class or pseudo-class change on a pane restyles every widget inside it (hundreds in the
composer: a visible pause on each pane switch, measured at 10-30x the cost of this), so the
active pane's border is painted inline in the theme's colours and only the pane refreshes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.color import Color
from textual.widget import Widget

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from textual.dom import DOMNode
    from textual.screen import Screen


def paint_panes(
    panes: Mapping[str, Widget],
    active: str,
    *,
    stacked: bool,
    colours: Mapping[str, str],
    maximized: str | None = None,
) -> None:
    """Show every pane (or only the active one when stacked, or only the maximized one);
    the active one's border in accent."""
    accent = Color.parse(colours.get("accent", "yellow"))
    quiet = Color.parse(colours.get("panel-lighten-2", "grey"))
    muted = Color.parse(colours.get("foreground-muted", "grey"))
    for name, widget in panes.items():
        is_active = name == active
        if maximized is not None:
            widget.display = name == maximized
        else:
            widget.display = is_active or not stacked
        widget.styles.border = ("round", accent if is_active else quiet)
        widget.styles.border_title_color = accent if is_active else muted
        widget.styles.border_title_style = "bold" if is_active else "none"


def first_focusable(holder: Widget) -> Widget | None:
    """The first widget in `holder` that can take focus and is not hidden itself.

    The pane may have been hidden a moment ago, so the screen's focus chain (which skips
    hidden widgets) cannot be trusted here.
    """
    candidates: list[Widget] = [holder, *holder.query("*").results(Widget)]
    for widget in candidates:
        if widget.can_focus and widget.display and not widget.disabled:
            return widget
    return None


def key_scope(current: Screen[object], panes: Mapping[str, Widget]) -> Iterator[DOMNode]:
    """Where a key's consequences land on the workstation: a dialog on top, the composer,
    and the pane that has focus. Not the other panes, nor the screen itself: they receive
    the engine's steady stream of updates, which must never hold the keyboard up (a key's
    own way up through the screen is covered by its barrier, see `tui.key_order`)."""
    main = panes["composer"].screen
    if current is not main:
        yield from current.walk_children(with_self=True)
    yield from panes["composer"].walk_children(with_self=True)
    focused = main.focused
    if focused is None:
        return
    for name, pane in panes.items():
        if name != "composer" and (focused is pane or pane in focused.ancestors):
            yield from pane.walk_children(with_self=True)
