"""Notices that stay out of the way: at most one per kind, its count updated in place.

Every job that finishes, fails or needs a word raises a notice of a kind ("completed",
"failed", "uncertain", "sending", ...). A second notice of a kind while the first is still
up replaces it ("✓ 3 jobs completed · last 6a84cefd"); the same subject (a job) counted twice
is counted once, so an uncertain job that is also reported as an error raises one notice.

Where it shows: on a wide screen a toast at the bottom left, over the composer (styles put
the toast rack there), never over the job list's rows or the preview; where the panes are
tabs (80x24) or the preview is maximized, in the one-line status bar at the top instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from textual.notifications import Notification

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App

Severity = Literal["information", "warning", "error"]
TIMEOUTS = {"information": 5.0, "warning": 8.0, "error": 12.0}
"""Seconds a notice stays up (errors longer: they ask for something to be done)."""


@dataclass
class _Kind:
    """The notice of one kind that is up: what it counts and its toast."""

    subjects: list[str] = field(default_factory=list)
    raised_at: float = 0.0
    timeout: float = 0.0
    toast: Notification | None = None

    def alive(self, now: float) -> bool:
        return bool(self.subjects) and now < self.raised_at + self.timeout


@dataclass(frozen=True)
class NoticeText:
    """What one notice says: alone (`one`), or for `count` subjects (`many`, {n} the count)."""

    one: str
    many: str | None = None

    def text(self, count: int) -> str:
        """The notice for `count` subjects of its kind."""
        if count <= 1 or self.many is None:
            return self.one
        return self.many.format(n=count)


class Notices:
    """One notice per kind; shown as a toast or, when `in_line()` says so, on a line."""

    def __init__(
        self,
        app: App[object],
        *,
        in_line: Callable[[], bool],
        show_line: Callable[[str, Severity], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.in_line = in_line
        self.show_line = show_line
        self.clock = clock
        self._kinds: dict[str, _Kind] = {}
        self.posted: list[tuple[str, str]] = []
        """(kind, text) of every notice shown, newest last (tests and the log read it)."""

    def post(
        self,
        kind: str,
        text: NoticeText | str,
        *,
        subject: str | None = None,
        severity: Severity = "information",
    ) -> None:
        """Raise the notice of `kind` about `subject` (a job id), or count it in."""
        wording = text if isinstance(text, NoticeText) else NoticeText(text)
        now = self.clock()
        state = self._kinds.setdefault(kind, _Kind())
        if not state.alive(now):
            state.subjects = []
        subject = subject or wording.one
        if subject not in state.subjects:
            state.subjects.append(subject)
        state.raised_at, state.timeout = now, TIMEOUTS[severity]
        message = wording.text(len(state.subjects))
        self.posted.append((kind, message))
        if self.in_line():
            self.show_line(message, severity)
            return
        # Added here, not through a Notify message: the toast it replaces must already be
        # in the app's collection to be taken out (a second one in the same turn would
        # otherwise stack under it).
        if state.toast is not None:
            self.app._unnotify(state.toast, refresh=False)
        state.toast = Notification(message, "", severity, state.timeout, markup=False)
        self.app._notifications.add(state.toast)
        self.app._refresh_notifications()

    def mentions(self, kind: str, subject: str) -> bool:
        """True while the notice of `kind` that is up counts `subject`."""
        state = self._kinds.get(kind)
        return state is not None and state.alive(self.clock()) and subject in state.subjects

    def count(self, kind: str) -> int:
        """How many subjects the notice of `kind` that is up counts (0 when none is up)."""
        state = self._kinds.get(kind)
        return len(state.subjects) if state is not None and state.alive(self.clock()) else 0

    def clear_toasts(self) -> None:
        """Take every toast down (the screen is now one where notices go on the line)."""
        for state in self._kinds.values():
            if state.toast is not None:
                self.app._unnotify(state.toast, refresh=False)
                state.toast = None
        self.app.clear_notifications()
