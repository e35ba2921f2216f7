"""What a batch comes to: how many of its jobs are done, running and waiting, and its price.

One summary for the three places a batch is one thing: its group row in the job list, its
node in the lineage and the header's line while it runs. A batch is the jobs sent together
from one prompt's `{a|b}` alternatives times the composer's Runs (`Job.batch_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.api.batches import batch_total
from lumatui.api.pricing import Price
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from lumatui.engine.jobs import Job

_FAILED = frozenset({JobState.FAILED, JobState.REJECTED, JobState.UNCERTAIN})


@dataclass(frozen=True)
class BatchSummary:
    """A batch's counts by state and its total price (None: some price is unknown)."""

    label: str
    size: int
    done: int
    """Finished jobs, whatever the outcome (completed, failed, cancelled ...)."""
    running: int
    """Jobs on their way: being sent, queued or processing."""
    waiting: int
    """Jobs held in the local queue."""
    failed: int
    """Failed, refused or uncertain jobs (counted in `done` too)."""
    starred: int
    price: Price
    priced: bool = True
    """False while a member's price is still being read (the job list's first page is
    placed before its prices, which follow the first frame): `price` means nothing yet."""

    @property
    def settled(self) -> bool:
        """True when no job of the batch is on its way any more."""
        return self.done == self.size

    @property
    def state(self) -> JobState:
        """One state for the whole batch: running while any runs, then how it ended."""
        if self.running:
            return JobState.PROCESSING
        if self.waiting:
            return JobState.WAITING
        if self.failed == self.size:
            return JobState.FAILED
        return JobState.COMPLETED if self.failed == 0 else JobState.UNCERTAIN

    @property
    def progress(self) -> str:
        """`3 of 4 done`."""
        return f"{self.done} of {self.size} done"

    def price_text(self) -> str:
        """`$0.1616`, `~$1.20` for an estimate, `price unknown`; `…` while being read."""
        if not self.priced:
            return "…"
        usd = self.price.usd
        if usd is None:
            return "price unknown"
        return f"{'~' if self.price.estimate else ''}${usd:.4f}"

    def describe(self, *, progress: bool = True, price: bool = True) -> str:
        """`3 of 4 done, 1 running, 1 failed, $0.1616`: the parts that are not zero (the
        progress and the price left out when shown elsewhere)."""
        parts = [self.progress] if progress else []
        if self.running:
            parts.append(f"{self.running} running")
        if self.waiting:
            parts.append(f"{self.waiting} waiting")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if price:
            parts.append(self.price_text())
        return ", ".join(parts)


def summarize(label: str, jobs: Iterable[Job], prices: Mapping[str, Price | None]) -> BatchSummary:
    """The summary of `jobs` (the whole batch); `prices` holds each job's price by id (a
    job missing from it: its price is still being read)."""
    members = list(jobs)
    done = running = waiting = failed = starred = 0
    priced = all(job.id in prices for job in members)
    each: list[Price] = []
    for job in members:
        if job.state is JobState.WAITING:
            waiting += 1
        elif job.state.is_running:
            running += 1
        else:
            done += 1
        failed += job.state in _FAILED
        starred += job.starred
        price = prices.get(job.id)
        each.append(price if price is not None else Price(None, False, "unknown"))
    total = batch_total(each)
    return BatchSummary(label, len(members), done, running, waiting, failed, starred, total, priced)


class RunningBatches:
    """The batches with a job on its way, each with every job of it seen: the header's line.

    A batch is followed from the moment one of its jobs runs until none does; its jobs'
    prices come from `price` (asked once a job).
    """

    def __init__(self, price: Callable[[Job], Price | None]) -> None:
        self._price = price
        self._prices: dict[str, Price | None] = {}
        self._batches: dict[str, dict[str, Job]] = {}

    def follow(self, jobs: Iterable[Job], whole: Mapping[str, list[Job]] | None = None) -> None:
        """Jobs changed (or were read at start, with `whole` batches by id): follow them."""
        for job in jobs:
            if job.batch_id is None:
                continue
            members = self._batches.get(job.batch_id)
            if members is None:
                if not job.state.is_running:
                    continue  # a batch already settled: nothing to say
                members = self._batches[job.batch_id] = {}
                for member in (whole or {}).get(job.batch_id, ()):
                    members[member.id] = member
            members[job.id] = job
        self._settle()

    def forget(self, job_ids: Iterable[str]) -> None:
        """Jobs removed from the history."""
        gone = set(job_ids)
        for members in self._batches.values():
            for job_id in gone & members.keys():
                del members[job_id]
        self._settle()

    def _settle(self) -> None:
        for batch_id, members in list(self._batches.items()):
            if not any(job.state.is_running for job in members.values()):
                del self._batches[batch_id]

    def summaries(self) -> list[BatchSummary]:
        """Each running batch's summary, newest first."""
        newest = sorted(
            self._batches.values(), key=lambda m: max(j.seq for j in m.values()), reverse=True
        )
        found = []
        for members in newest:
            for job_id, job in members.items():
                if job_id not in self._prices:
                    self._prices[job_id] = self._price(job)
            first = next(iter(members.values()))
            label = first.batch_label or first.prompt or ""
            found.append(summarize(label, members.values(), self._prices))
        return found

    def parts(self) -> tuple[str, str]:
        """The newest running batch's label and the rest of its line (`("", "")`: none)."""
        summaries = self.summaries()
        if not summaries:
            return "", ""
        newest = summaries[0]
        more = f" · +{len(summaries) - 1} more" if len(summaries) > 1 else ""
        return newest.label, newest.describe() + more

    def line(self) -> str:
        """`batch 'a {red|blue} fox': 2 of 4 done, 1 running, $0.1212 · +1 more`, or ""."""
        label, facts = self.parts()
        return batch_line(label, facts) if facts else ""


def batch_line(label: str, facts: str) -> str:
    """`batch 'a {red|blue} fox': 2 of 4 done, ...`."""
    return f"batch '{label}': {facts}"
