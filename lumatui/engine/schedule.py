"""When to poll a job next: sparse while a finish is unlikely, dense around the likely finish.

Luma's advice for uni-1 is a first poll after about 20 s, then one every 2 s. That spends
most GETs on jobs that cannot be done yet (a ray-3.2 video takes minutes). Here the
expected duration comes from the history of jobs of the same model and type (a prior
table until there is enough history): the first poll waits until the earliest likely
finish, polls are dense while finishes are likely, and back off on the long tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

MIN_HISTORY = 8


@dataclass(frozen=True)
class Expectation:
    """How long jobs of one kind take: early, typical and late finish, in seconds."""

    early: float
    typical: float
    late: float

    def scaled(self, factor: float) -> Expectation:
        """The same expectation with every time multiplied by `factor`."""
        return Expectation(self.early * factor, self.typical * factor, self.late * factor)


# Before any history: what Luma's docs say (uni-1 30-60 s, p50 ~30 s) and cautious guesses
# for the rest (uni-1-max slower; ray-3.2 minutes, edits and reframes longer).
PRIORS: dict[tuple[str, str], Expectation] = {
    ("uni-1", "image"): Expectation(18, 32, 65),
    ("uni-1", "image_edit"): Expectation(20, 36, 70),
    ("uni-1-max", "image"): Expectation(30, 55, 120),
    ("uni-1-max", "image_edit"): Expectation(32, 60, 130),
    ("ray-3.2", "video"): Expectation(60, 150, 420),
    ("ray-3.2", "video_edit"): Expectation(180, 420, 1200),
    ("ray-3.2", "video_reframe"): Expectation(180, 420, 1200),
}
UNKNOWN_KIND = Expectation(15, 60, 600)


def expectation(model: str, type_: str, history: Sequence[float]) -> Expectation:
    """The expected durations for a kind of job, from its history when there is enough."""
    if len(history) < MIN_HISTORY:
        return PRIORS.get((model, type_), UNKNOWN_KIND)
    ordered = sorted(history)
    return Expectation(
        early=_quantile(ordered, 0.03),
        typical=_quantile(ordered, 0.5),
        late=_quantile(ordered, 0.97),
    )


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class PollPlan:
    """Tuning of the schedule, in seconds of real time (multiplied by `time_scale`)."""

    dense_interval: float = 1.8
    tail_growth: float = 0.25
    max_interval: float = 30.0
    min_interval: float = 0.5
    time_scale: float = 1.0


def next_delay(elapsed: float, expected: Expectation, plan: PollPlan = PollPlan()) -> float:
    """Seconds to wait before the next poll of a job submitted `elapsed` seconds ago."""
    scale = plan.time_scale
    dense = plan.dense_interval * scale
    if elapsed < expected.early:
        return max(expected.early - elapsed, dense)
    if elapsed <= expected.late:
        return dense
    overdue = elapsed - expected.late
    return min(dense + plan.tail_growth * overdue, plan.max_interval * scale)


def backoff_delay(failures: int, plan: PollPlan = PollPlan(), *, base: float = 2.0) -> float:
    """Exponential backoff after `failures` consecutive errors, capped at the max interval."""
    return min(base * 2.0 ** max(failures - 1, 0), plan.max_interval * 4) * plan.time_scale
