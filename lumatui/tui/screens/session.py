"""What the header says about this session: jobs running and waiting, spend, and toasts.

`SessionStatus` follows every job change: it keeps the running and waiting jobs (read from
the store's state index at start, never the whole history), adds up the price of what was
submitted in this session, and raises a toast (and the bell, when asked for) when a job it
saw running completes, fails or becomes uncertain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.engine.jobs import RUNNING_STATES, JobState

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import App

    from lumatui.api.pricing import Price
    from lumatui.engine.jobs import Job
    from lumatui.tui.widgets.header import StatusHeader


class SessionStatus:
    """Counts, spend and finish toasts, drawn by the header."""

    def __init__(self, header: StatusHeader, app: App[object], *, bell: bool) -> None:
        self.header = header
        self.app = app
        self.bell = bell
        self._active: dict[str, JobState] = {}
        self._spend: dict[str, Price | None] = {}

    def load_jobs(self, jobs: Iterable[Job]) -> None:
        """The jobs on their way now (read by the caller, off the event loop)."""
        for job in jobs:
            if job.state in RUNNING_STATES:
                self._active.setdefault(job.id, job.state)
        self._count()

    def jobs_removed(self, job_ids: Iterable[str]) -> None:
        """Removed jobs no longer count."""
        for job_id in job_ids:
            self._active.pop(job_id, None)
        self._count()

    def jobs_changed(self, jobs: Iterable[Job]) -> None:
        """Follow state changes; toast the jobs that just finished."""
        for job in jobs:
            if job.state.is_running:
                self._active[job.id] = job.state
            elif self._active.pop(job.id, None) is not None:
                self._announce(job)
        self._count()

    def submitted(self, job: Job, price: Price | None) -> None:
        """A job sent in this session: count its price."""
        self._spend[job.id] = price
        self._count_spend()

    def refused(self, job: Job) -> None:
        """The API refused a job: nothing was charged."""
        self._spend.pop(job.id, None)
        self._count_spend()

    def _announce(self, job: Job) -> None:
        notify = self.app.notify
        if job.state is JobState.COMPLETED:
            notify(f"✓ {job.short_id} completed ({job.type}, {job.model})", markup=False)
        elif job.state is JobState.FAILED:
            code = job.failure_code or "failed"
            notify(f"✗ {job.short_id} failed: {code}", severity="error", markup=False)
        elif job.state is JobState.UNCERTAIN:
            why = job.note or job.state.explanation
            notify(f"? {job.short_id} is uncertain: {why}", severity="warning", markup=False)
        else:
            return
        if self.bell:
            self.app.bell()

    def _count(self) -> None:
        waiting = sum(1 for state in self._active.values() if state is JobState.WAITING)
        self.header.waiting = waiting
        self.header.running = len(self._active) - waiting

    def _count_spend(self) -> None:
        prices = list(self._spend.values())
        self.header.spend = sum(p.usd or 0.0 for p in prices if p is not None)
        self.header.spend_estimated = any(p is None or p.estimate or p.usd is None for p in prices)
