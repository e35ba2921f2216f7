"""The problems of one field (or of the whole request), drawn under it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class Severity(StrEnum):
    """How bad a note is: errors block submission, warnings and server notes do not."""

    ERROR = "error"
    WARNING = "warning"
    SERVER = "server"


_LOOK = {
    Severity.ERROR: ("✗ ", "$text-error"),
    Severity.WARNING: ("! ", "$text-warning"),
    Severity.SERVER: ("✗ server: ", "$text-error"),
}


@dataclass(frozen=True)
class Note:
    """One line under a field: what is wrong and how bad it is."""

    text: str
    severity: Severity = Severity.ERROR


class ErrorLine(Widget):
    """Draws the notes for the JSON paths it stands for; hidden while it has none.

    Text is shown literally: `Content` never reads markup, so a prompt holding "[bold]" or an
    escape sequence echoed back in a message cannot restyle the screen.
    """

    notes: reactive[tuple[Note, ...]] = reactive((), layout=True)

    def __init__(self, *paths: str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.paths: tuple[str, ...] = paths
        self.add_class("-empty")

    def watch_notes(self, notes: tuple[Note, ...]) -> None:
        """Hide the line while there is nothing to say."""
        self.set_class(not notes, "-empty")

    def render(self) -> Content:
        """One styled line per note."""
        parts: list[str | tuple[str, str]] = []
        for number, note in enumerate(self.notes):
            mark, style = _LOOK[note.severity]
            if number:
                parts.append("\n")
            parts.append((mark + note.text, style))
        return Content.assemble(*parts)

    @property
    def plain(self) -> str:
        """The notes as plain text (what a person reads)."""
        return "\n".join(_LOOK[note.severity][0] + note.text for note in self.notes)


class InlineErrorLine(ErrorLine):
    """A problem line that keeps its place (one row, never hidden): a note that comes or
    goes repaints one row instead of laying the whole form out again. The prompt's line,
    which changes as the person types, is one; past one note it says how many more."""

    notes: reactive[tuple[Note, ...]] = reactive(())

    def render(self) -> Content:
        """The first note, and how many more there are."""
        if not self.notes:
            return Content("")
        mark, style = _LOOK[self.notes[0].severity]
        more = f" (+{len(self.notes) - 1} more)" if len(self.notes) > 1 else ""
        return Content.assemble((mark + self.notes[0].text + more, style))
