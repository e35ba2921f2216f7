"""Text fields that draw control characters as visible symbols, never raw.

A value pasted into the form, or loaded from a stored request, may hold escape sequences;
drawn raw, the terminal would obey them (clear the screen, set the title, write the
clipboard). The value itself stays exactly as typed: only what is drawn changes, one
symbol per character, so cursor positions still line up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.highlighter import Highlighter
from textual.widgets import Input

if TYPE_CHECKING:
    from rich.text import Text

_PICTURES = {code: chr(0x2400 + code) for code in range(32)} | {0x7F: "\u2421"}
_PICTURES |= {code: "\ufffd" for code in range(0x80, 0xA0)}


def visible_controls(text: str) -> str:
    """`text` with each C0, DEL and C1 control replaced by a visible symbol."""
    return text.translate(_PICTURES)


class ControlPictures(Highlighter):
    """A highlighter that swaps control characters for their Unicode control pictures."""

    def highlight(self, text: Text) -> None:
        """Replace the controls in place (same length, so styles and cursor stay put)."""
        shown = visible_controls(text.plain)
        if shown != text.plain:
            text.plain = shown


class SafeInput(Input):
    """An Input that never draws a control character raw."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("highlighter", ControlPictures())
        super().__init__(*args, **kwargs)
