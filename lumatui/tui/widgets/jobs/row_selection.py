"""The job list's selection and batch groups: which row stands for which job, the cursor.

A part of `JobList` (see there): the rows' state is set in `JobRows.__init__`; this finds
a job's row, follows the cursor, and opens, closes and places batches' group rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.tui.widgets.jobs.row_cells import RowCells

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job


class RowSelection(RowCells, can_focus=False):
    """The selected row and batches' group rows (a part of JobList)."""

    _total: int
    _history_total: int
    _wanted: str | None

    @property
    def selected_job_id(self) -> str | None:
        """The local id of the highlighted job (a batch's group row: the job it acts on)."""
        return self._job_at(self.table.key_at_cursor())

    def _job_at(self, key: str | None) -> str | None:
        """The job a row stands for: its own; a group row's, the selected job when it is one
        of the group's (the lineage chose it), else the group's first listed job."""
        group = self._groups.at(key)
        if group is None:
            return key
        if self._selected in group.shown:
            return self._selected
        return group.shown[0] if group.shown else None

    def _row_of(self, job_id: str) -> str | None:
        """The row that shows a job: its own, or its group row while the group is closed."""
        if self.table.has_row(job_id):
            return job_id
        group = self._groups.of(self._jobs.get(job_id))
        return group.key if group is not None and self.table.has_row(group.key) else None

    def _follow_cursor(self) -> None:
        """After a reload the highlighted row is what the app and the note describe.

        A filter or `h` may have hidden the job that was selected: the cursor then sits on
        another row (or none), and that row is the selection now.
        """
        key = self._job_at(self.table.key_at_cursor())
        if key is None:
            self._selected = None
            self._set_note(self._empty_note())
            return
        if key != self._selected and self._wanted is None:
            self._selected = key
            self.post_message(self.JobSelected(key))  # type: ignore[attr-defined]
        self._show_note(key)

    def _empty_note(self) -> str:
        if self._history_total and self._total == 0:
            return "No job matches the filter (esc clears it; h shows finished jobs)."
        return "No jobs yet: submit one from the composer (ctrl+j)."

    def _move_to(self, job_id: str) -> None:
        self._selected = job_id
        table = self.table
        table.move_cursor(row=table.get_row_index(self._row_of(job_id) or job_id))
        self._show_note(job_id)

    def job(self, job_id: str) -> Job | None:
        """The job as the list shows it (None when it is not loaded)."""
        return self._jobs.get(job_id)

    # -- batch groups ---------------------------------------------------------------------

    def _place(self, job: Job, now: float, batch: list[Job] | None, *, on_top: bool) -> None:
        """List a batch's job: under its group row (made, on top or at the end, when new);
        its own row only while the group is open."""
        group = self._groups.listed(job, batch)
        table = self.table
        if on_top:  # a new job: the newest of its group, first under the group row
            group.shown.remove(job.id)
            group.shown.insert(0, job.id)
        if not table.has_row(group.key):
            cells = self._group_row(group)
            if on_top:
                table.add_rows_on_top([(group.key, cells)])
            else:
                table.add_row(*cells, key=group.key)
        else:
            self._refresh_group(group)
        if group.expanded:
            above = [m for m in group.shown if m != job.id and table.has_row(m)]
            anchor = group.key if on_top or not above else above[-1]
            table.insert_rows_after(anchor, [(job.id, self._row(job, now))])

    def _settle_groups(self, keys: set[str]) -> None:
        """Groups whose jobs changed: redraw them; a group with no job listed goes."""
        gone = [key for key in keys if self._groups.at(key) is None]
        self.table.remove_rows(gone)
        for key in keys:
            if (group := self._groups.at(key)) is not None:
                self._refresh_group(group)

    def open_group(self, opened: bool | None = None) -> bool:
        """Open (`True`), close (`False`) or flip (`None`) the batch group under the cursor
        (from one of its jobs' rows: close only). False when the cursor is on no group."""
        table = self.table
        key = table.key_at_cursor()
        group = self._groups.at(key)
        if group is None:
            group = self._groups.of(self._jobs.get(key or ""))
            if group is None or opened is not False:
                return False
        opened = not group.expanded if opened is None else opened
        if opened and not group.expanded:
            now = self.clock()
            rows = [(m, self._row(self._jobs[m], now)) for m in group.shown if m in self._jobs]
            self._groups.set_open(group, True)
            table.insert_rows_after(group.key, rows)
        elif not opened and group.expanded:
            self._groups.set_open(group, False)
            table.remove_rows(group.shown)
            table.move_cursor(row=table.get_row_index(group.key))
        self._refresh_group(group)
        self._show_note(group.key)
        return True

    # -- forgetting -----------------------------------------------------------------------

    def _forget(self, job_id: str, *, removed: bool = False) -> str | None:
        """Drop a job from the list; the key of its group row, if it is a batch's."""
        job = self._jobs.pop(job_id, None)
        group = self._groups.of(job)
        self._groups.unlisted(job_id, job.batch_id if job else None, removed=removed)
        self._costs.pop(job_id, None)
        self._ticking.discard(job_id)
        self._downloads.pop(job_id, None)
        return None if group is None else group.key
