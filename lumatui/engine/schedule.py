"""When to poll a job: dense where it is likely to finish, sparse where it is not.

Luma's advice (a first GET after 20 s, then one every 2 s) sees a finish within about 2 s,
at the price of a GET every 2 s from the 20th second on, also through the minutes in which
a video edit cannot be done yet. Here each kind of job (`durations.Kind`) has a duration
distribution, and its polls follow the hazard of finishing: the chance that a job still
running finishes in the next seconds.

The target is the 95th percentile of the detection lag. Minimising the expected GETs under
"at most a share p of jobs seen later than L" is a bang-bang problem: per second, a dense
poll costs the share of jobs still running (S) and buys the share finishing (f), so polls
are dense (every `dense_interval` = L) where the hazard f/S is high and sparse where it is
low. `plan_polls` makes the lowest-hazard stretches sparse (mostly the start, where nothing
finishes yet, and the far tail), and the next-lowest medium (a poll every 2.8 s), as much
of them as keeps the shares seen late within bounds. In a sparse stretch each interval is
the longest d with d*d <= sparsity / h, h the highest hazard within it: the mean-lag
optimal rule (a GET costs S, a second of lag f*d/2), so sparse polls tighten as finishes
become likely; the floor of a video edit's processing time is such a spike. No interval
exceeds `max_interval` (30 s).
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lumatui.api import retry
from lumatui.engine.durations import Distribution, Kind, Refinement, fit, prior

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

REFIT_AFTER_S = 30.0
"""A family's history is read again at most this often, and only after a new completion."""


@dataclass(frozen=True)
class PollPlan:
    """Tuning of the schedule in API seconds; `time_scale` turns them into the engine's.

    At most `late_share` of a kind's jobs may be seen later than `dense_interval` after they
    finish (Luma's 2 s loop sees 95% within about 2.1 s) and at most `far_share` later than
    `medium_interval`: polls every `medium_interval` bridge sparse and dense stretches, so a
    batch with a few more early finishes than expected is seen a little late, not 30 s late.
    `sparsity` trades GETs against mean lag in the sparse stretches.
    """

    dense_interval: float = 1.975
    late_share: float = 0.035
    medium_interval: float = 2.8
    far_share: float = 0.02
    sparsity: float = 0.1
    max_interval: float = 30.0
    min_interval: float = 0.5
    time_scale: float = 1.0


@dataclass(frozen=True)
class PollSchedule:
    """The planned polls of one kind, in API seconds after submission, and its landmarks."""

    offsets: tuple[float, ...]
    dense_start: float
    typical: float
    late: float
    plan: PollPlan = field(default_factory=PollPlan)

    def next_delay(self, elapsed: float) -> float:
        """API seconds from `elapsed` to the next planned poll (at least `min_interval`)."""
        plan = self.plan
        index = bisect.bisect_left(self.offsets, elapsed + plan.min_interval)
        if index < len(self.offsets):
            return min(self.offsets[index] - elapsed, plan.max_interval)
        return plan.max_interval

    def is_overdue(self, elapsed: float) -> bool:
        """True once a job has run longer than its kind typically takes."""
        return elapsed > self.typical


SPARSE, MEDIUM, DENSE = 0, 1, 2


def plan_polls(distribution: Distribution, plan: PollPlan | None = None) -> PollSchedule:
    """The poll offsets for jobs whose durations follow `distribution` (a few milliseconds).

    The cells of lowest hazard are made sparse, then the next ones medium, each time as
    many as keep the share seen later than `medium_interval` within `far_share` and the
    share seen later than `dense_interval` within `late_share` (bisections on the mass).
    """
    plan = plan or PollPlan()
    grid = _HazardGrid(distribution, plan)

    def within_bounds(offsets: list[float]) -> bool:
        return late_share(distribution, offsets, plan.medium_interval) <= plan.far_share and (
            late_share(distribution, offsets, plan.dense_interval) <= plan.late_share
        )

    # Sparse cells' jobs are nearly all late, medium cells' about a third: hence the bounds.
    bound = 2 * plan.late_share
    sparse, _ = _largest(lambda mass: grid.walk(mass, 0.0), within_bounds, bound)
    _, best = _largest(lambda mass: grid.walk(sparse, mass), within_bounds, 4 * bound)
    intervals = [b - a for a, b in zip((0.0, *best), best, strict=False)]
    first_dense = next(
        (t - d for t, d in zip(best, intervals, strict=True) if d <= plan.dense_interval + 1e-9),
        distribution.quantile(0.5),
    )
    return PollSchedule(
        tuple(best), first_dense, distribution.quantile(0.5), distribution.quantile(0.995), plan
    )


