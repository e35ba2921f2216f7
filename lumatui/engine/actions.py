"""Chaining actions on a stored job: the request body each one loads into the composer.

Each function takes a job from the store and returns a JSON body (a dict) built on it:
edit it, animate it, extend it, reframe it, branch from its request, or re-run it. The
bodies follow the chaining rules Luma (and the simulator) enforce: `image_edit` takes an
image output as `source`; `video_edit` and `video_reframe` a video output; a video's
`start_frame` continues a *video*; an image becomes a video through a single keyframe at
index 0. When an action does not apply, `ActionNotPossible` says why in one sentence.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lumatui.api.capabilities import REFRAME_1080P_RATIOS, aspect_ratios
from lumatui.api.enums import AspectRatio, GenerationType, Model, VideoResolution
from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job

ANIMATE_DURATION = "5s"
"""The duration an animation of an image asks for."""

_LANDSCAPE_TARGET = AspectRatio.R_9_16
_PORTRAIT_TARGET = AspectRatio.R_16_9
_DEFAULT_VIDEO_RATIO = AspectRatio.R_16_9  # what ray-3.2 makes when a request names none


class ActionNotPossible(ValueError):
    """The action does not apply to this job; the message is one sentence for the user."""


def stored_body(job: Job) -> dict[str, Any]:
    """The request the job was made with, as the JSON body that was sent."""
    try:
        body = json.loads(job.request_json)
    except ValueError as exc:
        raise ActionNotPossible(f"The stored request of {job.short_id} is damaged.") from exc
    if not isinstance(body, dict):
        raise ActionNotPossible(f"The stored request of {job.short_id} is damaged.")
    return body


def rerun_request(job: Job) -> GenerationRequest:
    """The exact request the job was made with, validated, ready to submit again."""
    try:
        return GenerationRequest.from_stored(stored_body(job))
    except ValidationError as exc:
        first = exc.errors()[0]["msg"] if exc.errors() else "it is invalid"
        raise ActionNotPossible(
            f"The stored request of {job.short_id} no longer validates ({first})."
        ) from exc


def rerun_warning(job: Job) -> str | None:
    """A sentence to confirm before re-running a job whose first run may have been created."""
    if job.state is JobState.UNCERTAIN:
        return (
            f"{job.short_id} may already exist at the API; running it again is a second, paid job."
        )
    if job.state.is_running:
        return f"{job.short_id} is still {job.state}; running it again is a second, paid job."
    return None


def branch_body(job: Job) -> dict[str, Any]:
    """The job's request as a body for the composer, to change and send as a new job."""
    return stored_body(job)


def edit_body(job: Job) -> dict[str, Any]:
    """An edit of the job's output: `image_edit` for an image, `video_edit` for a video."""
    generation_id = _chainable(job, "edited")
    original = stored_body(job)
    if _makes_video(job):
        return {
            "type": str(GenerationType.VIDEO_EDIT),
            "model": str(Model.RAY_3_2),
            "prompt": "",
            "source": {"generation_id": generation_id},
        }
    body: dict[str, Any] = {
        "type": str(GenerationType.IMAGE_EDIT),
        "model": _image_model(job),
        "prompt": "",
        "source": {"generation_id": generation_id},
    }
    for name in ("aspect_ratio", "style", "output_format"):
        if original.get(name) is not None:
            body[name] = original[name]
    return body


def animate_body(job: Job) -> dict[str, Any]:
    """A ray-3.2 video that starts on the job's image (a single keyframe at frame 0)."""
    if _makes_video(job):
        raise ActionNotPossible(
            f"{job.short_id} is already a video: extend it (x) or edit it (e) instead."
        )
    generation_id = _chainable(job, "animated")
    body: dict[str, Any] = {
        "type": str(GenerationType.VIDEO),
        "model": str(Model.RAY_3_2),
        "prompt": job.prompt,
        "video": {
            "keyframes": [{"generation_id": generation_id}],
            "keyframe_indexes": [0],
            "duration": ANIMATE_DURATION,
        },
    }
    ratio = stored_body(job).get("aspect_ratio")
    if ratio is not None:
        body["aspect_ratio"] = str(nearest_ratio(AspectRatio(ratio), aspect_ratios(Model.RAY_3_2)))
    return body


