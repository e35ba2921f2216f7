"""The simulator's knobs, passed in as one frozen dataclass (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lumatui.api.capabilities import MAX_INLINE_BYTES
from lumatui.api.enums import MAX_FILE_BYTES

API_VERSION = "2026-04-01"
"""The value of every response's X-API-Version header."""


@dataclass(frozen=True)
class SimSettings:
    """Everything the simulator can be told; the defaults mimic the real service.

    `speed` divides every duration (100 = a hundred times faster). `faults` is a profile
    such as "500=0.05,429=0.05,reset=0.02,slow=0.05,badjson=0.01,truncate=0.02", drawn
    reproducibly from `seed`. `budget_usd`, when set, is a per-key spending budget that
    makes jobs fail with `budget_exhausted` halfway through processing (see
    `lumatui.sim.outcomes`). `keyframe_generation_ids` False makes the simulator refuse
    an image's generation_id inside `video.keyframes` (the reference leaves it open whether
    Luma takes one there), so the client's fallback to inline data can be exercised.
    """

    state_dir: Path
    speed: float = 1.0
    requests_per_minute: int = 60
    concurrent_jobs: int = 10
    balance_usd: float = 1000.0
    budget_usd: float | None = None
    url_ttl_s: int = 3600
    image_long_side: int = 2048
    video_long_side: int = 256
    max_inline_bytes: int = MAX_INLINE_BYTES
    max_image_pixels: int = 50_000_000
    faults: str = ""
    seed: int = 0
    slow_s: float = 2.0
    hdr_access: bool = True
    reframe_1080p: bool = True
    render_workers: int = 2
    fetch_loopback_urls: bool = True
    keyframe_generation_ids: bool = True
    max_multipart_bytes: int = 10 * 1024 * 1024
    max_file_bytes: int = MAX_FILE_BYTES
    upload_url_ttl_s: int = 3600
    file_ingest_s: float = 3.0

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be more than 0, not {self.speed}")
        for name in (
            "requests_per_minute",
            "concurrent_jobs",
            "url_ttl_s",
            "render_workers",
            "upload_url_ttl_s",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.balance_usd < 0:
            raise ValueError("balance_usd must not be negative")

    def with_changes(self, **changes: object) -> SimSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def for_tests(cls, state_dir: Path, **changes: object) -> SimSettings:
        """Fast and small: speed 10000, 64-pixel images, 32-pixel videos."""
        base = cls(
            state_dir=Path(state_dir),
            speed=10_000.0,
            image_long_side=64,
            video_long_side=32,
        )
        return base.with_changes(**changes)
