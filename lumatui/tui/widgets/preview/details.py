"""The preview's text: state, ids, timings, the request, outputs, URL expiry and advice.

Everything is built as Textual `Content` from plain pieces, styled with the theme's
`$variables`, never parsed as markup: prompts, failure reasons and notes are data. Server
and user text goes through `clean_text` (escapes and control characters removed).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.content import Content

from lumatui.api.text import clean_text
from lumatui.engine.jobs import JobState
from lumatui.tui.widgets.jobs.cells import STATE_ICONS, STATE_ROLES, format_duration
from lumatui.tui.widgets.preview.advice import state_advice

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lumatui.engine.jobs import Job, Output

URL_LIFETIME_S = 3600.0
"""Presigned output URLs expire an hour after they were fetched."""

LABEL_WIDTH = 9
PROMPT_CHARS = 400
_MUTED = "$foreground-muted"


@dataclass(frozen=True)
class DownloadState:
    """Bytes of one output received so far; total is None when the server did not say."""

    received: int
    total: int | None


def row(label: str, *parts: Content | str | tuple[str, str]) -> Content:
    """One `label  value` line, the label muted and padded to a column."""
    return Content.assemble((f"{label:<{LABEL_WIDTH}} ", _MUTED), *parts)


def state_line(job: Job) -> Content:
    """`✓ completed — finished; outputs are ready`, the word in the state's colour."""
    colour = f"${STATE_ROLES[job.state]}"
    return Content.assemble(
        (f"{STATE_ICONS[job.state]} {job.state.value}", f"{colour} bold"),
        (f" — {job.state.explanation}", _MUTED),
    )


def clock_time(at: float, now: float) -> str:
    """A local time: `14:03:05` today, `2026-01-02 14:03` on another day."""
    moment, today = time.localtime(at), time.localtime(now)
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M:%S", moment)
    return time.strftime("%Y-%m-%d %H:%M", moment)


def phase_durations(
    history: Sequence[tuple[JobState, float, str | None]], end: float
) -> list[tuple[JobState, float]]:
    """How long the job spent in each state before `end`, merged, in order."""
    phases: list[tuple[JobState, float]] = []
    followers: list[tuple[JobState, float, str | None] | None] = [*history[1:], None]
    for (state, at, _), following in zip(history, followers[: len(history)], strict=True):
        until = following[1] if following is not None else end
        if state.is_finished:
            break
        if phases and phases[-1][0] is state:
            phases[-1] = (state, phases[-1][1] + max(0.0, until - at))
        else:
            phases.append((state, max(0.0, until - at)))
    return phases


def timing_lines(
    job: Job, history: Sequence[tuple[JobState, float, str | None]], now: float
) -> list[Content]:
    """When it was recorded, sent and finished; how long in all and in each state."""
    parts = [f"recorded {clock_time(job.created_at, now)}"]
    if job.submitted_at is not None:
        parts.append(f"sent {clock_time(job.submitted_at, now)}")
    end = job.finished_at if job.state.is_finished and job.finished_at else now
    if job.finished_at is not None and job.state.is_finished:
        parts.append(f"finished {clock_time(job.finished_at, now)}")
    start = job.submitted_at or job.created_at
    took = "took" if job.state.is_finished else "running for"
    parts.append(f"{took} {format_duration(max(0.0, end - start))}")
    lines = [row("timings", " · ".join(parts))]
    phases = [
        f"{state.value} {format_duration(seconds)}"
        for state, seconds in phase_durations(history, end)
        if state is not JobState.SUBMITTING
    ]
    if phases:
        lines.append(row("", (" · ".join(phases), _MUTED)))
    return lines


def request_lines(job: Job) -> list[Content]:
    """The prompt, the settings that shape the output, and every reference."""
    try:
        body: dict[str, Any] = json.loads(job.request_json)
    except ValueError:
        body = {}
    lines = [row("prompt", clean_text(job.prompt, PROMPT_CHARS))]
    video = body.get("video") or {}
    settings = [
        str(value)
        for value in (
            body.get("aspect_ratio"),
            body.get("style") and f"style {body['style']}",
            body.get("output_format"),
            video.get("duration"),
            video.get("resolution"),
            video.get("hdr") and "hdr",
            video.get("loop") and "loop",
        )
        if value
    ]
    if settings:
        lines.append(row("settings", " · ".join(settings)))
    lines += [row("ref" if i == 0 else "", text) for i, text in enumerate(_refs(body))]
    return lines


def _refs(body: dict[str, Any]) -> list[str]:
    from lumatui.api.refs import body_ref_sites

    shown = []
    for _, role, ref in body_ref_sites(body):
        if ref.get("generation_id"):
            what = f"generation {str(ref['generation_id'])[:8]}"
        elif ref.get("file_id"):
            what = f"file {str(ref['file_id'])[:8]}"
        elif ref.get("url"):
            what = f"url {clean_text(str(ref['url']), 60)}"
        else:
            size = len(str(ref.get("data", ""))) * 3 // 4
            what = f"inline {clean_text(str(ref.get('media_type', '')), 40)} {_bytes(size)}"
        shown.append(f"{role}: {what}")
    return shown


