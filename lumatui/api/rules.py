"""The cross-field rules of the reference, each reported at the JSON path it concerns.

Every rule returns `Problem`s instead of raising at the first one, so a form can show all
of them at once under their fields; `raise_if` turns them into one pydantic ValidationError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from lumatui.api.enums import (
    FRAMES_PER_SECOND,
    IMAGE_MODELS,
    IMAGE_TYPES,
    MAX_IMAGE_REFS,
    MAX_KEYFRAMES,
    MAX_LAYERING_PROMPT_CHARS,
    GenerationType,
    Model,
    OutputFormat,
    VideoDuration,
    VideoResolution,
)
from lumatui.api.refs import REF_ORIGINS, Loc, ref_sites

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lumatui.api.schema import GenerationRequest, ImageRef, VideoOptions

__all__ = ["Loc", "Problem", "image_ref_problems", "raise_if", "request_problems"]


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (a pydantic loc) and why (a sentence for a person)."""

    loc: Loc
    message: str
    value: Any = None


def raise_if(problems: list[Problem]) -> None:
    """Raise one ValidationError carrying every problem at its own location."""
    if not problems:
        return
    details = [
        InitErrorDetails(
            type=PydanticCustomError("rule", "{reason}", {"reason": p.message}),
            loc=p.loc,
            input=p.value,
        )
        for p in problems
    ]
    raise ValidationError.from_exception_data("GenerationRequest", details)


def image_ref_problems(ref: ImageRef) -> list[Problem]:
    """Rules an ImageRef obeys wherever it appears."""
    given = [name for name in REF_ORIGINS if getattr(ref, name) is not None]
    problems: list[Problem] = []
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        problems.append(
            Problem(
                (), f"give exactly one of url, data, generation_id or file_id (this gives {what})"
            )
        )
    if ref.data is not None and ref.media_type is None:
        problems.append(
            Problem(("media_type",), "is required with data, for example image/png or video/mp4")
        )
    return problems


def request_problems(req: GenerationRequest) -> list[Problem]:
    """Every rule of the reference that spans more than one field."""
    kind = req.effective_type
    problems = [*_model_problems(req, kind), *_placement_problems(req, kind)]
    problems += _media_kind_problems(req, kind)
    problems += _layering_problems(req, kind)
    if req.video is not None:
        problems += _video_problems(req.video, kind)
    return problems


def _model_problems(req: GenerationRequest, kind: GenerationType) -> Iterator[Problem]:
    if req.model is None:
        return
    if kind.makes_video and req.model is not Model.RAY_3_2:
        yield Problem(("model",), f"{req.model} makes images; type {kind} needs ray-3.2", req.model)
    elif kind is GenerationType.LAYERING and req.model is not Model.UNI_1:
        yield Problem(("model",), f"type layering runs on uni-1 only (not {req.model})", req.model)
    elif not kind.makes_video and req.model not in IMAGE_MODELS:
        yield Problem(
            ("model",), f"{req.model} makes videos; type {kind} needs uni-1 or uni-1-max", req.model
        )


def _placement_problems(req: GenerationRequest, kind: GenerationType) -> Iterator[Problem]:
    if kind.needs_source and req.source is None:
        yield Problem(("source",), f"is required for {kind}: give {_SOURCE_WHAT[kind]}")
    if not kind.needs_source and req.source is not None:
        yield Problem(
            ("source",), "applies only to image_edit, video_edit, video_reframe and layering"
        )
    if req.image_ref is not None:
        if kind in IMAGE_TYPES:
            limit = MAX_IMAGE_REFS[kind]
            if len(req.image_ref) > limit:
                yield Problem(
                    ("image_ref", limit),
                    f"too many reference images: type {kind} takes at most {limit}",
                )
        else:
            yield Problem(("image_ref",), "applies only to image and image_edit")
    if kind.makes_video:
        for name in ("style", "output_format"):
            if getattr(req, name) is not None:
                yield Problem((name,), f"applies to images only; type {kind} makes an MP4")
        if req.web_search:
            yield Problem(("web_search",), "applies to the image models only, not ray-3.2")
    elif req.video is not None:
        yield Problem(("video",), f"video options apply only to the video types, not {kind}")


_SOURCE_WHAT = {
    GenerationType.IMAGE_EDIT: "an image to edit",
    GenerationType.VIDEO_EDIT: "the video to work on",
    GenerationType.VIDEO_REFRAME: "the video to work on",
    GenerationType.LAYERING: "the image to split into layers",
}


def prompt_rule_problems(prompt: str, kind: GenerationType) -> list[str]:
    """What the request's type asks of its prompt (the only rule a prompt takes part in)."""
    if kind is GenerationType.LAYERING and len(prompt) > MAX_LAYERING_PROMPT_CHARS:
        return [
            f"is {len(prompt)} characters; a layering prompt guides the split in at most "
            f"{MAX_LAYERING_PROMPT_CHARS}"
        ]
    return []


def _layering_problems(req: GenerationRequest, kind: GenerationType) -> Iterator[Problem]:
    """Type layering: an image source, a short guiding prompt, PNG layers (they carry alpha)."""
    if kind is not GenerationType.LAYERING:
        if req.layering is not None:
            yield Problem(("layering",), "applies only to type layering")
        return
    for message in prompt_rule_problems(req.prompt, kind):
        yield Problem(("prompt",), message)
    if req.output_format is OutputFormat.JPEG:
        yield Problem(("output_format",), "layers carry transparency: use png (or leave it out)")


