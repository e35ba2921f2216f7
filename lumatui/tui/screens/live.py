"""What the workstation shows of the history, live: this engine's events and every process's.

The engine's own events arrive at once through the bridge, which hands each to the method
of `LiveView` named after it (see `lumatui.tui.bridge.dispatch`). Every other process's writes
(a `lumatui submit`, a second workstation, `wait --all`) arrive through the history's
change feed, polled a few times a second off the event loop: only when SQLite's
`data_version` moved are the changed rows read. Both paths end here, in `jobs_changed`
and `jobs_removed`, which hand each change to the widgets that draw it; a row older than
the one shown is ignored, so the two paths never fight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.engine.changes import ChangeFeed
from lumatui.engine.jobs import RUNNING_STATES

if TYPE_CHECKING:
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.events import (
        Connectivity,
        DownloadProgress,
        JobError,
        OutputReady,
        PollingStatus,
        QueueStatus,
        ReplayChanged,
        RoleChanged,
        SendRefused,
        SubmissionRejected,
    )
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore
    from lumatui.tui.screens.main import MainScreen

REFRESH_S = 0.25
"""How often the change feed is polled: changes show within a second, with room to spare."""


class LiveView:
    """Applies job changes and removals to the main screen's widgets."""

    def __init__(self, screen: MainScreen, db: AsyncJobStore) -> None:
        self.screen = screen
        self.db = db
        self.feed = ChangeFeed(str(db.path))
        self._pulling = False
        self.ticks = 0
        """Feed polls run so far (tests count them)."""

    async def refresh_from_store(self) -> bool:
        """One tick: poll the change feed (off the loop) and show what changed."""
        if self._pulling:
            return False
        self._pulling = True
        feed = self.feed
        try:
            changes = await self.db.read(lambda _store: feed.poll())
        finally:
            self._pulling = False
        self.ticks += 1
        if changes is None or not self.screen.is_attached:
            return False
        if changes.jobs:
            self.jobs_changed(changes.jobs)
        if changes.removed:
            self.jobs_removed(changes.removed)
        return True

    async def load_running(self) -> None:
        """The jobs on their way now (for the header's counts), read off the loop."""
        states = sorted(RUNNING_STATES)

        def read(s: JobStore) -> tuple[list[Job], dict[str, list[Job]]]:
            jobs = [job for st in states for job in s.in_state(st)]
            ids = dict.fromkeys(job.batch_id for job in jobs if job.batch_id)
            return jobs, {batch_id: s.batch(batch_id) for batch_id in ids if batch_id}

        jobs, batches = await self.db.read(read)
        self.screen.session.load_jobs(jobs, batches)

    def jobs_changed(self, jobs: list[Job]) -> None:
        """Jobs changed: their rows, nodes, the preview, the counts and the toasts."""
        screen = self.screen
        screen.job_list.jobs_changed(jobs)
        lineage = screen.lineage
        for job in jobs:
            lineage.job_updated(job)
            if job.id == screen.selected_job_id:
                screen.selected = job
                screen.preview.job_updated(job)
        screen.session.jobs_changed(jobs)

    def jobs_removed(self, job_ids: list[str]) -> None:
        """Jobs removed from the history: rows and nodes go; the preview empties."""
        screen = self.screen
        screen.job_list.jobs_removed(job_ids)
        screen.session.jobs_removed(job_ids)
        if screen.selected_job_id in job_ids:
            screen.selected_job_id = None
            screen.selected = None
            screen.preview.show(None)
            screen.lineage.show_family(None)

    def role_changed(self, event: RoleChanged) -> None:
        """Say plainly when another process is the primary."""
        screen = self.screen
        role, primary = event.role, event.primary
        if role == "primary":
            screen.header.role = "primary"
            return
        who = primary.describe() if primary is not None else "none yet"
        text = f"viewer · primary: {who}"
        if screen.header.role != text:
            screen.notify(
                f"Another lumatui is the primary ({who}). This workstation shows every job "
                "and sends its own; it takes over when the primary exits.",
                timeout=10,
                markup=False,
            )
        screen.header.role = text

    def send_refused(self, event: SendRefused) -> None:
        """401, 403 or 402: said at once, with the API's reason (u tries again); the same
        refusal again (each try) replaces its notice rather than stacking another."""
        message = f"{event.message}. Press u to try again."
        self.screen.notices.post("sending", message, severity="error")

    def output_ready(self, event: OutputReady) -> None:
        """An output is on disk: the list's mark and the preview's picture."""
        self.screen.job_list.output_ready(event.job.id)
        self.screen.preview.output_ready(event.job.id)

    def download_progress(self, event: DownloadProgress) -> None:
        """Bytes arrived: the list's and the preview's download progress."""
        self.screen.job_list.download_progress(event.job_id, event.received, event.total)
        self.screen.preview.download_progress(
            event.job_id, event.index, event.received, event.total
        )

    def job_error(self, event: JobError) -> None:
        """Something went wrong with a job: say it (an uncertain job is said once)."""
        if not self.screen.notices.mentions("uncertain", event.job_id):
            self.screen.notices.post("problem", event.message, severity="warning")

    def submission_rejected(self, event: SubmissionRejected) -> None:
        """The API refused a request: its errors go under the composer's fields."""
        screen, job = self.screen, event.job
        screen.session.refused(job)
        if job.id == screen.last_submitted:
            screen.composer.show_server_errors(event.field_errors)
        first = event.field_errors[0] if event.field_errors else job.note
        screen.notify(
            f"⊘ {job.short_id} was refused by the API: {first}", severity="error", markup=False
        )

    def queue_status(self, event: QueueStatus) -> None:
        """The local queue paused or resumed (a refusal is said by `send_refused`)."""
        self.screen.header.queue_paused = event.paused_reason

    def connectivity(self, event: Connectivity) -> None:
        """The API stopped or started answering."""
        self.screen.header.online = event.online
        self.screen.header.offline_detail = event.detail

    def polling_status(self, event: PollingStatus) -> None:
        """Polling paused or resumed."""
        self.screen.header.polling_paused = event.paused

    def replay_changed(self, event: ReplayChanged) -> None:
        """Say when a replay finished; its steps reach the list as the jobs they record."""
        plan = event.plan
        if plan.state == "running":
            return
        done = f"Replay {plan.short_id} {plan.state}: {len(plan.job_ids)} of {len(plan.steps)}"
        note = f" ({plan.note})" if plan.note else ""
        message = f"{done} step(s) sent{note}."
        if plan.state == "done":
            self.screen.notify(message, markup=False)
        else:
            self.screen.notify(message, severity="warning", markup=False)

    def close(self) -> None:
        """Close the feed's connection."""
        self.feed.close()