def extend_body(job: Job) -> dict[str, Any]:
    """A ray-3.2 video that continues the job's video from its last frame."""
    if not _makes_video(job):
        raise ActionNotPossible(
            f"{job.short_id} is an image: animate it (a) to make a video from it."
        )
    generation_id = _chainable(job, "extended")
    original = stored_body(job)
    video: dict[str, Any] = {"start_frame": {"generation_id": generation_id}}
    for name in ("duration", "resolution"):
        value = (original.get("video") or {}).get(name)
        if value is not None:
            video[name] = value
    body: dict[str, Any] = {
        "type": str(GenerationType.VIDEO),
        "model": str(Model.RAY_3_2),
        "prompt": job.prompt,
        "video": video,
    }
    if original.get("aspect_ratio") is not None:
        body["aspect_ratio"] = original["aspect_ratio"]
    return body


def reframe_body(
    job: Job,
    aspect_ratio: AspectRatio | str | None = None,
    *,
    source_size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """A `video_reframe` of the job's video to another aspect ratio.

    Without `aspect_ratio`, a landscape (or square) source becomes 9:16 and a portrait one
    16:9. The source's shape comes from `source_size` (pixels) when given, else from the
    ratio its request asked for, else ray-3.2's default (16:9).
    """
    if not _makes_video(job):
        raise ActionNotPossible(f"{job.short_id} is an image; only a video can be reframed.")
    generation_id = _chainable(job, "reframed")
    original = stored_body(job)
    if aspect_ratio is None:
        source = _source_ratio(original, source_size)
        target = _PORTRAIT_TARGET if source < 1 else _LANDSCAPE_TARGET
    else:
        try:
            target = AspectRatio(aspect_ratio)
        except ValueError as exc:
            raise ActionNotPossible(f"{aspect_ratio} is not an aspect ratio Luma knows.") from exc
        if target not in aspect_ratios(Model.RAY_3_2):
            allowed = ", ".join(aspect_ratios(Model.RAY_3_2))
            raise ActionNotPossible(f"ray-3.2 cannot reframe to {target}; choose {allowed}.")
    body: dict[str, Any] = {
        "type": str(GenerationType.VIDEO_REFRAME),
        "model": str(Model.RAY_3_2),
        "prompt": job.prompt,
        "source": {"generation_id": generation_id},
        "aspect_ratio": str(target),
    }
    resolution = (original.get("video") or {}).get("resolution")
    # 1080p reframing works only for landscape and square targets: leave it at the default.
    if resolution is not None and (
        resolution != VideoResolution.P1080 or target in REFRAME_1080P_RATIOS
    ):
        body["video"] = {"resolution": resolution}
    return body


def nearest_ratio(ratio: AspectRatio, allowed: tuple[AspectRatio, ...]) -> AspectRatio:
    """`ratio` itself when allowed, else the allowed ratio closest in shape (log scale)."""
    if ratio in allowed:
        return ratio
    return min(allowed, key=lambda candidate: abs(math.log(candidate.ratio / ratio.ratio)))


def _chainable(job: Job, verb: str) -> str:
    """The job's server id, when the job is finished well enough to be built on."""
    if job.generation_id is None:
        raise ActionNotPossible(
            f"{job.short_id} has no server id yet, so it cannot be {verb}; wait for it to be sent."
        )
    if job.state is not JobState.COMPLETED:
        raise ActionNotPossible(
            f"Only a completed job can be {verb}; {job.short_id} is {job.state}."
        )
    return job.generation_id


def _makes_video(job: Job) -> bool:
    try:
        return GenerationType(job.type).makes_video
    except ValueError:
        return job.model == Model.RAY_3_2


def _image_model(job: Job) -> str:
    return job.model if job.model in (Model.UNI_1, Model.UNI_1_MAX) else str(Model.UNI_1)


def _source_ratio(original: dict[str, Any], source_size: tuple[int, int] | None) -> float:
    if source_size is not None and source_size[1] > 0:
        return source_size[0] / source_size[1]
    ratio = original.get("aspect_ratio")
    try:
        return AspectRatio(ratio).ratio if ratio is not None else _DEFAULT_VIDEO_RATIO.ratio
    except ValueError:
        return _DEFAULT_VIDEO_RATIO.ratio
