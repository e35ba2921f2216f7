"""How long a kind of job takes: the documented prior, refined by this history's own jobs.

A kind is model x type x resolution x length x HDR: a 1080p ten-second video takes about
three times as long as a 720p five-second one, so they cannot share a schedule. Each kind's
prior is a large, fixed sample of `lumatui.api.timings` (the same code the simulator draws
its jobs from), so the priors follow the timing model and never drift from it.

With a real key, the finished jobs of this history refine their family's prior (model and
type): the median log-ratio of observed to expected durations moves it, their spread
stretches it. Both are shrunk towards the prior while there are few observations, bounded
(a factor of 3, a spread between half and twice), and computed from medians and quartiles
of plausible durations only, so a handful of outliers cannot stretch a schedule.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import random
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution
from lumatui.api.timings import PROCESSING, QUEUE, Profile, draw, processing_factor

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

SAMPLE_SIZE = 4096
"""Stratified draws per family: shares of jobs right to a few tenths of a percent, ~10 ms."""
PRIOR_SEED = "lumatui-polling-prior"
UNKNOWN_PROCESSING = Profile(median_s=60.0, sigma=0.8, floor_s=5.0)
"""A wide guess for a model or type this version does not know."""

SHIFT_PRIOR_WEIGHT = 10.0
"""Observations worth as much as the prior's typical duration."""
STRETCH_PRIOR_WEIGHT = 40.0
"""Observations worth as much as the prior's spread (a spread needs more data than a median)."""
MAX_SHIFT = math.log(3.0)
STRETCH_RANGE = (0.5, 2.0)
MIN_FOR_STRETCH = 8
_VIDEO_TYPES = frozenset(t.value for t in GenerationType if t.makes_video)
PLAUSIBLE_RANGE = (0.25, 4.0)
"""An observation outside [q0.1% / 4, q99.9% x 4] of its prior is not this kind's timing
(a simulator at 100x, a job stuck for a day) and is left out."""


@dataclass(frozen=True)
class Kind:
    """What decides how long a job takes: model, type and, for videos, its settings."""

    model: str
    type: str
    resolution: str | None = None
    duration: str | None = None
    hdr: bool = False

    @classmethod
    def of(cls, model: str, type_: str, request_json: str | None = None) -> Kind:
        """The kind of a job from its model, type and the request it sent."""
        video: dict[str, Any] = {}
        if request_json and type_ in _VIDEO_TYPES:
            try:
                body = json.loads(request_json)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("video"), dict):
                video = body["video"]
        return cls.video(
            model, type_, video.get("resolution"), video.get("duration"), video.get("hdr")
        )

    @classmethod
    def video(cls, model: str, type_: str, resolution: Any, duration: Any, hdr: Any) -> Kind:
        """The kind from a request's video settings (as sent; defaults where unset or odd)."""
        if type_ not in _VIDEO_TYPES:
            return cls(model, type_)
        if resolution not in {r.value for r in VideoResolution}:
            resolution = VideoResolution.P720.value
        if type_ != GenerationType.VIDEO:
            duration = None  # an edit or a reframe is as long as its source
        elif duration not in {d.value for d in VideoDuration}:
            duration = VideoDuration.S5.value
        return cls(model, type_, resolution, duration, hdr in (True, 1))

    @property
    def family(self) -> tuple[str, str]:
        """Model and type: the kinds whose history is pooled."""
        return (self.model, self.type)

    def __str__(self) -> str:
        extra = [part for part in (self.resolution, self.duration) if part]
        if self.hdr:
            extra.append("hdr")
        return f"{self.model}/{self.type}" + "".join(f" {part}" for part in extra)


class Distribution:
    """A duration distribution as sorted samples: seconds from submission to the finish."""

    def __init__(self, samples: Sequence[float]) -> None:
        if not samples:
            raise ValueError("a distribution needs at least one sample")
        self.samples = sorted(samples)
        self._count = len(self.samples)
        self._prefix = [0.0, *accumulate(self.samples)]

    def cdf(self, t: float) -> float:
        """P(finished by `t`)."""
        return bisect.bisect_right(self.samples, t) / self._count

    def survival(self, t: float) -> float:
        """P(still running at `t`)."""
        return 1.0 - self.cdf(t)

    def quantile(self, q: float) -> float:
        """The duration that a share `q` of jobs finish within."""
        index = min(self._count - 1, max(0, math.ceil(q * self._count) - 1))
        return self.samples[index]

    def integral_cdf(self, t: float) -> float:
        """The integral of the cdf from 0 to `t` (mean lags are differences of it)."""
        k = bisect.bisect_right(self.samples, t)
        return (k * t - self._prefix[k]) / self._count

    def hazard(self, t: float, width: float) -> float:
        """P(finishing within `width` | running at `t`), per second: dense polls pay where high."""
        done = bisect.bisect_right(self.samples, t)
        running = self._count - done
        if running <= 0 or width <= 0:
            return 0.0
        return (bisect.bisect_right(self.samples, t + width) - done) / (width * running)

    def log_iqr(self) -> float:
        """The spread of log-durations between the quartiles."""
        return math.log(self.quantile(0.75) / self.quantile(0.25))

    def transformed(self, shift: float, stretch: float) -> Distribution:
        """Log-durations moved by `shift` and spread `stretch` times about the median."""
        if shift == 0.0 and stretch == 1.0:
            return self
        log_median = math.log(self.quantile(0.5))
        return Distribution(
            [
                math.exp(log_median + shift + stretch * (math.log(t) - log_median))
                for t in self.samples
            ]
        )