def _largest(
    walk: Callable[[float], list[float]], ok: Callable[[list[float]], bool], bound: float
) -> tuple[float, list[float]]:
    """The largest mass in [0, bound] whose walk is `ok` (a bisection; `walk(0)` must be
    ok), and that walk."""
    low, best = 0.0, walk(0.0)
    high = bound
    for _ in range(8):
        middle = (low + high) / 2
        offsets = walk(middle)
        if ok(offsets):
            low, best = middle, offsets
        else:
            high = middle
    return low, best


def late_share(distribution: Distribution, offsets: Sequence[float], lag: float) -> float:
    """The share of jobs polls at `offsets` see more than `lag` seconds after they finish."""
    late = 0.0
    previous = 0.0
    for offset in offsets:
        if offset - previous > lag:
            late += max(0.0, distribution.cdf(offset - lag) - distribution.cdf(previous))
        previous = offset
    return late + distribution.survival(previous)


class _HazardGrid:
    """A kind's hazard and probability mass in cells, and the polls a dense set gives."""

    def __init__(self, distribution: Distribution, plan: PollPlan) -> None:
        self.plan = plan
        self.end = distribution.samples[-1]
        self.cell = max(plan.dense_interval / 2, distribution.quantile(0.5) / 300)
        self.hazard: list[float] = []
        self.mass: list[float] = []
        for index in range(int(self.end / self.cell) + 1):
            start = index * self.cell
            width = max(2 * plan.dense_interval, 0.05 * start)  # smoothing, wider in the tail
            self.hazard.append(
                distribution.hazard(max(0.0, start + self.cell / 2 - width / 2), width)
            )
            self.mass.append(distribution.cdf(start + self.cell) - distribution.cdf(start))
        self._by_hazard = sorted(range(len(self.hazard)), key=self.hazard.__getitem__)

    def walk(self, sparse: float, medium: float) -> list[float]:
        """The polls when the lowest-hazard cells holding `sparse` of the mass are sparse and
        the next ones, holding `medium`, are polled every `medium_interval`."""
        tiers = [DENSE] * len(self.hazard)
        total = 0.0
        for index in self._by_hazard:
            total += self.mass[index]
            if total > sparse + medium:
                break
            tiers[index] = SPARSE if total <= sparse else MEDIUM
        run_end = [0.0] * len(tiers)  # where each cell's run of one tier ends
        end = len(tiers) * self.cell
        for index in range(len(tiers) - 1, -1, -1):
            if index + 1 < len(tiers) and tiers[index + 1] != tiers[index]:
                end = (index + 1) * self.cell
            run_end[index] = end
        offsets: list[float] = []
        now = 0.0
        while now < self.end:
            index = int(now / self.cell)
            tier = tiers[index] if index < len(tiers) else SPARSE
            if tier == SPARSE:
                now += self._sparse_step(now, tiers)
                offsets.append(now)
                continue
            interval = self.plan.dense_interval if tier == DENSE else self.plan.medium_interval
            count = max(1, math.ceil((run_end[index] - now) / interval - 1e-9))
            offsets.extend(now + interval * step for step in range(1, count + 1))
            now = offsets[-1]
        return offsets

    def _sparse_step(self, now: float, tiers: list[int]) -> float:
        """The longest interval with interval**2 <= sparsity / (highest hazard within it)."""
        plan = self.plan
        highest = 0.0
        index = int(now / self.cell)
        while True:
            before = max(0.0, index * self.cell - now)  # from now to the cell's start
            after = (index + 1) * self.cell - now
            if before >= plan.max_interval:
                return plan.max_interval
            if index >= len(tiers):
                return plan.max_interval
            if tiers[index] != SPARSE and before > 0:  # sparse polling ends where denser starts
                return before if before >= plan.min_interval else plan.dense_interval
            highest = max(highest, self.hazard[index])
            limit = (plan.sparsity / highest) ** 0.5 if highest > 0 else float("inf")
            if limit < after:
                return min(max(before, limit, plan.min_interval), plan.max_interval)
            index += 1


