"""Batches in the job list: one group row per batch, its jobs under it while it is open.

A batch (the jobs sent together from a prompt's `{a|b}` alternatives times Runs) is one row
keyed `batch:<batch id>`, at the place of its first job in the list's order: its label (the
prompt as written), "3 of 4 done", the states that are not zero, the total price. Groups
start closed; `enter`/`→` opens one (its jobs follow it, indented), `←` closes it (from
the group row or one of its jobs); a group stays open for the session, through reloads.
The jobs listed under a group are those the filter keeps (`star:yes` shows a group with
its starred jobs only); its counts are always the whole batch's, read with the page that
brought its first job (at most 64 jobs a batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

from lumatui.tui.batch_summary import BatchSummary, summarize
from lumatui.tui.widgets.jobs.cells import cost_cell, plain_cell, state_cell

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from lumatui.api.pricing import Price
    from lumatui.engine.jobs import Job

GROUP_PREFIX = "batch:"
OPEN, CLOSED = "▾", "▸"
LABEL_MIN = 12
"""The fewest cells a group row's label is cut to (then the counts give way instead)."""
MEMBER_INDENT = "│ "
"""Before a batch's job's prompt, so its rows read as under the group row (a visible mark:
leading spaces alone are lost by some SVG renderers of the screenshots)."""


def group_key(batch_id: str) -> str:
    """The row key of a batch's group row."""
    return GROUP_PREFIX + batch_id


def batch_of_key(key: str | None) -> str | None:
    """The batch id of a group row's key; None for a job's row (or no row)."""
    if key is not None and key.startswith(GROUP_PREFIX):
        return key[len(GROUP_PREFIX) :]
    return None


@dataclass
class BatchGroup:
    """One batch in the list: every job of it known (for its counts) and those listed."""

    batch_id: str
    label: str
    members: dict[str, Job] = field(default_factory=dict)
    """The whole batch, filtered or not, in the order it was recorded."""
    shown: list[str] = field(default_factory=list)
    """The ids of its jobs the list holds (the filter keeps them), in list order."""
    expanded: bool = False

    @property
    def key(self) -> str:
        """The group row's key."""
        return group_key(self.batch_id)

    def summary(self, prices: Mapping[str, Price | None]) -> BatchSummary:
        """Its counts and total price."""
        return summarize(self.label, self.members.values(), prices)


class BatchGroups:
    """The batches the list shows, and which of them the person opened (kept across reloads)."""

    def __init__(self) -> None:
        self._groups: dict[str, BatchGroup] = {}
        self._opened: set[str] = set()

    def clear(self) -> None:
        """A reload: no group is listed any more (the opened ones stay opened)."""
        self._groups.clear()

    def get(self, batch_id: str | None) -> BatchGroup | None:
        """The batch's group, when it is listed."""
        return None if batch_id is None else self._groups.get(batch_id)

    def at(self, key: str | None) -> BatchGroup | None:
        """The group of a group row's key."""
        return self.get(batch_of_key(key))

    def of(self, job: Job | None) -> BatchGroup | None:
        """The group a job is listed under (None for a job outside any batch)."""
        return None if job is None else self.get(job.batch_id)

    def __iter__(self) -> Iterator[BatchGroup]:
        return iter(list(self._groups.values()))

    def known(self) -> frozenset[str]:
        """The batch ids whose whole membership is known (no need to read it again)."""
        return frozenset(self._groups)

    def listed(self, job: Job, batch: list[Job] | None = None) -> BatchGroup:
        """`job` is in the list now: its group (made when new), with `job` listed last."""
        assert job.batch_id is not None
        group = self._groups.get(job.batch_id)
        if group is None:
            group = BatchGroup(job.batch_id, job.batch_label or job.prompt or "")
            group.expanded = job.batch_id in self._opened
            self._groups[job.batch_id] = group
        for member in batch or ():
            group.members.setdefault(member.id, member)
        group.members[job.id] = job
        if job.id not in group.shown:
            group.shown.append(job.id)
        return group

    def changed(self, job: Job) -> BatchGroup | None:
        """A job of a listed batch changed (listed or not): its group's counts follow."""
        group = self.of(job)
        if group is not None:
            group.members[job.id] = job
        return group

    def unlisted(self, job_id: str, batch_id: str | None, *, removed: bool = False) -> None:
        """The job left the list (a filter, or `removed` from the history)."""
        group = self.get(batch_id)
        if group is None:
            return
        if job_id in group.shown:
            group.shown.remove(job_id)
        if removed:
            group.members.pop(job_id, None)
        if not group.shown:
            del self._groups[group.batch_id]

    def set_open(self, group: BatchGroup, opened: bool) -> None:
        """Open or close a group (remembered for the session)."""
        group.expanded = opened
        if opened:
            self._opened.add(group.batch_id)
        else:
            self._opened.discard(group.batch_id)


def group_cells(
    group: BatchGroup,
    summary: BatchSummary,
    *,
    marked: int,
    colours: Mapping[str, str],
    prompt_width: int = 0,
    shown: tuple[str, ...] = (),
) -> dict[str, Text]:
    """Every column's content for a group row (without the leading gap); in a Prompt column
    `prompt_width` wide, the label is cut so the counts and the price still show (those the
    `shown` columns, Est. and Cost, already show are left out of it)."""
    arrow = OPEN if group.expanded else CLOSED
    mark = "●" if marked else ""
    ident = Text.assemble((mark, "bold"), f"{arrow} {summary.size} jobs", end="")
    prompt = Text(f"{arrow} ", style="bold", end="", no_wrap=True, overflow="ellipsis")
    if summary.starred:
        prompt.append(f"★{summary.starred} ", style="bold")
    facts = summary.describe(progress="progress" not in shown, price="cost" not in shown)
    if len(group.shown) < summary.size:
        facts = ", ".join(filter(None, (facts, f"{len(group.shown)} listed")))
    facts = f" · {facts}" if facts else ""
    label = plain_cell(summary.label)
    room = prompt_width - 1 - prompt.cell_len - len(facts)
    if prompt_width and label.cell_len > room:
        label.truncate(max(room, LABEL_MIN), overflow="ellipsis")
    prompt.append_text(label)
    prompt.append(facts, style=colours.get("foreground-muted", ""))
    types = {job.type for job in group.members.values()}
    models = {job.model for job in group.members.values()}
    return {
        "state": state_cell(summary.state, colours),
        "id": ident,
        "elapsed": Text(""),
        "progress": Text(summary.progress, end=""),
        "type": Text(types.pop() if len(types) == 1 else "mixed", end=""),
        "model": Text(models.pop() if len(models) == 1 else "mixed", end=""),
        "cost": cost_cell(summary.price) if summary.priced else Text("…", end=""),
        "prompt": prompt,
        "failure": Text(f"{summary.failed} failed" if summary.failed else "", end=""),
    }


def group_note(group: BatchGroup, summary: BatchSummary, acts_on: str | None) -> str:
    """The note under the list for a group row: what it is and what the keys do."""
    keys = "← closes" if group.expanded else "enter/→ opens"
    text = f"batch '{summary.label}': {summary.describe()} · {keys} · space marks its jobs"
    if acts_on:
        text += f" · e a r * act on {acts_on}"
    return text
