"""How long each job queues and processes: realistic spreads and long tails, per model and type.

The distributions live in `lumatui.api.timings` (the engine's polling priors come from the
same code); here each job draws its own times from them, deterministically from the
simulator's seed and the generation id, then divided by the speed factor.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.api.timings import PROCESSING, QUEUE, Profile, draw, processing_factor

if TYPE_CHECKING:
    from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution

__all__ = ["PROCESSING", "QUEUE", "Profile", "Schedule", "draw", "rng_for", "schedule"]


@dataclass(frozen=True)
class Schedule:
    """Seconds from creation to processing, and from processing to the end."""

    queued_s: float
    processing_s: float

    @property
    def total_s(self) -> float:
        """Creation to the end."""
        return self.queued_s + self.processing_s


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
    processing *= processing_factor(kind, resolution=resolution, duration=duration, hdr=hdr)
    return Schedule(queued / speed, processing / speed)
