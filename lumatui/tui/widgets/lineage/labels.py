"""What a lineage node says: roles, state icon, type, short id, prompt snippet and marks.

Labels are Rich `Text` built piece by piece, never markup strings: a prompt is the person's
(or the server's) text. Control characters are shown as visible symbols (ESC as "␛"), so
"[bold]x[/bold]" and "\\x1b[31m" read exactly as typed and never reach the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

from lumatui.engine.jobs import JobState
from lumatui.tui.widgets.jobs.cells import STATE_ICONS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lumatui.engine.jobs import Job

SNIPPET_CHARS = 40
EXTERNAL_ICON = "◇"
ELLIPSIS = "…"
_BIDI_AND_SEPARATORS = frozenset("\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | {
    chr(c) for c in range(0x2066, 0x206A)
}

STATE_STYLE_NAMES: Mapping[JobState, str] = {
    JobState.SUBMITTING: "running",
    JobState.WAITING: "waiting",
    JobState.QUEUED: "running",
    JobState.PROCESSING: "running",
    JobState.COMPLETED: "completed",
    JobState.FAILED: "failed",
    JobState.UNCERTAIN: "waiting",
    JobState.REJECTED: "failed",
    JobState.CANCELLED: "waiting",
}
"""The style (a component class suffix) each state's icon is drawn in."""


@dataclass(frozen=True)
class NodeData:
    """What one tree node stands for: a job (or an outside generation) under one parent."""

    key: str
    job: Job | None
    roles: tuple[str, ...]
    repeat: bool
    parent_count: int

    @property
    def job_id(self) -> str | None:
        """The local id of the job, None for a generation made outside lumatui."""
        return None if self.job is None else self.job.id


def visible_text(text: str, limit: int = SNIPPET_CHARS) -> str:
    """One line with every control character shown as a symbol, cut to `limit` characters."""
    shown = []
    for char in text:
        code = ord(char)
        if code < 0x20:
            shown.append(chr(0x2400 + code))  # the Unicode control pictures: ␛ ␊ ␉ ...
        elif code == 0x7F:
            shown.append("␡")
        elif 0x80 <= code < 0xA0 or char in _BIDI_AND_SEPARATORS:
            shown.append("\ufffd")
        else:
            shown.append(char)
    line = "".join(shown)
    return line if len(line) <= limit else line[: max(limit - 1, 0)] + ELLIPSIS


def node_label(
    data: NodeData, styles: Mapping[str, Style] | None = None, *, selected: bool = False
) -> Text:
    """The label of one node; `styles` maps "role", "external", "mark", "selected" and the
    state style names to Rich styles (none given: a plain label)."""
    styles = styles or {}
    plain = Style()
    label = Text(no_wrap=True, end="")
    if data.roles:
        label.append(", ".join(data.roles) + " ", styles.get("role", plain))
    job = data.job
    if job is None:
        label.append(f"{EXTERNAL_ICON} external {data.key[:8]}", styles.get("external", plain))
    else:
        state_style = styles.get(STATE_STYLE_NAMES[job.state], plain)
        label.append(f"{STATE_ICONS[job.state]} ", state_style)
        body = Text(f"{job.type} {job.short_id} ", end="")
        body.append(visible_text(job.prompt))
        if selected:
            body.stylize(styles.get("selected", plain))
        label.append_text(body)
    others = data.parent_count - 1
    if others > 0:
        noun = "other" if others == 1 else "others"
        label.append(f"  ↗ also under {others} {noun}", styles.get("mark", plain))
    if data.repeat:
        label.append(" (repeat)", styles.get("mark", plain))
    return label
