"""What the header says about this session: jobs running and waiting, spend, and toasts.

`SessionStatus` follows every job change: it keeps the running and waiting jobs (read from
the store's state index at start, never the whole history), adds up the price of what was
submitted in this session, and raises a notice (one per kind, counted: see `notices.py`)
when a job it saw running completes, fails or becomes uncertain, with the bell when asked
for; a job that ran longer than `long_job_alert_s` also raises a terminal notification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.engine.jobs import RUNNING_STATES, JobState
from lumatui.tui.batch_summary import RunningBatches
from lumatui.tui.screens.notices import NoticeText
from lumatui.tui.terminal_alert import alert_method, alert_sequence

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from lumatui.api.pricing import Price
    from lumatui.config import Settings
    from lumatui.engine.jobs import Job
    from lumatui.tui.screens.notices import Notices
    from lumatui.tui.widgets.header import StatusHeader


class SessionStatus:
    """Counts, spend and finish toasts, drawn by the header."""

    def __init__(
        self,
        header: StatusHeader,
        notices: Notices,
        settings: Settings,
        *,
        write: Callable[[str], None] | None = None,
    ) -> None:
        """`write` puts bytes on the terminal (the bell, OSC notifications)."""
        self.header = header
        self.notices = notices
        self.bell = settings.bell
        self.prices = settings.prices
        self.alert_after_s = settings.long_job_alert_s
        self.alert_method = alert_method(settings.long_job_alert)
        self.write = write or _write_to(notices)
        self.alerts: list[str] = []
        """Terminal notifications raised (their text), newest last."""
        self._active: dict[str, JobState] = {}
        self._spend: dict[str, Price | None] = {}
        self.batches = RunningBatches(self._price_of)
        """The running batches: the header's batch line."""

    def load_jobs(
        self, jobs: Iterable[Job], batches: Mapping[str, list[Job]] | None = None
    ) -> None:
        """The jobs on their way now, and the whole `batches` they belong to (read by the
        caller, off the event loop)."""
        jobs = list(jobs)
        for job in jobs:
            if job.state in RUNNING_STATES:
                self._active.setdefault(job.id, job.state)
        self.batches.follow(jobs, batches)
        self._count()

    def jobs_removed(self, job_ids: Iterable[str]) -> None:
        """Removed jobs no longer count."""
        job_ids = list(job_ids)
        for job_id in job_ids:
            self._active.pop(job_id, None)
        self.batches.forget(job_ids)
        self._count()

    def jobs_changed(self, jobs: Iterable[Job]) -> None:
        """Follow state changes; toast the jobs that just finished."""
        jobs = list(jobs)
        for job in jobs:
            if job.state.is_running:
                self._active[job.id] = job.state
            elif self._active.pop(job.id, None) is not None:
                self._announce(job)
        self.batches.follow(jobs)
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
        post, short = self.notices.post, job.short_id
        if job.state is JobState.COMPLETED:
            one = f"✓ {short} completed ({job.type}, {job.model})"
            post(
                "completed",
                NoticeText(one, f"✓ {{n}} jobs completed · last {short}"),
                subject=job.id,
            )
        elif job.state is JobState.FAILED:
            code = job.failure_code or "failed"
            one = f"✗ {short} failed: {code}"
            many = f"✗ {{n}} jobs failed · last {short}: {code}"
            post("failed", NoticeText(one, many), subject=job.id, severity="error")
        elif job.state is JobState.UNCERTAIN:
            why = job.note or job.state.explanation
            one = f"? {short} is uncertain: {why}"
            many = f"? {{n}} jobs uncertain · last {short}: {why}"
            post("uncertain", NoticeText(one, many), subject=job.id, severity="warning")
        else:
            return
        took = _ran_for(job)
        if self.alert_after_s > 0 and took is not None and took >= self.alert_after_s:
            self._alert(job, took)
        elif self.bell:
            self.write("\a")

    def _alert(self, job: Job, took: float) -> None:
        """A terminal notification: the job ran long enough that the user may have left."""
        body = f"{job.short_id} {job.state.value} after {took:.0f} s: {job.prompt or job.type}"
        self.alerts.append(body)
        sequence = alert_sequence(self.alert_method, "lumatui", body)
        if sequence:
            self.write(sequence)

    def _price_of(self, job: Job) -> Price | None:
        """A batch job's price: as counted when it was sent here, else from its request."""
        if job.id in self._spend:
            return self._spend[job.id]
        from lumatui.tui.widgets.jobs.cells import request_price

        return request_price(job.request_json, self.prices)

    def _count(self) -> None:
        self.header.running_batch = self.batches.parts()
        waiting = sum(1 for state in self._active.values() if state is JobState.WAITING)
        self.header.waiting = waiting
        self.header.running = len(self._active) - waiting

    def _count_spend(self) -> None:
        prices = list(self._spend.values())
        self.header.spend = sum(p.usd or 0.0 for p in prices if p is not None)
        self.header.spend_estimated = any(p is None or p.estimate or p.usd is None for p in prices)


def _ran_for(job: Job) -> float | None:
    """Seconds from sending the job to its end (None when either is unknown)."""
    start = job.submitted_at or job.created_at
    if job.finished_at is None or start is None:
        return None
    return max(job.finished_at - start, 0.0)


def _write_to(notices: Notices) -> Callable[[str], None]:
    """Writes to the app's terminal (nothing without one: tests, headless runs)."""

    def write(data: str) -> None:
        driver = notices.app._driver
        if driver is not None:
            driver.write(data)

    return write
