"""When to poll a job next: no GETs while a finish is unlikely, dense GETs once it is likely.

Luma's advice for uni-1 is a first poll after about 20 s, then one every 2 s. That spends
most GETs on jobs that cannot be done yet (a ray-3.2 video takes minutes). Here each kind
of job (model and type) has an expected duration distribution: from the history of jobs
of that kind once there is enough of it, from a prior table until then. The first poll
waits until dense polling starts to pay, polls are then dense (a little under Luma's 2 s)
through the likely finishes, and back off on the far tail.

When dense polling starts is a trade, made the same way for every kind: each GET costs
one, and a job that finished before dense polling began (so is seen late) costs
`LATE_COST` GETs. `first_poll` picks the start that minimises the expected total. For a
30 s image that is nearly the earliest finish ever seen; for a 10-minute video edit, whose
finishes are spread over minutes, it is later in the distribution, because every second
skipped saves a GET on almost every job while few jobs finish in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.api import retry

if TYPE_CHECKING:
    from collections.abc import Sequence

MIN_HISTORY = 20
"""Durations of a kind needed before they rescale its prior to the observed median."""
FULL_HISTORY = 100
"""Durations of a kind needed before they replace its prior (fewer give biased tails)."""
LATE_COST = 200.0
"""How many GETs one late detection (a finish before dense polling began) is worth."""
RULE_INTERVAL = 1.9
"""The dense interval `first_poll` assumes (PollPlan's default)."""
LATE_QUANTILE = 0.995
"""Dense polling goes on until this share of jobs of the kind has finished."""


@dataclass(frozen=True)
class Expectation:
    """How long jobs of one kind take: when to start dense polling, typical and late finish.

    `measured` marks an expectation computed from the engine's own history: those durations
    are already on the engine's clock, so `scaled` leaves them as they are (a prior is in
    API seconds and is scaled to a sped-up simulator's clock).
    """

    early: float
    typical: float
    late: float
    measured: bool = False

    def scaled(self, factor: float) -> Expectation:
        """The same expectation with every time multiplied by `factor` (priors only)."""
        if self.measured:
            return self
        return Expectation(self.early * factor, self.typical * factor, self.late * factor)


# Before any history. uni-1: Luma's quickstart says 30-60 s, p50 about 30 s. The rest are
# not published (uni-1-max about twice uni-1; ray-3.2 video minutes; video edit and
# reframe 5-15 minutes, a reseller's figure). Each row is `first_poll`, the median and the
# 99.5th percentile of a 20,000-job sample of the simulator's timing model
# (lumatui/sim/timing.py: queueing plus processing of a 5 s 720p video or one image,
# log-normal with a 5% long tail), which encodes those figures.
PRIORS: dict[tuple[str, str], Expectation] = {
    ("uni-1", "image"): Expectation(16.5, 31, 130),
    ("uni-1", "image_edit"): Expectation(18.3, 35, 148),
    ("uni-1-max", "image"): Expectation(30.7, 64, 287),
    ("uni-1-max", "image_edit"): Expectation(34.6, 70, 316),
    ("ray-3.2", "video"): Expectation(82, 156, 760),
    ("ray-3.2", "video_edit"): Expectation(421, 551, 1396),
    ("ray-3.2", "video_reframe"): Expectation(300, 490, 1241),
}
UNKNOWN_KIND = Expectation(15, 60, 900)


def expectation(model: str, type_: str, history: Sequence[float]) -> Expectation:
    """The expected durations for a kind of job, learnt from its history as it grows.

    Under `MIN_HISTORY` durations: the prior. Then the prior's shape, rescaled so its
    median is the history's (a median is steady from a few dozen jobs; the edges of the
    distribution are not). From `FULL_HISTORY` durations on: the history alone.
    """
    prior = PRIORS.get((model, type_), UNKNOWN_KIND)
    if len(history) < MIN_HISTORY:
        return prior
    ordered = sorted(history)
    typical = _quantile(ordered, 0.5)
    if len(ordered) < FULL_HISTORY:
        factor = typical / prior.typical
        return Expectation(prior.early * factor, typical, prior.late * factor, measured=True)
    return Expectation(
        early=first_poll(ordered),
        typical=typical,
        late=_quantile(ordered, LATE_QUANTILE),
        measured=True,
    )


def first_poll(
    ordered: Sequence[float], *, interval: float = RULE_INTERVAL, late_cost: float = LATE_COST
) -> float:
    """When dense polling should start, for jobs whose durations are `ordered` (ascending).

    Starting at `s` costs about `(T - s) / interval` GETs for each job finishing at
    `T >= s`, and `late_cost` for each job finishing before `s`; the best `s` is one of
    the durations themselves.
    """
    count = len(ordered)
    rest = sum(ordered)  # the sum of the durations from index i on
    best, best_cost = ordered[0], float("inf")
    for i, start in enumerate(ordered):
        cost = late_cost * i + (rest - (count - i) * start) / interval
        if cost < best_cost:
            best, best_cost = start, cost
        rest -= start
    return best


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class PollPlan:
    """Tuning of the schedule, in seconds of real time (multiplied by `time_scale`)."""

    dense_interval: float = RULE_INTERVAL
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
    return retry.backoff_delay(failures, base=base, cap=plan.max_interval * 4) * plan.time_scale
