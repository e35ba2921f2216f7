"""What a request costs: Luma's published image prices and a declared estimate for video.

Image prices are Luma's own (API-FACTS §9, docs.agents.lumalabs.ai/guides/pricing). Luma's
video table was not visible, so video prices are an *estimate* taken from third-party
resellers (Runware, fal) and every video `Price` says so. The user's config can override
any entry by its key (see `DEFAULT_PRICES`); an overridden entry is no longer an estimate,
and an entry overridden with `None` makes the price unknown.

Image prices go by the number of input images n (the source plus each reference image):
n = 0 is text to image, n = 1 costs the edit price, and each further image adds
`extra_image`. The uni-1-max prices past n = 5 were cut off on Luma's page and are assumed
to continue the same step, so they are marked as estimates too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lumatui.api.capabilities import DEFAULT_VIDEO_RESOLUTION
from lumatui.api.enums import GenerationType, Model, VideoDuration

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lumatui.api.schema import GenerationRequest

DEFAULT_PRICES: dict[str, float] = {
    # Luma's published image prices (USD per image, 2K output).
    "uni-1.text_to_image": 0.0404,
    "uni-1.edit": 0.0434,
    "uni-1.extra_image": 0.0030,
    "uni-1-max.text_to_image": 0.1000,
    "uni-1-max.edit": 0.1030,
    "uni-1-max.extra_image": 0.0030,
    # Third-party estimates for ray-3.2, USD per 5 s block (a 10 s video is two blocks).
    "ray-3.2.video.360p": 0.06,
    "ray-3.2.video.540p": 0.15,
    "ray-3.2.video.720p": 0.30,
    "ray-3.2.video.1080p": 1.20,
    "ray-3.2.video_hdr.720p": 0.60,
    "ray-3.2.video_hdr.1080p": 2.40,
    "ray-3.2.video_hdr_exr.720p": 0.90,
    "ray-3.2.video_hdr_exr.1080p": 3.60,
    # Third-party estimates for reframing, USD per second of source (360p assumed = 540p).
    "ray-3.2.reframe_per_s.360p": 0.06,
    "ray-3.2.reframe_per_s.540p": 0.06,
    "ray-3.2.reframe_per_s.720p": 0.12,
    "ray-3.2.reframe_per_s.1080p": 0.36,
}
"""Every price entry by key; the config's `prices` table overrides entries by these keys."""

UNPUBLISHED_PRICES: dict[str, str] = {
    "uni-1.layering.1k": "USD per layering job at 1k",
    "uni-1.layering.2k_per_layer": "USD per layer at 2k (the model decides how many layers)",
    "web_search": "USD added to a job that may search the web",
}
"""Prices Luma does not publish: unknown unless the config's `prices` table sets them."""

VERIFIED_UNI_1_MAX_IMAGES = 5
"""uni-1-max prices are published up to this many input images."""

ASSUMED_SOURCE_SECONDS = 5.0
"""The source length assumed for an edit or reframe whose source length is not known."""

BLOCK_SECONDS = 5


@dataclass(frozen=True)
class Price:
    """What one request costs: USD (None when unknown), whether estimated, and why."""

    usd: float | None
    estimate: bool
    basis: str

    def __str__(self) -> str:
        if self.usd is None:
            return f"price unknown ({self.basis})"
        approx = "~" if self.estimate else ""
        return f"{approx}${self.usd:.4f} ({self.basis})"

    @property
    def known(self) -> bool:
        """False when the price is unknown: such a job is sent only after a person agrees."""
        return self.usd is not None


def unknown_price_keys(overrides: Mapping[str, float | None]) -> list[str]:
    """The override keys that name no price entry (likely typos in the config)."""
    return sorted(
        key for key in overrides if key not in DEFAULT_PRICES and key not in UNPUBLISHED_PRICES
    )


@dataclass
class _Table:
    """Looks prices up, remembering whether each came from the defaults or an override."""

    overrides: Mapping[str, float | None]
    unknown: bool = False
    guessed: bool = False
    used: list[str] = field(default_factory=list)

    def get(self, key: str, *, estimate: bool) -> float:
        """One entry; marks the total unknown (None) or estimated as the entry requires."""
        self.used.append(key)
        if key in self.overrides:
            value = self.overrides[key]
            if value is None:
                self.unknown = True
                return 0.0
            return float(value)
        if key not in DEFAULT_PRICES:  # an unpublished price nobody has set
            self.unknown = True
            return 0.0
        self.guessed = self.guessed or estimate
        return DEFAULT_PRICES[key]

    def price(self, usd: float, basis: str) -> Price:
        """The finished Price."""
        return Price(None if self.unknown else round(usd, 4), self.guessed, basis)


