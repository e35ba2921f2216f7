"""The one-line header: which API, how many jobs run and wait, the session's spend, and trouble.

Each fact is a reactive here, on the widget that draws it. When the line is too narrow the
least important facts give way first; the backend and the paused states never do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from lumatui.api.text import clean_text
from lumatui.tui.batch_summary import batch_line

if TYPE_CHECKING:
    from collections.abc import Mapping


MIN_BATCH_CELLS = 24
"""The batch's line is shown when at least this much of it fits."""


class StatusHeader(Widget):
    """Backend, running/waiting counts, spend, online, polling and queue state."""

    backend: reactive[str] = reactive("")
    """ "Luma API" or "SIMULATOR": said plainly, always shown."""
    running: reactive[int] = reactive(0)
    """Jobs on their way (submitting, queued or processing)."""
    waiting: reactive[int] = reactive(0)
    """Jobs held in the local queue."""
    spend: reactive[float] = reactive(0.0)
    """USD of the jobs submitted this session."""
    spend_estimated: reactive[bool] = reactive(False)
    """True when part of the spend is an estimate (video prices)."""
    online: reactive[bool] = reactive(True)
    """Whether the API answered last time."""
    offline_detail: reactive[str | None] = reactive(None)
    """What failed when the API did not answer."""
    polling_paused: reactive[bool] = reactive(False)
    """True while the person has paused polling."""
    queue_paused: reactive[str | None] = reactive(None)
    """Why the submission queue is paused (None while it runs)."""
    running_batch: reactive[tuple[str, str]] = reactive(("", ""))
    """The newest running batch's label and the rest of its line ("2 of 4 done, ..."); the
    line reads "batch 'a {red|blue} fox': 2 of 4 done, ..." (empty: no batch runs)."""
    role: reactive[str] = reactive("")
    """"primary", or "viewer · primary: workstation (pid 4242)" when another process leads."""

    def render(self) -> Text:
        """The facts, most important first, as many as fit."""
        colours = self.app.theme_variables
        width = max(self.size.width, 1)
        required, optional = self._facts(colours)
        line = Text(" lumatui ", style="bold", end="", no_wrap=True, overflow="ellipsis")
        for fact in required:
            line.append(" │ ")
            line.append_text(fact)
        label, facts = self.running_batch
        room = width - line.cell_len - 3
        if facts and room >= MIN_BATCH_CELLS:  # before the optional facts; the label is cut first
            label = clean_text(label, 200)
            facts = clean_text(facts, 200)
            cut = room - len(batch_line("", facts))
            if len(label) > cut:
                label = label[: max(cut - 1, 6)] + "…"
            batch = Text(batch_line(label, facts), style="bold", no_wrap=True, end="")
            batch.truncate(room, overflow="ellipsis")
            line.append(" │ ")
            line.append_text(batch)
        for fact in optional:
            if line.cell_len + 3 + fact.cell_len > width:
                continue
            line.append(" │ ")
            line.append_text(fact)
        line.truncate(width, overflow="ellipsis")
        return line

    def _facts(self, colours: Mapping[str, str]) -> tuple[list[Text], list[Text]]:
        warning = colours.get("warning", "")
        error = colours.get("error", "")
        simulator = self.backend == "SIMULATOR"
        required = [Text(self.backend or "?", style=f"bold {warning if simulator else ''}")]
        counts = f"{self.running} running"
        if self.waiting:
            counts += f" · {self.waiting} waiting"
        required.append(Text(counts))
        if self.polling_paused:
            required.append(Text("polling paused (p)", style=f"bold {warning}"))
        if self.queue_paused:
            reason = clean_text(self.queue_paused, 60)
            required.append(Text(f"queue paused: {reason} (u)", style=f"bold {error}"))
        if not self.online:
            detail = f": {clean_text(self.offline_detail, 40)}" if self.offline_detail else ""
            required.append(Text(f"offline{detail}", style=f"bold {error}"))
        if self.role and self.role != "primary":
            required.append(Text(clean_text(self.role, 60), style=f"bold {warning}"))
        optional: list[Text] = []
        approx = "~" if self.spend_estimated else ""
        optional.append(Text(f"{approx}${self.spend:.4f} this session"))
        if self.online:
            optional.append(Text("online", style=colours.get("success", "")))
        return required, optional
