"""What each model accepts beyond the schema: the model-specific checks a server makes.

The schema (`lumatui.api.schema`) accepts the union of every model's values, as the
reference does; the server then checks the model-specific set (API-FACTS §6). This module
declares those sets in one table, so the simulator rejects exactly what it declares and the
composer can warn before any money is spent. Each check returns `Problem`s with the JSON
path of the field concerned, the same shape the reference rules use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.api.enums import (
    AspectRatio,
    GenerationType,
    Model,
    VideoResolution,
)
from lumatui.api.refs import image_refs
from lumatui.api.rules import Problem

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lumatui.api.rules import Loc
    from lumatui.api.schema import GenerationRequest, ImageRef


@dataclass(frozen=True)
class ModelCapabilities:
    """What one model accepts: its generation types and output aspect ratios."""

    model: Model
    types: frozenset[GenerationType]
    aspect_ratios: tuple[AspectRatio, ...]


_IMAGE_RATIOS = tuple(
    AspectRatio(v) for v in ("3:1", "2:1", "16:9", "3:2", "1:1", "2:3", "9:16", "1:2", "1:3")
)
_VIDEO_RATIOS = tuple(AspectRatio(v) for v in ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9"))
_IMAGE_TYPES = frozenset({GenerationType.IMAGE, GenerationType.IMAGE_EDIT})
_VIDEO_TYPES = frozenset(
    {GenerationType.VIDEO, GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME}
)

CAPABILITIES: dict[Model, ModelCapabilities] = {
    # Layering splits an image into layers on uni-1 only (Luma SDK 0.5.0).
    Model.UNI_1: ModelCapabilities(
        Model.UNI_1, _IMAGE_TYPES | {GenerationType.LAYERING}, _IMAGE_RATIOS
    ),
    Model.UNI_1_MAX: ModelCapabilities(Model.UNI_1_MAX, _IMAGE_TYPES, _IMAGE_RATIOS),
    Model.RAY_3_2: ModelCapabilities(Model.RAY_3_2, _VIDEO_TYPES, _VIDEO_RATIOS),
}
"""Per-model capabilities (API-FACTS §6)."""

HDR_RESOLUTIONS = frozenset({VideoResolution.P720, VideoResolution.P1080})
"""`video.hdr` needs one of these resolutions."""

REFRAME_1080P_RATIOS = frozenset(
    {AspectRatio.R_1_1, AspectRatio.R_4_3, AspectRatio.R_16_9, AspectRatio.R_21_9}
)
"""1080p reframing works only for landscape and square targets."""

DEFAULT_VIDEO_RESOLUTION = VideoResolution.P720
"""The resolution assumed when a video request names none (documented for reframe only)."""

MAX_EDIT_SOURCE_SECONDS = 18.0
"""The longest source video a video_edit accepts."""

MAX_INLINE_BYTES = 50 * 1024 * 1024
"""The documented per-image limit for inline (base64) media."""


def aspect_ratios(model: Model) -> tuple[AspectRatio, ...]:
    """The aspect ratios `model` accepts, in the order the docs list them."""
    return CAPABILITIES[model].aspect_ratios


def server_problems(
    request: GenerationRequest, *, hdr_access: bool = True, reframe_1080p: bool = True
) -> list[Problem]:
    """The model-specific checks that need no stored state, each at its JSON path.

    `hdr_access` is False for a client without HDR access; `reframe_1080p` is False where
    1080p reframing has not rolled out yet (the SDK's "coming soon" validation error).
    """
    return list(_problems(request, hdr_access=hdr_access, reframe_1080p=reframe_1080p))


def _problems(
    request: GenerationRequest, *, hdr_access: bool, reframe_1080p: bool
) -> Iterator[Problem]:
    model = request.effective_model
    kind = request.effective_type
    ratio = request.aspect_ratio
    allowed = CAPABILITIES[model].aspect_ratios
    if ratio is not None and ratio not in allowed:
        listed = ", ".join(allowed)
        yield Problem(("aspect_ratio",), f"{model} does not make {ratio}; choose {listed}", ratio)
    video = request.video
    if video is None or not kind.makes_video:
        return
    resolution = video.resolution or DEFAULT_VIDEO_RESOLUTION
    if video.hdr:
        if not hdr_access:
            yield Problem(("video", "hdr"), "needs HDR access, which this API client does not have")
        # The reference rules already refuse hdr on reframe and at 360p on type video.
        draft = kind is GenerationType.VIDEO and resolution is VideoResolution.P360
        reframe = kind is GenerationType.VIDEO_REFRAME
        if resolution not in HDR_RESOLUTIONS and not draft and not reframe:
            yield Problem(
                ("video", "resolution"),
                f"hdr needs 720p or 1080p (this asks for {resolution})",
                resolution,
            )
    if kind is GenerationType.VIDEO_REFRAME and resolution is VideoResolution.P1080:
        if not reframe_1080p:
            yield Problem(
                ("video", "resolution"),
                "1080p reframing is coming soon for this API client; use 720p",
                resolution,
            )
        elif ratio is not None and ratio not in REFRAME_1080P_RATIOS:
            yield Problem(
                ("video", "resolution"),
                f"1080p reframing needs a landscape or square target, not {ratio}; use 720p",
                resolution,
            )


def estimated_inline_size(ref: ImageRef) -> int:
    """The decoded size of inline data worked out from its length, without decoding."""
    if ref.data is None:
        return 0
    data = ref.data.rstrip("=")
    return len(data) * 3 // 4


def oversized_inline_media(request: GenerationRequest, limit: int = MAX_INLINE_BYTES) -> list[Loc]:
    """The locations of every inline medium whose decoded size is over `limit` bytes."""
    return [loc for loc, ref in image_refs(request) if estimated_inline_size(ref) > limit]
