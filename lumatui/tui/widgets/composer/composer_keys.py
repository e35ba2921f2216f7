"""The composer's own keys (each with an id and a tooltip: help and the palette read them),
and moving the cursor inside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from textual.widget import Widget

COMPOSER_BINDINGS: list[BindingType] = [
    Binding(
        "ctrl+j",
        "submit",
        "Submit",
        id="composer.submit",
        tooltip="Send the request (refused, with the reason, while the form has problems)",
    ),
    Binding(
        "ctrl+o",
        "toggle_preview",
        "JSON",
        id="composer.toggle_preview",
        tooltip="Show or hide the exact JSON body that will be sent",
    ),
    Binding(
        "ctrl+l",
        "load_body",
        "Load body",
        show=False,  # the footer keeps to the everyday keys; help and the palette list it
        id="composer.load_body",
        tooltip="Load a request body from a JSON file or pasted JSON (unknown fields: "
        "kept, shown, sent only after you confirm)",
    ),
    Binding(
        "tab",
        "cycle(1)",
        "Next field",
        show=False,
        id="composer.next_field",
        tooltip="Next field of the composer (after the last, the first)",
    ),
    Binding(
        "shift+tab",
        "cycle(-1)",
        "Previous field",
        show=False,
        id="composer.previous_field",
        tooltip="Previous field of the composer (before the first, the last)",
    ),
]


def cycle_focus(composer: Widget, step: int) -> None:
    """tab / shift+tab: the next or previous field, round inside the composer."""
    chain = [w for w in composer.screen.focus_chain if composer in w.ancestors]
    if not chain:
        return
    focused = composer.screen.focused
    position = chain.index(focused) if focused in chain else -step
    composer.screen.set_focus(chain[(position + step) % len(chain)])


def focus_in_view(widget: Widget) -> None:
    """Put the cursor in `widget` now; once it is laid out, scroll it into view.

    Textual's own scroll on focus looks at the layout as it is at that moment, which for a
    form just mounted is not done yet: on a loaded machine it scrolled the form part way.
    """
    if not widget.is_attached:
        return
    widget.screen.set_focus(widget, scroll_visible=False)

    def show() -> None:
        if widget.is_attached and widget.has_focus:
            widget.scroll_visible(animate=False)

    widget.call_after_refresh(show)
