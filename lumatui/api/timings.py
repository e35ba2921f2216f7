"""How long jobs take: the timing model the simulator plays and the poller's priors come from.

Luma publishes little: uni-1 takes 30-60 s with a median near 30 s (the quickstart);
uni-1-max about twice that; ray-3.2 minutes, video edits and reframes 5-15 minutes (a
reseller's figure). This module writes those figures down once, as distributions: a job
queues (a short log-normal), then processes (a log-normal around a median per model and
type, scaled by resolution, length and HDR), each with a floor and a small chance of a
long tail. The simulator draws each job's times from it; the engine derives its polling
priors from the same code, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution


class RandomSource(Protocol):
    """What `draw` needs of a random generator (`random.Random` has it)."""

    def lognormvariate(self, mu: float, sigma: float) -> float:
        """A log-normal variate."""
        ...

    def random(self) -> float:
        """A uniform variate in [0, 1)."""
        ...

    def uniform(self, a: float, b: float) -> float:
        """A uniform variate in [a, b]."""
        ...


@dataclass(frozen=True)
class Profile:
    """A duration distribution: median seconds, log-spread, a floor, and its long tail."""

    median_s: float
    sigma: float
    floor_s: float
    tail_chance: float = 0.05
    tail_factor: tuple[float, float] = (2.0, 4.0)


QUEUE = Profile(median_s=2.0, sigma=0.6, floor_s=0.3, tail_chance=0.05, tail_factor=(3.0, 10.0))
"""Time spent queued before processing starts."""

PROCESSING: dict[tuple[Model, GenerationType], Profile] = {
    (Model.UNI_1, GenerationType.IMAGE): Profile(28.0, 0.25, 15.0),
    (Model.UNI_1, GenerationType.IMAGE_EDIT): Profile(32.0, 0.25, 15.0),
    # Layering plans the layers, then renders each: slower than one image (a guess).
    (Model.UNI_1, GenerationType.LAYERING): Profile(45.0, 0.3, 20.0),
    (Model.UNI_1_MAX, GenerationType.IMAGE): Profile(60.0, 0.3, 30.0),
    (Model.UNI_1_MAX, GenerationType.IMAGE_EDIT): Profile(66.0, 0.3, 30.0),
    (Model.RAY_3_2, GenerationType.VIDEO): Profile(150.0, 0.35, 60.0),
    (Model.RAY_3_2, GenerationType.VIDEO_EDIT): Profile(540.0, 0.3, 300.0, 0.05, (1.3, 2.0)),
    (Model.RAY_3_2, GenerationType.VIDEO_REFRAME): Profile(480.0, 0.3, 300.0, 0.05, (1.3, 2.0)),
}
"""Processing time of a 5 s, 720p SDR video and of one image, per model and type."""

RESOLUTION_FACTOR = {
    VideoResolution.P360: 0.35,
    VideoResolution.P540: 0.6,
    VideoResolution.P720: 1.0,
    VideoResolution.P1080: 1.8,
}
TEN_SECOND_FACTOR = 1.8
HDR_FACTOR = 1.5


def draw(profile: Profile, rng: RandomSource) -> float:
    """One duration from a profile."""
    value = max(profile.floor_s, rng.lognormvariate(0.0, profile.sigma) * profile.median_s)
    if rng.random() < profile.tail_chance:
        value *= rng.uniform(*profile.tail_factor)
    return value


def processing_factor(
    kind: GenerationType,
    *,
    resolution: VideoResolution | None = None,
    duration: VideoDuration | None = None,
    hdr: bool = False,
) -> float:
    """How much longer than its profile a video of this resolution, length and range takes.

    The output of an edit or a reframe is as long as its source, so only a generated video's
    requested length counts; images are 1.
    """
    if not kind.makes_video:
        return 1.0
    factor = RESOLUTION_FACTOR[resolution or VideoResolution.P720]
    if duration is VideoDuration.S10 and kind is GenerationType.VIDEO:
        factor *= TEN_SECOND_FACTOR
    if hdr:
        factor *= HDR_FACTOR
    return factor
