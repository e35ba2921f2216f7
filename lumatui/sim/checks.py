"""The checks only a server with stored state can make: the generations and files a request uses.

A `generation_id` must name a generation of the same caller (another caller's id is
reported exactly like an unknown one, so ids do not leak), that has completed, with the
right kind of output for its place: an image for image_edit's source, image_ref and
keyframes; a video for the source of video_edit and video_reframe and for start_frame /
end_frame (extending a video). The source of a video_edit must be 18 s or shorter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.api.capabilities import MAX_EDIT_SOURCE_SECONDS
from lumatui.api.chaining import a_kind, wanted_kind
from lumatui.api.enums import GenerationState, GenerationType
from lumatui.api.refs import image_refs
from lumatui.api.rules import Problem

if TYPE_CHECKING:
    from lumatui.api.rules import Loc
    from lumatui.api.schema import GenerationRequest
    from lumatui.sim.files import SimFiles
    from lumatui.sim.store import SimStore


def chain_problems(
    request: GenerationRequest,
    caller: str,
    store: SimStore,
    now: float,
    files: SimFiles | None = None,
) -> list[Problem]:
    """Every problem with the generations and files the request references, at each id."""
    kind = request.effective_type
    problems: list[Problem] = []
    for loc, ref in image_refs(request):
        if ref.file_id is not None and files is not None:
            problems += file_problems(loc, ref.file_id, kind, caller, files)
        gid = ref.generation_id
        if gid is None:
            continue
        where = (*loc, "generation_id")
        row = store.get(gid)
        if row is None or row.caller != caller:
            problems.append(Problem(where, f"no generation {gid} for this API key", gid))
            continue
        state = row.state_at(now)
        if state is not GenerationState.COMPLETED:
            problems.append(
                Problem(where, f"generation {gid} is {state}; only a completed one can be used")
            )
            continue
        wanted = wanted_kind(loc, kind, by_generation=True)
        if row.output_kind != wanted:
            problems.append(
                Problem(
                    where,
                    f"generation {gid} made {a_kind(row.output_kind)}, "
                    f"but {a_kind(wanted)} is needed here",
                    gid,
                )
            )
            continue
        too_long = (row.output_duration_s or 0.0) > MAX_EDIT_SOURCE_SECONDS
        if kind is GenerationType.VIDEO_EDIT and loc == ("source",) and too_long:
            problems.append(Problem(where, source_too_long(row.output_duration_s or 0.0), gid))
    return problems


def file_problems(
    loc: Loc, file_id: str, kind: GenerationType, caller: str, files: SimFiles
) -> list[Problem]:
    """Problems with one `file_id` reference: owner, state, media kind, source length."""
    where = (*loc, "file_id")
    row, why = files.usable(caller, file_id)
    if row is None:
        return [Problem(where, why or "cannot be used", file_id)]
    wanted = wanted_kind(loc, kind, by_generation=False)
    if row.kind != wanted:
        return [
            Problem(
                where,
                f"file {file_id} holds {a_kind(row.kind or 'file')}, "
                f"but {a_kind(wanted)} is needed here",
                file_id,
            )
        ]
    too_long = (row.duration_s or 0.0) > MAX_EDIT_SOURCE_SECONDS
    if kind is GenerationType.VIDEO_EDIT and loc == ("source",) and too_long:
        return [Problem(where, source_too_long(row.duration_s or 0.0), file_id)]
    return []


def source_too_long(seconds: float) -> str:
    """The message for a video_edit source over the length limit."""
    return (
        f"the source video is {seconds:.1f} s; video_edit takes sources of "
        f"{MAX_EDIT_SOURCE_SECONDS:g} s or less"
    )


def keyframe_id_problems(request: GenerationRequest) -> list[Problem]:
    """Each keyframe given by generation id (for a server that takes only url or data there)."""
    video = request.video
    return [
        Problem(
            ("video", "keyframes", i, "generation_id"),
            "a generation_id is not accepted in keyframes; send the image as url or data",
            ref.generation_id,
        )
        for i, ref in enumerate((video.keyframes if video else None) or [])
        if ref.generation_id is not None
    ]
