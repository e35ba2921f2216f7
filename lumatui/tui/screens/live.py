"""What the workstation shows of the history, live: this engine's events and every process's.

The engine's own events arrive at once through the bridge. Every other process's writes
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
    from lumatui.engine.claims import ProcessRow
    from lumatui.engine.jobs import Job
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
        jobs = await self.db.read(lambda s: [job for st in states for job in s.in_state(st)])
        self.screen.session.load_jobs(jobs)

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

    def role_changed(self, role: str, primary: ProcessRow | None) -> None:
        """Say plainly when another process is the primary."""
        screen = self.screen
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

    def close(self) -> None:
        """Close the feed's connection."""
        self.feed.close()