def price_of(
    request: GenerationRequest,
    overrides: Mapping[str, float | None] | None = None,
    *,
    source_seconds: float | None = None,
) -> Price:
    """What `request` costs; `source_seconds` is the source length of an edit or reframe."""
    table = _Table(overrides or {})
    if request.effective_type.makes_video:
        return _video_price(request, table, source_seconds)
    if request.effective_type is GenerationType.LAYERING:
        price = _layering_price(request, table)
    else:
        price = _image_price(request, table)
    if request.web_search:
        extra = table.get("web_search", estimate=False)
        usd = None if table.unknown or price.usd is None else price.usd + extra
        unknown = "" if usd is not None else ", web search price not published"
        price = Price(
            None if usd is None else round(usd, 4),
            price.estimate,
            f"{price.basis} + web search{unknown}",
        )
    return price


def _layering_price(request: GenerationRequest, table: _Table) -> Price:
    """Layering: Luma publishes no price; 2k is priced per layer, and the model picks how many."""
    resolution = (request.layering.resolution if request.layering else None) or "1k"
    if resolution == "2k":
        per_layer = table.get("uni-1.layering.2k_per_layer", estimate=False)
        known = "" if table.unknown else f" at ${per_layer:.4f} per layer"
        return Price(None, False, f"uni-1 layering 2k{known}, layer count set by the model")
    usd = table.get("uni-1.layering.1k", estimate=False)
    basis = "uni-1 layering 1k" + (", price not published" if table.unknown else "")
    return table.price(usd, basis)


def _image_price(request: GenerationRequest, table: _Table) -> Price:
    model = request.effective_model
    refs = len(request.image_ref or [])
    editing = request.effective_type is GenerationType.IMAGE_EDIT
    images = refs + (1 if editing else 0)
    if images == 0:
        return table.price(
            table.get(f"{model}.text_to_image", estimate=False), f"{model} text to image"
        )
    usd = table.get(f"{model}.edit", estimate=False)
    if images > 1:
        guessed = model is Model.UNI_1_MAX and images > VERIFIED_UNI_1_MAX_IMAGES
        usd += (images - 1) * table.get(f"{model}.extra_image", estimate=guessed)
    if editing:
        basis = f"{model} edit" + (f" + {refs} ref{'s' * (refs != 1)}" if refs else "")
    else:
        basis = f"{model} image + {refs} ref{'s' * (refs != 1)}"
    return table.price(usd, basis)


def _video_price(request: GenerationRequest, table: _Table, source_seconds: float | None) -> Price:
    video = request.video
    resolution = (video.resolution if video else None) or DEFAULT_VIDEO_RESOLUTION
    hdr = bool(video and video.hdr)
    exr = bool(video and video.exr_export)
    kind = request.effective_type
    if kind in (GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME):
        known = source_seconds is not None
        seconds = source_seconds if source_seconds is not None else ASSUMED_SOURCE_SECONDS
        length = f"{seconds:g}s source" if known else f"source assumed {seconds:g}s"
        if kind is GenerationType.VIDEO_REFRAME:
            per_s = table.get(f"ray-3.2.reframe_per_s.{resolution}", estimate=True)
            return table.price(per_s * seconds, f"ray-3.2 reframe {resolution}, {length}")
        blocks = max(1, math.ceil(seconds / BLOCK_SECONDS))
        usd = blocks * _block_price(table, resolution, hdr=hdr, exr=exr)
        return table.price(usd, f"ray-3.2 edit {resolution}{_range(hdr, exr)}, {length}")
    duration = (video.duration if video else None) or VideoDuration.S5
    blocks = duration.seconds // BLOCK_SECONDS
    extending = bool(
        video
        and any(f is not None and f.generation_id for f in (video.start_frame, video.end_frame))
    )
    if extending:
        usd = blocks * _block_price(table, resolution, hdr=False, exr=False)
        return table.price(usd, f"ray-3.2 extend {resolution} {duration}")
    usd = blocks * _block_price(table, resolution, hdr=hdr, exr=exr)
    return table.price(usd, f"ray-3.2 video {resolution}{_range(hdr, exr)} {duration}")


def _block_price(table: _Table, resolution: str, *, hdr: bool, exr: bool) -> float:
    """One 5 s block; HDR at a resolution without an HDR price falls back to SDR."""
    if hdr:
        name = "video_hdr_exr" if exr else "video_hdr"
        key = f"ray-3.2.{name}.{resolution}"
        if key in DEFAULT_PRICES:
            return table.get(key, estimate=True)
    return table.get(f"ray-3.2.video.{resolution}", estimate=True)


def _range(hdr: bool, exr: bool) -> str:
    if hdr:
        return " HDR+EXR" if exr else " HDR"
    return ""
