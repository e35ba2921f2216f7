"""Which kind of media each place of a request takes when it names an earlier generation.

The API checks this (and the simulator does it the same way): an image for the source of
image_edit, for image_ref and for keyframes; a video for the source of video_edit and
video_reframe, and for start_frame / end_frame named by generation id (extending a video).
The client checks it too, against what its own history knows about a generation, so a
video id given as an image_edit source is caught under the field before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.api.enums import GenerationType
from lumatui.api.refs import image_refs
from lumatui.api.rules import Problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.rules import Loc
    from lumatui.api.schema import GenerationRequest


def wanted_kind(loc: Loc, kind: GenerationType, *, by_generation: bool) -> str:
    """The media kind ("image" or "video") a reference at `loc` must be."""
    if loc == ("source",):
        edits_video = kind in (GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME)
        return "video" if edits_video else "image"
    if by_generation and loc in (("video", "start_frame"), ("video", "end_frame")):
        return "video"
    return "image"


def a_kind(kind: str) -> str:
    """ "an image", "a video"."""
    return f"an {kind}" if kind[:1] in ("a", "e", "i", "o", "u") else f"a {kind}"


def known_kind_problems(
    request: GenerationRequest, kind_of: Callable[[str], str | None]
) -> list[Problem]:
    """Each generation id whose kind (as `kind_of` knows it) is wrong for its place.

    `kind_of` answers "image", "video" or None (not known here: the server will judge).
    """
    kind = request.effective_type
    problems: list[Problem] = []
    for loc, ref in image_refs(request):
        gid = ref.generation_id
        if gid is None:
            continue
        made = kind_of(gid)
        wanted = wanted_kind(loc, kind, by_generation=True)
        if made is not None and made != wanted:
            problems.append(
                Problem(
                    (*loc, "generation_id"),
                    f"{gid[:8]} is {a_kind(made)} in your history, but {kind} needs "
                    f"{a_kind(wanted)} here",
                    gid,
                )
            )
    return problems
