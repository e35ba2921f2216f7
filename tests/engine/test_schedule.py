"""The poll schedule: it follows each kind's timing, and beats Luma's scheme on its own model."""

from __future__ import annotations

import bisect
import itertools
import json
import math
import random

import pytest

from lumatui.api import timings
from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution
from lumatui.engine.durations import Distribution, Kind, fit, prior
from lumatui.engine.schedule import PollPlan, Schedules, expectation, late_share, plan_polls

VIDEO_KINDS = [
    Kind("ray-3.2", "video", "360p", "5s"),
    Kind("ray-3.2", "video", "720p", "5s"),
    Kind("ray-3.2", "video", "1080p", "10s", hdr=True),
    Kind("ray-3.2", "video_edit", "720p"),
    Kind("ray-3.2", "video_edit", "1080p"),
    Kind("ray-3.2", "video_reframe", "540p"),
]
IMAGE_KINDS = [Kind(m, t) for m in ("uni-1", "uni-1-max") for t in ("image", "image_edit")]


def simulated(kind: Kind, count: int, seed: int = 11) -> list[float]:
    """Durations drawn the way the simulator draws them, independently of the prior's sample."""
    rng = random.Random(seed)
    profile = timings.PROCESSING[(Model(kind.model), GenerationType(kind.type))]
    factor = timings.processing_factor(
        GenerationType(kind.type),
        resolution=VideoResolution(kind.resolution) if kind.resolution else None,
        duration=VideoDuration(kind.duration) if kind.duration else None,
        hdr=kind.hdr,
    )
    return [
        timings.draw(timings.QUEUE, rng) + factor * timings.draw(profile, rng) for _ in range(count)
    ]


RTT_S = 0.1
"""A round trip to the API: Luma's loop sleeps 2 s after each answer, so it polls every 2.1 s."""


def luma_offsets(until: float) -> list[float]:
    """Luma's advice: a GET 20 s after submitting, then one 2 s after each answer."""
    period = 2.0 + RTT_S
    return [20.0 + period * i for i in range(math.ceil((until - 20.0) / period) + 2)]


def gets_and_lags(offsets: list[float], durations: list[float]) -> tuple[float, list[float]]:
    """Mean GETs per job and each job's detection lag, for polls at `offsets` (then every 30 s,
    as `next_delay` does past the plan)."""
    offsets = list(offsets)
    while offsets[-1] < max(durations):
        offsets.append(offsets[-1] + 30.0)
    gets, lags = 0, []
    for finish in durations:
        index = bisect.bisect_left(offsets, finish)
        gets += index + 1
        lags.append(offsets[index] - finish + RTT_S)  # the answer comes back a round trip later
    return gets / len(durations), sorted(lags)


@pytest.mark.parametrize("kind", VIDEO_KINDS + IMAGE_KINDS, ids=str)
def test_each_kind_is_seen_done_within_the_dense_interval_95_times_in_100(kind: Kind) -> None:
    plan = PollPlan()
    schedule = plan_polls(prior(kind), plan)
    fresh = Distribution(simulated(kind, 20_000))
    assert late_share(fresh, schedule.offsets, plan.dense_interval) <= 0.05
    intervals = [b - a for a, b in zip((0.0, *schedule.offsets), schedule.offsets, strict=False)]
    assert max(intervals) <= plan.max_interval + 1e-9
    assert schedule.offsets[0] <= plan.max_interval


@pytest.mark.parametrize("kind", VIDEO_KINDS[1:], ids=str)
def test_videos_need_far_fewer_gets_than_lumas_scheme_for_the_same_lag(kind: Kind) -> None:
    durations = simulated(kind, 20_000, seed=5)
    ours, our_lags = gets_and_lags(list(plan_polls(prior(kind)).offsets), durations)
    lumas, luma_lags = gets_and_lags(luma_offsets(max(durations)), durations)
    assert ours <= 0.75 * lumas
    p95 = int(0.95 * len(durations))
    assert our_lags[p95] <= luma_lags[p95]


def test_polls_are_dense_where_finishes_are_likely_and_sparse_before() -> None:
    plan = PollPlan()
    schedule = plan_polls(prior(Kind("ray-3.2", "video_edit", "720p")), plan)
    offsets = schedule.offsets
    median = bisect.bisect_left(offsets, schedule.typical)
    assert offsets[median] - offsets[median - 1] == pytest.approx(plan.dense_interval)
    assert offsets[1] - offsets[0] == pytest.approx(plan.max_interval)  # nothing finishes early
    # The processing floor (300 s) is a spike of finishes: polls tighten around it.
    near_floor = [b - a for a, b in itertools.pairwise(offsets) if 295 < a < 305]
    assert near_floor and min(near_floor) < 5