@functools.cache
def _family_draws(model: str, type_: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Queue and processing times of a family's fixed sample (a 720p 5 s SDR video)."""
    try:
        profile = PROCESSING[(Model(model), GenerationType(type_))]
    except (ValueError, KeyError):  # a model or type newer than this table
        profile = UNKNOWN_PROCESSING
    queue_source = _StratifiedSource(SAMPLE_SIZE, f"{PRIOR_SEED}:{model}:{type_}:queue")
    processing_source = _StratifiedSource(SAMPLE_SIZE, f"{PRIOR_SEED}:{model}:{type_}")
    queue = tuple(draw(QUEUE, queue_source) for _ in range(SAMPLE_SIZE))
    processing = tuple(draw(profile, processing_source) for _ in range(SAMPLE_SIZE))
    return queue, processing


@functools.cache
def _levels(count: int) -> tuple[float, ...]:
    return tuple((i + 0.5) / count for i in range(count))


@functools.cache
def _normal_levels(count: int) -> tuple[float, ...]:
    import statistics  # here, not at start-up: it imports decimal and fractions

    normal = statistics.NormalDist()
    return tuple(normal.inv_cdf(level) for level in _levels(count))


class _StratifiedSource:
    """Stands in for `random.Random` inside `timings.draw`: each variate comes from its own
    stratified stream (the n quantiles at (i + 1/2) / n, shuffled), so n draws cover the
    distribution evenly; independent draws would leave a 4% tail share uncertain by 0.3%."""

    def __init__(self, count: int, seed: str) -> None:
        shuffler = random.Random(seed)
        levels = _levels(count)

        def stream(values: Sequence[float]) -> Iterator[float]:
            keys = [shuffler.random() for _ in values]  # a sort by random keys: a fast shuffle
            return iter([values[i] for i in sorted(range(len(values)), key=keys.__getitem__)])

        self._normal = stream(_normal_levels(count))
        self._uniform = stream(levels)
        self._spread = stream(levels)

    def lognormvariate(self, mu: float, sigma: float) -> float:
        """The next log-normal variate."""
        return math.exp(mu + sigma * next(self._normal))

    def random(self) -> float:
        """The next uniform variate in [0, 1)."""
        return next(self._uniform)

    def uniform(self, a: float, b: float) -> float:
        """The next uniform variate in [a, b]."""
        return a + (b - a) * next(self._spread)


@functools.lru_cache(maxsize=128)
def prior(kind: Kind) -> Distribution:
    """The documented timing of a kind: queue plus processing, scaled by its video settings."""
    queue, processing = _family_draws(kind.model, kind.type)
    try:
        factor = processing_factor(
            GenerationType(kind.type),
            resolution=VideoResolution(kind.resolution) if kind.resolution else None,
            duration=VideoDuration(kind.duration) if kind.duration else None,
            hdr=kind.hdr,
        )
    except ValueError:
        factor = 1.0
    return Distribution([q + factor * p for q, p in zip(queue, processing, strict=True)])


@dataclass(frozen=True)
class Refinement:
    """How a family's history moves its prior: a log shift of the median, a spread factor."""

    shift: float = 0.0
    stretch: float = 1.0
    observations: int = 0

    def apply(self, distribution: Distribution) -> Distribution:
        """The distribution as this history sees it."""
        return distribution.transformed(self.shift, self.stretch)


def fit(observations: Sequence[tuple[Kind, float]]) -> Refinement:
    """The refinement a family's finished jobs (kind, seconds) justify, shrunk and bounded."""
    ratios = []
    spreads = []
    for kind, seconds in observations:
        expected = prior(kind)
        low = expected.quantile(0.001) * PLAUSIBLE_RANGE[0]
        high = expected.quantile(0.999) * PLAUSIBLE_RANGE[1]
        if not low <= seconds <= high:
            continue
        ratios.append(math.log(seconds / expected.quantile(0.5)))
        spreads.append(expected.log_iqr())
    count = len(ratios)
    if count == 0:
        return Refinement()
    import statistics  # here, not at start-up: it imports decimal and fractions

    weight = count / (count + SHIFT_PRIOR_WEIGHT)
    shift = max(-MAX_SHIFT, min(MAX_SHIFT, statistics.median(ratios) * weight))
    stretch = 1.0
    if count >= MIN_FOR_STRETCH:
        low_q, _, high_q = statistics.quantiles(ratios, n=4)
        observed = max(high_q - low_q, 1e-6) / statistics.fmean(spreads)
        weight = count / (count + STRETCH_PRIOR_WEIGHT)
        stretch = math.exp(math.log(observed) * weight)
        stretch = max(STRETCH_RANGE[0], min(STRETCH_RANGE[1], stretch))
    return Refinement(shift, stretch, count)