def failure_lines(job: Job, now: float | None = None) -> list[Content]:
    """Code, reason, note and the suggested next step of a job that did not succeed; a
    waiting job's real next try (the store's `due_at`)."""
    lines: list[Content] = []
    if job.state is JobState.FAILED:
        lines.append(row("failure", (clean_text(job.failure_code or "unknown", 60), "$error bold")))
        if job.failure_reason:
            lines.append(row("reason", clean_text(job.failure_reason)))
    noted = (JobState.REJECTED, JobState.UNCERTAIN, JobState.WAITING, JobState.CANCELLED)
    if job.note and job.state in noted:
        label = "waits" if job.state is JobState.WAITING else "note"
        lines.append(row(label, clean_text(job.note)))
    if job.state is JobState.WAITING and job.due_at is not None and now is not None:
        wait = max(0, round(job.due_at - now))
        lines.append(row("next try", f"in {wait} s (u: now)" if wait else "now"))
    advice = state_advice(job)
    if advice:
        lines.append(row("next", (advice, "$accent")))
    return lines


def output_lines(
    outputs: Sequence[Output], index: int, now: float, download: DownloadState | None
) -> list[Content]:
    """The shown output: its place among the others, what it is (as the downloader verified
    it), where, and its URL's expiry."""
    if not outputs:
        return []
    output = outputs[index]
    what = [f"{index + 1} of {len(outputs)}", output.mime or output.media_type]
    if output.width and output.height:
        what.append(f"{output.width}×{output.height}")
    if output.duration_s is not None:
        what.append(f"{output.duration_s:.1f}s")
    if output.frame_count:
        what.append(f"{output.frame_count} frames")
    if output.size_bytes is not None:
        what.append(_bytes(output.size_bytes))
    lines = [row("output", " · ".join(what) + ("   [ ] step" if len(outputs) > 1 else ""))]
    if output.error and output.local_path is None:
        retry = ""
        if not output.final and output.next_try_at is not None:
            retry = f"; next try in {format_wait(output.next_try_at - now)} (n: now)"
        elif output.final:
            retry = "; given up (n: try again)"
        lines.append(row("problem", (clean_text(output.error) + retry, "$error")))
    elif output.local_path:
        lines.append(row("file", clean_text(output.local_path, 500)))
    elif download is not None:
        total = f" of {_bytes(download.total)}" if download.total else ""
        lines.append(row("file", f"downloading: {_bytes(download.received)}{total}"))
    else:
        lines.append(row("file", ("waiting to be downloaded", _MUTED)))
    lines.append(row("URL", url_expiry(output.url_fetched_at, now)))
    return lines


def url_expiry(fetched_at: float, now: float) -> Content:
    """`expires in 59m12s`, or that it has expired (the local copy stays)."""
    left = fetched_at + URL_LIFETIME_S - now
    if left > 0:
        style = "$warning" if left < 300 else ""
        return Content.styled(f"expires in {format_duration(left)}", style)
    return Content.styled(f"expired {format_duration(-left)} ago; the local file stays", _MUTED)


def details_content(
    job: Job,
    outputs: Sequence[Output],
    history: Sequence[tuple[JobState, float, str | None]],
    *,
    index: int,
    now: float,
    download: DownloadState | None = None,
    width: int | None = None,
) -> Content:
    """Everything the preview says about a job, one fact per line.

    With `width`, a value too long for its line wraps under the value column, not the label.
    """
    ids = job.generation_id or "(no server id yet)"
    lines = [
        state_line(job),
        row("id", ids, (f"  local {job.id[:8]}", _MUTED)),
        row("model", f"{job.model} · {job.type}"),
        *timing_lines(job, history, now),
        *failure_lines(job, now),
        *request_lines(job),
        *output_lines(outputs, index, now, download),
    ]
    if width is not None:
        lines = lines[:1] + [part for line in lines[1:] for part in hang(line, width)]
    return Content("\n").join(lines)


def hang(line: Content, width: int) -> list[Content]:
    """A `row()` line wrapped to `width`, continuation lines indented to the value column."""
    if line.cell_length <= width:
        return [line]
    column = LABEL_WIDTH + 1
    label, value = line[:column], line[column:]
    wrapped = value.wrap(max(width - column, 10))
    indent = Content(" " * column)
    return [
        Content.assemble(label, wrapped[0]),
        *(Content.assemble(indent, w) for w in wrapped[1:]),
    ]


def _bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_wait(seconds: float) -> str:
    """`12s`, `3m05s`: a short wait for a person."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    return f"{seconds // 60}m{seconds % 60:02d}s"
