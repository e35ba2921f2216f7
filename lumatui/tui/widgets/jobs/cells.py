"""What each cell of the job list shows: states in icons and words, times, estimates, text.

Every cell is a Rich `Text`, never a string: the DataTable would read a string as markup,
and a prompt is the person's text (or the server's) to be shown literally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from lumatui.api.text import clean_text
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lumatui.api.pricing import Price
    from lumatui.engine.jobs import Job
    from lumatui.engine.schedule import Expectation

STATE_ICONS: Mapping[JobState, str] = {
    JobState.SUBMITTING: "↑",
    JobState.WAITING: "◌",
    JobState.QUEUED: "○",
    JobState.PROCESSING: "◐",
    JobState.COMPLETED: "✓",
    JobState.FAILED: "✗",
    JobState.UNCERTAIN: "?",
    JobState.REJECTED: "⊘",
    JobState.CANCELLED: "⊖",
}
"""One narrow icon per state; the word is always shown beside it."""

STATE_ROLES: Mapping[JobState, str] = {
    JobState.SUBMITTING: "secondary",
    JobState.WAITING: "warning",
    JobState.QUEUED: "secondary",
    JobState.PROCESSING: "primary",
    JobState.COMPLETED: "success",
    JobState.FAILED: "error",
    JobState.UNCERTAIN: "warning",
    JobState.REJECTED: "error",
    JobState.CANCELLED: "secondary",
}
"""The theme colour each state is drawn in (a theme variable's name)."""

BAR_WIDTH = 8
_PARTIAL = " ▏▎▍▌▋▊▉"
PROMPT_SNIPPET = 60


def gap(text: Text, justify: str = "left") -> Text:
    """A cell as drawn: one space, then `text` (the table's own cell padding is 0)."""
    cell = Text(" ", no_wrap=True, end="", overflow="ellipsis", justify=justify)  # type: ignore[arg-type]
    cell.append_text(text)
    return cell


def state_cell(state: JobState, colours: Mapping[str, str]) -> Text:
    """`✓ completed`: the icon and the word, in the state's theme colour."""
    colour = colours.get(STATE_ROLES[state], "")
    return Text(f"{STATE_ICONS[state]} {state.value}", style=colour, no_wrap=True, end="")


def plain_cell(text: str | None, limit: int = PROMPT_SNIPPET) -> Text:
    """Server or user text as one literal line: escapes and controls removed, markup kept."""
    shown = clean_text(text or "", limit) if text else ""
    return Text(shown, no_wrap=True, end="", overflow="ellipsis")


def cost_cell(price: Price | None) -> Text:
    """`$0.0404`, `~$0.30` for an estimate, `?` when the price is not known."""
    if price is None or price.usd is None:
        return Text("?", end="")
    if price.estimate:
        return Text(f"~${price.usd:.2f}", end="")
    return Text(f"${price.usd:.4f}" if price.usd < 1 else f"${price.usd:.2f}", end="")


def request_price(request_json: str, overrides: Mapping[str, float] | None = None) -> Price | None:
    """What a stored request costs (None when it no longer reads as a request)."""
    from pydantic import ValidationError

    from lumatui.api.pricing import price_of
    from lumatui.api.schema import GenerationRequest

    try:
        request = GenerationRequest.from_stored(request_json)
    except (ValidationError, ValueError, TypeError):
        return None
    return price_of(request, overrides)


def elapsed_seconds(job: Job, now: float) -> float | None:
    """Seconds since the job was sent (or recorded), up to its finish or `now`."""
    start = job.submitted_at or job.created_at
    end = job.finished_at if job.state.is_finished else now
    if end is None:
        end = job.updated_at
    return max(0.0, end - start)


def format_duration(seconds: float | None) -> str:
    """`7s`, `1m05s`, `2h03m`: compact, fixed-ish width."""
    if seconds is None:
        return ""
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def elapsed_cell(job: Job, now: float) -> Text:
    """How long it has run (running) or took (finished), right-aligned."""
    return Text(format_duration(elapsed_seconds(job, now)), end="")


def estimated_fraction(elapsed: float, expected: Expectation) -> float:
    """How far along a running job probably is: 80% at the typical finish, 97% at the late one."""
    if elapsed <= 0:
        return 0.0
    if elapsed <= expected.typical:
        return 0.8 * elapsed / max(expected.typical, 1e-9)
    span = max(expected.late - expected.typical, 1e-9)
    return min(0.8 + 0.17 * (elapsed - expected.typical) / span, 0.97)


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells filled to `fraction`, in eighths of a cell."""
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_PARTIAL[part] if part and full < width else "")
    return text.ljust(width, "·")


def progress_cell(
    job: Job,
    now: float,
    expected: Expectation | None,
    colours: Mapping[str, str],
    download: float | None = None,
) -> Text:
    """An estimate (`~` and a bar) while the API works; download progress or a mark after."""
    muted = colours.get("foreground-muted", "")
    if download is not None:
        return Text(f"↓{bar(download)}{int(download * 100):>3d}%", style=muted, end="")
    if job.state is JobState.PROCESSING or (
        job.state is JobState.QUEUED and job.submitted_at is not None
    ):
        if expected is None:
            return Text("")
        elapsed = elapsed_seconds(job, now) or 0.0
        if elapsed > expected.late:
            return Text(f"~{'late':<{BAR_WIDTH}}", style=colours.get("warning", ""), end="")
        filled = bar(estimated_fraction(elapsed, expected))
        return Text(f"~{filled}", style=colours.get("primary", ""), end="")
    if job.state is JobState.WAITING:
        return Text("local queue", style=muted, end="")
    return Text("")


def note_text(job: Job, now: float | None = None) -> str:
    """What the job's state means, and why it is in it when that is known.

    A waiting job also says when it is tried next (the real next try, from the store).
    """
    text = f"{job.state.value}: {job.state.explanation}"
    if job.note:
        text += f" — {job.note}"
    if job.failure_reason:
        text += f" — {job.failure_reason}"
    if job.state.value == "waiting" and job.due_at is not None and now is not None:
        wait = max(0, round(job.due_at - now))
        text += f" — next try in {wait} s (u: now)" if wait else " — trying again now"
    return text
