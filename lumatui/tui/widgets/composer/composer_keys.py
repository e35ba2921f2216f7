"""The composer's own keys (each with an id and a tooltip: help and the palette read them)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

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
