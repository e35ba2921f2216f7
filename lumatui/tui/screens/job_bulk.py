"""Actions on the marked jobs (or the selected one): cancel, remove, re-run, export, now.

`space` marks rows in the job list; these actions then apply to every marked job, else
to the selected one. Cancel takes only jobs never sent (the Agents API has no cancel: a
queued or processing job runs to the end and is charged, and the message says so).
Remove asks first, and whether to keep or delete the files. A re-run of several jobs
asks first with their total price. Export writes the jobs and their requests as JSON.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from lumatui.api.pricing import price_of
from lumatui.engine import actions
from lumatui.engine.actions import ActionNotPossible
from lumatui.engine.jobs import JobState
from lumatui.tui.commands import ActionEntry
from lumatui.tui.deferred import deferred
from lumatui.tui.screens.confirm import YES_NO, Choice, ConfirmScreen

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.tui.screens.main import MainScreen

KEEP_DELETE_CANCEL = (
    Choice("keep", "Remove, keep files (k)", "k"),
    Choice("delete", "Remove and delete files (d)", "d"),
    Choice("cancel", "Cancel (n)", "n"),
)
BULK_ACTIONS = frozenset({"cancel", "remove", "rerun", "poll_now"})
"""The job actions handled here (a re-run only when rows are marked)."""


class BulkActions:
    """Cancel, remove, re-run and export the marked jobs (or the selected one)."""

    def __init__(self, screen: MainScreen, engine: Engine, settings: Settings, paths: AppPaths):
        self.screen = screen
        self.engine = engine
        self.settings = settings
        self.paths = paths

    def handles(self, name: str) -> bool:
        """True when the action `name` is done here (now)."""
        if name == "rerun":
            return len(self.screen.job_list.marks) > 0
        return name in BULK_ACTIONS

    def targets(self) -> list[Job]:
        """The marked jobs shown in the list, else the selected job."""
        job_list = self.screen.job_list
        marked = [job for job_id in job_list.marks if (job := job_list.job(job_id))]
        if marked:
            return marked
        selected = self.screen.selected_job
        return [selected] if selected is not None else []

    def palette_entries(self) -> Iterable[ActionEntry]:
        """The bulk commands only the palette offers."""
        yield ActionEntry(
            key="",
            description="Export marked jobs",
            help="Write the marked (or selected) jobs and their requests to a JSON file",
            where="palette",
            binding_id=None,
            run=self.export,
        )
        yield ActionEntry(
            key="",
            description="Clear marks",
            help="Unmark every marked job",
            where="palette",
            binding_id=None,
            run=self.screen.job_list.clear_marks,
        )

    def run(self, name: str) -> None:
        """Start the action `name` on the targets."""
        jobs = self.targets()
        if not jobs:
            self.screen.notify("Select a job first (F3: the job list).", severity="warning")
            return
        if name == "cancel":
            self.screen.run_worker(deferred(self.cancel, jobs), group="bulk", exit_on_error=False)
        elif name == "remove":
            self.ask_remove(jobs)
        elif name == "rerun":
            self.ask_rerun(jobs)
        elif name == "poll_now":
            self.screen.run_worker(deferred(self.now, jobs[0]), group="bulk", exit_on_error=False)

    async def cancel(self, jobs: Sequence[Job]) -> None:
        """Cancel the jobs never sent; say why the others cannot be."""
        cancelled: list[str] = []
        refused: list[str] = []
        for job in jobs:
            changed, why_not = await self.engine.cancel(job.id)
            if why_not is None:
                cancelled.append(changed.short_id)
            else:
                refused.append(why_not)
        if cancelled:
            self.screen.job_list.clear_marks()
            self.screen.notify(
                f"Cancelled {len(cancelled)} job(s), never sent: {' '.join(cancelled[:8])}.",
                markup=False,
            )
        for why in refused[:3]:
            self.screen.notify(why[:1].upper() + why[1:] + ".", severity="warning", markup=False)

    def ask_remove(self, jobs: Sequence[Job]) -> None:
        """Ask, then remove the finished jobs (files kept or deleted as answered)."""
        finished = [job for job in jobs if job.state.is_finished]
        if not finished:
            job = jobs[0]
            extra = " (cancel it first: C)" if job.state is JobState.WAITING else ""
            self.screen.notify(
                f"{job.short_id} is {job.state}: only a finished job can be removed{extra}.",
                severity="warning",
                markup=False,
            )
            return
        names = " ".join(job.short_id for job in finished[:6]) + (" …" if len(finished) > 6 else "")
        skipped = len(jobs) - len(finished)
        question = f"Remove {len(finished)} finished job(s) from the history? {names}"
        if skipped:
            question += f"\n{skipped} job(s) still on their way are left alone."

        async def answered(answer: str | None) -> None:
            if answer in ("keep", "delete"):
                await self.remove(finished, delete_outputs=answer == "delete")

        self.screen.app.push_screen(
            ConfirmScreen("Remove", question, KEEP_DELETE_CANCEL), callback=answered
        )

    async def remove(self, jobs: Sequence[Job], *, delete_outputs: bool) -> None:
        """Remove the jobs; the rows go in every workstation within a second."""
        removed = 0
        for job in jobs:
            try:
                await self.engine.remove(job.id, delete_outputs=delete_outputs)
            except (KeyError, ValueError) as exc:
                self.screen.notify(str(exc).strip("'"), severity="warning", markup=False)
                continue
            removed += 1
        files = "deleted" if delete_outputs else "kept on disk"
        self.screen.notify(f"Removed {removed} job(s); their files are {files}.", markup=False)

    def ask_rerun(self, jobs: Sequence[Job]) -> None:
        """Ask with the total price, then send every marked job's request again."""
        requests = []
        for job in jobs:
            try:
                requests.append(actions.rerun_request(job))
            except ActionNotPossible as exc:
                self.screen.notify(str(exc), severity="warning", markup=False)
                return
        prices = [price_of(request, self.settings.prices) for request in requests]
        total = sum(p.usd or 0.0 for p in prices)
        approx = "~" if any(p.estimate or p.usd is None for p in prices) else ""
        question = (
            f"Run {len(requests)} marked job(s) again as new jobs? They are paid: "
            f"{approx}${total:.4f} in all."
        )

        async def answered(answer: str | None) -> None:
            if answer != "yes":
                return
            for request, price in zip(requests, prices, strict=True):
                await self.screen.submit(request, price)
            self.screen.job_list.clear_marks()
            self.screen.notify(f"Re-ran {len(requests)} job(s).", markup=False)

        self.screen.app.push_screen(ConfirmScreen("Re-run", question, YES_NO), callback=answered)

    async def export(self) -> None:
        """Write the marked (or selected) jobs and their requests to a JSON file."""
        jobs = self.targets()
        if not jobs:
            self.screen.notify("Mark jobs (space) or select one first.", severity="warning")
            return
        ids = [job.id for job in jobs]
        records = await self.engine.db.read(lambda s: _records(s, ids))
        folder = self.paths.data_dir / "exports"
        path = folder / time.strftime("jobs-%Y%m%d-%H%M%S.json")
        await self.engine.db.read(lambda _s: _write_json(path, records))
        self.screen.notify(f"Exported {len(records)} job(s) to {path}", markup=False)

    async def now(self, job: Job) -> None:
        """Poll it, fetch its missing outputs, or send it: whatever it waits for, now."""
        done = await self.engine.retry_now(job)
        if done:
            self.screen.notify(f"{job.short_id}: {done}.", markup=False)
        elif job.state.is_finished:
            self.screen.notify(f"{job.short_id} is {job.state}: nothing is pending.")
        else:
            self.screen.notify(
                f"{job.short_id} is in another lumatui process's hands; it works on it.",
                markup=False,
            )


def _records(store: Any, ids: list[str]) -> list[dict[str, Any]]:
    records = []
    for job in store.get_many(ids):
        outputs = store.outputs(job.id)
        records.append(
            {
                "id": job.generation_id or job.id,
                "local_id": job.id,
                "type": job.type,
                "model": job.model,
                "state": str(job.state),
                "prompt": job.prompt,
                "request": json.loads(job.request_json),
                "outputs": [o.local_path for o in outputs if o.local_path],
                "failure_code": job.failure_code,
                "failure_reason": job.failure_reason,
            }
        )
    return records


def _write_json(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(path)
