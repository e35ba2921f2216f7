"""How long each job queues and processes: realistic spreads and long tails, per model and type.

Durations are drawn from a log-normal around a per-model median, with a small chance of a
long tail (a job several times slower than usual), deterministically from the simulator's
seed and the generation id, then divided by the speed factor. uni-1 lands around 30-60 s
with a median near 30 s, as Luma's quickstart says; uni-1-max takes about twice as long;
ray-3.2 takes minutes, and video edits and reframes 5-15 minutes (a reseller's figure).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution


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


@dataclass(frozen=True)
class Schedule:
    """Seconds from creation to processing, and from processing to the end."""

    queued_s: float
    processing_s: float

    @property
    def total_s(self) -> float:
        """Creation to the end."""
        return self.queued_s + self.processing_s


def draw(profile: Profile, rng: random.Random) -> float:
    """One duration from a profile."""
    value = max(profile.floor_s, rng.lognormvariate(0.0, profile.sigma) * profile.median_s)
    if rng.random() < profile.tail_chance:
        value *= rng.uniform(*profile.tail_factor)
    return value


def rng_for(seed: int, generation_id: str, purpose: str) -> random.Random:
    """A random stream fixed by the simulator seed, the generation and what it is for."""
    digest = hashlib.sha256(f"{seed}:{generation_id}:{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def schedule(
    model: Model,
    kind: GenerationType,
    *,
    seed: int,
    generation_id: str,
    speed: float,
    resolution: VideoResolution | None = None,
    duration: VideoDuration | None = None,
    hdr: bool = False,
) -> Schedule:
    """The queue and processing times of one job, already divided by `speed`."""
    rng = rng_for(seed, generation_id, "timing")
    queued = draw(QUEUE, rng)
    processing = draw(PROCESSING[(model, kind)], rng)
    if kind.makes_video:
        processing *= RESOLUTION_FACTOR[resolution or VideoResolution.P720]
        if duration is VideoDuration.S10 and kind is GenerationType.VIDEO:
            processing *= TEN_SECOND_FACTOR
        if hdr:
            processing *= HDR_FACTOR
    return Schedule(queued / speed, processing / speed)