def test_the_next_poll_follows_the_plan_and_never_waits_more_than_30_seconds() -> None:
    schedule = plan_polls(prior(Kind("ray-3.2", "video_edit", "720p")))
    assert schedule.next_delay(0.0) == pytest.approx(schedule.offsets[0])
    middle = schedule.offsets[len(schedule.offsets) // 2]
    assert schedule.next_delay(middle - 0.1) >= schedule.plan.min_interval
    assert schedule.next_delay(schedule.offsets[-1] + 1_000) == schedule.plan.max_interval
    assert all(schedule.next_delay(t) <= 30.0 for t in range(0, 4_000, 7))


def test_a_kind_is_read_from_the_request() -> None:
    body = {"prompt": "x", "video": {"resolution": "1080p", "duration": "10s", "hdr": True}}
    assert Kind.of("ray-3.2", "video", json.dumps(body)) == Kind(
        "ray-3.2", "video", "1080p", "10s", hdr=True
    )
    assert Kind.of("ray-3.2", "video", "{not json") == Kind("ray-3.2", "video", "720p", "5s")
    edit = {"video": {"resolution": "540p", "duration": "10s"}}
    assert Kind.of("ray-3.2", "video_edit", json.dumps(edit)) == Kind(
        "ray-3.2", "video_edit", "540p"
    )  # an edit is as long as its source
    assert Kind.of("uni-1", "image", json.dumps(body)) == Kind("uni-1", "image")
    from_sqlite = Kind.video("ray-3.2", "video", "1080p", "10s", 1)  # JSON true reads as 1
    assert from_sqlite == Kind("ray-3.2", "video", "1080p", "10s", hdr=True)


def test_longer_settings_take_longer() -> None:
    short = prior(Kind("ray-3.2", "video", "360p", "5s")).quantile(0.5)
    long = prior(Kind("ray-3.2", "video", "1080p", "10s", hdr=True)).quantile(0.5)
    assert long > 5 * short


def test_an_unknown_model_gets_a_wide_guess() -> None:
    schedule = plan_polls(prior(Kind("uni-2", "image")))
    assert schedule.offsets[0] <= 30.0 and schedule.typical > 0


def test_history_moves_the_prior_shrunk_and_bounded() -> None:
    kind = Kind("ray-3.2", "video", "720p", "5s")
    slower = [1.5 * t for t in simulated(kind, 200, seed=3)]
    refinement = fit([(kind, t) for t in slower])
    assert math.exp(refinement.shift) == pytest.approx(1.5 * 200 / 210, rel=0.05)
    assert 0.8 < refinement.stretch < 1.25  # the same spread, barely touched
    few = fit([(kind, t) for t in slower[:5]])
    assert abs(few.shift) < abs(refinement.shift) / 2  # five jobs move it a little


def test_a_few_outliers_cannot_stretch_a_kind() -> None:
    kind = Kind("ray-3.2", "video_edit", "720p")
    typical = simulated(kind, 60, seed=4)
    stuck = [prior(kind).quantile(0.999) * 3.5] * 3 + [prior(kind).quantile(0.001) / 3.5] * 3
    refinement = fit([(kind, t) for t in typical + stuck])
    assert abs(refinement.shift) < 0.1
    assert 0.7 < refinement.stretch < 1.4


def test_implausible_and_extreme_histories_are_ignored_or_bounded() -> None:
    kind = Kind("uni-1", "image")
    simulator_at_100x = [0.3] * 100
    assert fit([(kind, t) for t in simulator_at_100x]).observations == 0
    ten_times_slower = [10 * t for t in simulated(kind, 200)]
    refinement = fit([(kind, t) for t in ten_times_slower])
    assert refinement.shift == pytest.approx(math.log(3.0))  # at most a factor of 3


def test_learning_replans_only_with_a_real_key_and_new_history() -> None:
    kind = Kind("uni-1", "image")
    simulator = Schedules()
    assert not simulator.needs_history(kind)
    real = Schedules(learn=True)
    assert real.needs_history(kind)
    before = real.for_kind(kind)
    real.learn_from(kind.family, [(kind, 2 * t) for t in simulated(kind, 100)])
    assert not real.needs_history(kind)
    after = real.for_kind(kind)
    assert after.typical > 1.5 * before.typical
    real.finished(kind.family)
    assert not real.needs_history(kind)  # refit at most every 30 s


def test_the_engine_scale_applies_to_delays() -> None:
    kind = Kind("uni-1", "image")
    scaled = Schedules(PollPlan(time_scale=0.01))
    plain = Schedules()
    assert scaled.delay(kind, 0.0) == pytest.approx(plain.delay(kind, 0.0) * 0.01)
    assert scaled.is_overdue(kind, plain.for_kind(kind).typical * 0.011)


def test_expectation_gives_the_progress_bar_its_landmarks() -> None:
    expected = expectation("ray-3.2", "video_edit", [])
    assert expected.early < expected.typical < expected.late
    assert not expected.measured
    learnt = expectation("uni-1", "image", [60.0] * 50)
    assert learnt.measured and learnt.typical > expectation("uni-1", "image", []).typical