def _media_kind_problems(req: GenerationRequest, kind: GenerationType) -> Iterator[Problem]:
    video_source = kind in (GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME)
    for site in ref_sites(req):
        loc, ref = site.loc, site.ref
        if ref.generation_id is not None or ref.file_id is not None:
            continue
        wants_video = video_source and loc == ("source",)
        if wants_video and ref.media_type is None:
            yield Problem(
                (*loc, "media_type"),
                f"is required with a source {ref.origin} on {kind}, for example video/mp4",
            )
        elif ref.media_type is not None:
            family = ref.media_type.split("/")[0]
            wanted = "video" if wants_video else "image"
            if family != wanted:
                yield Problem(
                    (*loc, "media_type"),
                    f"must be a {wanted}/* type here (got {ref.media_type})",
                    ref.media_type,
                )


def _video_problems(video: VideoOptions, kind: GenerationType) -> Iterator[Problem]:
    ten_seconds = video.duration is VideoDuration.S10
    if video.edit is not None and kind is not GenerationType.VIDEO_EDIT:
        yield Problem(("video", "edit"), "applies only to type video_edit")
    if video.source_position is not None and kind is not GenerationType.VIDEO_REFRAME:
        yield Problem(("video", "source_position"), "applies only to type video_reframe")
    if video.loop:
        if kind is not GenerationType.VIDEO:
            yield Problem(("video", "loop"), "applies only to type video")
        if ten_seconds:
            yield Problem(("video", "loop"), "is not supported with a 10s duration; use 5s")
        if video.hdr:
            yield Problem(("video", "loop"), "is not supported together with hdr")
    if video.exr_export and not video.hdr:
        yield Problem(("video", "exr_export"), "needs hdr turned on")
    if video.hdr and kind is GenerationType.VIDEO_REFRAME:
        yield Problem(("video", "hdr"), "is not supported for video_reframe")
    if video.hdr and kind is GenerationType.VIDEO and video.resolution is VideoResolution.P360:
        yield Problem(("video", "resolution"), "360p is SDR only; choose 540p or more for hdr")
    yield from _keyframe_problems(video, kind)
    if video.edit is not None:
        yield from _edit_keyframe_problems(video)


def _keyframe_problems(video: VideoOptions, kind: GenerationType) -> Iterator[Problem]:
    keyframes, indexes = video.keyframes, video.keyframe_indexes
    if keyframes is None:
        if indexes is not None:
            yield Problem(("video", "keyframe_indexes"), "needs keyframes to go with it")
        return
    loc: Loc = ("video", "keyframes")
    if not keyframes:
        yield Problem(loc, "give at least one keyframe, or leave keyframes out")
    if len(keyframes) > MAX_KEYFRAMES:
        yield Problem((*loc, MAX_KEYFRAMES), f"too many keyframes: at most {MAX_KEYFRAMES}")
    if kind is not GenerationType.VIDEO:
        yield Problem(loc, "apply only to type video; use video.edit.keyframes for video_edit")
    for other in ("start_frame", "end_frame", "loop"):
        if getattr(video, other):
            yield Problem(loc, f"cannot be combined with {other}")
    last = video.frame_count
    seconds = last // FRAMES_PER_SECOND
    yield from _index_problems(("video", "keyframe_indexes"), keyframes, indexes, last, seconds)


def _edit_keyframe_problems(video: VideoOptions) -> Iterator[Problem]:
    edit = video.edit
    assert edit is not None
    keyframes, indexes = edit.keyframes, edit.keyframe_indexes
    if keyframes is None:
        if indexes is not None:
            yield Problem(("video", "edit", "keyframe_indexes"), "needs keyframes to go with it")
        return
    loc: Loc = ("video", "edit", "keyframes")
    if len(keyframes) > MAX_KEYFRAMES:
        yield Problem((*loc, MAX_KEYFRAMES), f"too many keyframes: at most {MAX_KEYFRAMES}")
    if keyframes and video.start_frame is not None:
        yield Problem(loc, "cannot be combined with video.start_frame")
    yield from _index_problems(("video", "edit", "keyframe_indexes"), keyframes, indexes)


def _index_problems(
    loc: Loc,
    keyframes: list[ImageRef],
    indexes: list[int] | None,
    last: int | None = None,
    seconds: int = 0,
) -> Iterator[Problem]:
    """Indexes parallel to keyframes: same length, unique, inside the frame grid."""
    if indexes is None:
        if keyframes:
            yield Problem(
                loc, f"is required: one frame position for each of the {len(keyframes)} keyframes"
            )
        return
    if len(indexes) != len(keyframes):
        yield Problem(
            loc, f"has {len(indexes)} positions but there are {len(keyframes)} keyframes", indexes
        )
    seen: set[int] = set()
    for i, index in enumerate(indexes):
        if index in seen:
            yield Problem(
                (*loc, i), f"frame {index} is used twice; positions must be unique", index
            )
        seen.add(index)
        if last is not None and index > last:
            yield Problem(
                (*loc, i),
                f"frame {index} is past the end: a {seconds}s video has frames 0..{last}",
                index,
            )
