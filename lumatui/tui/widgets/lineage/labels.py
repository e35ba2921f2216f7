"""What a lineage node says: roles, state icon, type, short id, prompt snippet and marks.

Labels are Rich `Text` built piece by piece, never markup strings: a prompt is the person's
(or the server's) text. Control characters are shown as visible symbols (ESC as "␛"), so
"[bold]x[/bold]" and "\\x1b[31m" read exactly as typed and never reach the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
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
    batch: BatchNode | None = None
    """Set on a batch's node: its label and its jobs (the node's children)."""

    @property
    def job_id(self) -> str | None:
        """The local id of the job, None for a generation made outside lumatui (or a batch)."""
        return None if self.job is None else self.job.id


@dataclass(frozen=True)
class BatchNode:
    """A batch in the tree: the prompt as written and its jobs as last seen."""

    label: str
    jobs: tuple[Job, ...]

    def counts(self, *, short: bool = False) -> str:
        """`4 jobs · 2 of 4 done` (`2/4 done` when `short`), and how many failed."""
        size = len(self.jobs)
        done = sum(1 for job in self.jobs if not job.state.is_running)
        failed = sum(1 for job in self.jobs if job.state in FAILED_STATES)
        text = f"{done}/{size} done" if short else f"{size} jobs · {done} of {size} done"
        return text + (f" · {failed} failed" if failed else "")


FAILED_STATES = frozenset({JobState.FAILED, JobState.REJECTED, JobState.UNCERTAIN})
BATCH_ICON = "▣"


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
    data: NodeData,
    styles: Mapping[str, Style] | None = None,
    *,
    selected: bool = False,
    on_path: bool = False,
    width: int | None = None,
) -> Text:
    """The label of one node; `styles` maps "role", "external", "mark", "selected", "path"
    and the state style names to Rich styles (none given: a plain label).

    With `width` the label fits it: the prompt is cut first (with …), then the marks
    shorten, then the type and the roles go; the state icon and the short id always stay.
    """
    styles = styles or {}
    plain = Style()
    if data.batch is not None:
        return _batch_label(data, data.batch, styles, on_path=on_path, width=width)
    job = data.job
    roles = ", ".join(data.roles) + " " if data.roles else ""
    others = data.parent_count - 1
    noun = "other" if others == 1 else "others"
    marks = f"  ↗ also under {others} {noun}" if others > 0 else ""
    short_marks = f" ↗+{others}" if others > 0 else ""
    repeat = " (repeat)" if data.repeat else ""
    if job is None:
        kind, ident, prompt = f"{EXTERNAL_ICON} external ", data.key[:8], ""
    else:
        kind, ident = f"{STATE_ICONS[job.state]} {job.type} ", job.short_id
        prompt = " " + visible_text(job.prompt)
    if width is not None:
        roles, kind, prompt, marks, repeat = _fit(
            width, roles, kind, ident, prompt, (marks, short_marks), repeat, job is not None
        )
    label = Text(no_wrap=True, end="")
    if roles:
        label.append(roles, styles.get("role", plain))
    if job is None:
        label.append(kind + ident, styles.get("external", plain))
    else:
        state_style = styles.get(STATE_STYLE_NAMES[job.state], plain)
        icon, _, type_part = kind.partition(" ")
        label.append(icon + " ", state_style)
        body = Text(type_part + ident + prompt, end="")
        if selected:
            body.stylize(styles.get("selected", plain))
        elif on_path:
            body.stylize(styles.get("path", plain))
        label.append_text(body)
    if marks:
        label.append(marks, styles.get("mark", plain))
    if repeat:
        label.append(repeat, styles.get("mark", plain))
    return label


def _fit(
    width: int,
    roles: str,
    kind: str,
    ident: str,
    prompt: str,
    marks: tuple[str, str],
    repeat: str,
    is_job: bool,
) -> tuple[str, str, str, str, str]:
    """The parts of a label cut to `width` (the icon and the id are never cut)."""
    mark, short_mark = marks

    def length(*parts: str) -> int:
        return sum(cell_len(part) for part in parts)

    fixed = length(roles, kind, ident, mark, repeat)
    if fixed + length(prompt) <= width:
        return roles, kind, prompt, mark, repeat
    room = width - fixed
    if room >= 6:  # a prompt of at least a few characters, cut with …
        return roles, kind, _cut(prompt, room), mark, repeat
    mark = short_mark
    repeat = " (rep)" if repeat else ""
    if is_job and length(roles, kind, ident, mark, repeat) > width:
        kind = kind.partition(" ")[0] + " "  # the type goes; the icon stays
    if length(roles, kind, ident, mark, repeat) > width:
        roles = ""
    if length(kind, ident, mark, repeat) > width:
        mark = repeat = ""
    room = width - length(roles, kind, ident, mark, repeat)
    return roles, kind, _cut(prompt, room) if room >= 3 else "", mark, repeat


def _cut(text: str, room: int) -> str:
    """`text` in at most `room` cells, ending in … when cut."""
    if cell_len(text) <= room:
        return text
    kept = ""
    for char in text:
        if cell_len(kept + char) > room - 1:
            break
        kept += char
    return kept + ELLIPSIS


def _batch_label(
    data: NodeData,
    batch: BatchNode,
    styles: Mapping[str, Style],
    *,
    on_path: bool,
    width: int | None,
) -> Text:
    """`source ▣ batch a {red|blue} fox · 4 jobs · 2 of 4 done`, the label cut first."""
    plain = Style()
    roles = ", ".join(data.roles) + " " if data.roles else ""
    counts = " · " + batch.counts()
    head = f"{BATCH_ICON} batch "
    label_text = visible_text(batch.label)
    if width is not None:  # the label keeps a few words; the counts shorten, then the roles go
        room = width - cell_len(roles + head + counts)
        if room < 12:
            counts = " · " + batch.counts(short=True)
            room = width - cell_len(roles + head + counts)
        if room < 8:
            roles, room = "", width - cell_len(head + counts)
        label_text = _cut(label_text, room) if room >= 3 else ""
    label = Text(no_wrap=True, end="")
    if roles:
        label.append(roles, styles.get("role", plain))
    body = Text(head + label_text, end="")
    if on_path:
        body.stylize(styles.get("path", plain))
    label.append_text(body)
    label.append(counts, styles.get("mark", plain))
    return label