class Schedules:
    """Poll schedules per kind: planned once from the prior, re-planned as the history grows.

    `learn` (a real key) lets each family's finished jobs refine its prior; on the simulator
    the prior is its exact timing model, so history would only add noise.
    """

    def __init__(self, plan: PollPlan | None = None, *, learn: bool = False) -> None:
        self.plan = plan or PollPlan()
        self.learn = learn
        self._schedules: dict[Kind, PollSchedule] = {}
        self._refinements: dict[tuple[str, str], Refinement] = {}
        self._fitted_at: dict[tuple[str, str], float] = {}
        self._stale: set[tuple[str, str]] = set()

    def needs_history(self, kind: Kind) -> bool:
        """True when the family's finished jobs should be read (again) before planning."""
        if not self.learn:
            return False
        family = kind.family
        if family not in self._fitted_at:
            return True
        recent = time.monotonic() - self._fitted_at[family] < REFIT_AFTER_S
        return family in self._stale and not recent

    def learn_from(self, family: tuple[str, str], history: Sequence[tuple[Kind, float]]) -> None:
        """Refit a family from its finished jobs (kind, seconds from submission to finish)."""
        refinement = fit(history)
        self._fitted_at[family] = time.monotonic()
        self._stale.discard(family)
        if refinement != self._refinements.get(family, Refinement()):
            self._refinements[family] = refinement
            for kind in [k for k in self._schedules if k.family == family]:
                del self._schedules[kind]

    def refinement(self, family: tuple[str, str]) -> Refinement:
        """How the family's history moves its prior (no change until it is learnt)."""
        return self._refinements.get(family, Refinement())

    def finished(self, family: tuple[str, str]) -> None:
        """A job of this family finished: its history has grown."""
        self._stale.add(family)

    def planned(self, kind: Kind) -> bool:
        """True once the schedule of `kind` was planned (`for_kind` then costs nothing)."""
        return kind in self._schedules

    def for_kind(self, kind: Kind) -> PollSchedule:
        """The schedule of a kind (planned on first use, a few milliseconds)."""
        schedule = self._schedules.get(kind)
        if schedule is None:
            refinement = self._refinements.get(kind.family, Refinement())
            schedule = plan_polls(refinement.apply(prior(kind)), self.plan)
            self._schedules[kind] = schedule
        return schedule

    def delay(self, kind: Kind, elapsed: float) -> float:
        """Engine seconds until the next poll of a job of `kind` running for `elapsed` of them."""
        scale = self.plan.time_scale
        return self.for_kind(kind).next_delay(elapsed / scale) * scale

    def is_overdue(self, kind: Kind, elapsed: float) -> bool:
        """True when a job running for `elapsed` engine seconds is past its typical finish."""
        return self.for_kind(kind).is_overdue(elapsed / self.plan.time_scale)


@dataclass(frozen=True)
class Expectation:
    """How long jobs of one kind take (for progress estimates): start of likely finishes,
    typical and late finish, in API seconds."""

    early: float
    typical: float
    late: float
    measured: bool = False

    def scaled(self, factor: float) -> Expectation:
        """The same expectation with every time multiplied by `factor`."""
        return Expectation(self.early * factor, self.typical * factor, self.late * factor)


def expectation(model: str, type_: str, history: Sequence[float]) -> Expectation:
    """The expected durations of a family (its default settings), refined by its history."""
    kind = Kind.of(model, type_)
    refinement = fit([(kind, seconds) for seconds in history])
    distribution = refinement.apply(prior(kind))
    return Expectation(
        distribution.quantile(0.05),
        distribution.quantile(0.5),
        distribution.quantile(0.995),
        refinement.observations > 0,
    )


def backoff_delay(failures: int, plan: PollPlan = PollPlan(), *, base: float = 2.0) -> float:
    """Exponential backoff after `failures` consecutive errors, capped at the max interval."""
    return retry.backoff_delay(failures, base=base, cap=plan.max_interval * 4) * plan.time_scale
