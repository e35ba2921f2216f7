"""The one walker over a request's media references, for the rules, the capabilities and lineage.

A request names media in six places: `source`, `image_ref[i]`, `video.start_frame`,
`video.end_frame`, `video.keyframes[i]` and `video.edit.keyframes[i]`. Each `RefSite` says
where (the pydantic loc, which is also the JSON path), in which role (the lineage edge's
name), and at which frame a keyframe sits. `body_ref_sites` walks a plain JSON body the same
way, for code that works on bodies before they are requests (the CLI's uploads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lumatui.api.schema import GenerationRequest, ImageRef

Loc = tuple[str | int, ...]

REF_ORIGINS = ("url", "data", "generation_id", "file_id")
"""The ways an ImageRef can name its media; exactly one is given."""


@dataclass(frozen=True)
class RefSite:
    """One media reference of a request: where it is, its role, and the reference itself.

    `role` is the lineage edge's name: `source`, `image_ref[0]`, `start_frame`, `end_frame`,
    `keyframes[2]`, `edit.keyframes[1]`. `frame` is a keyframe's frame index (None when
    the indexes are missing or shorter than the keyframes).
    """

    loc: Loc
    role: str
    ref: ImageRef
    frame: int | None = None

    @property
    def place(self) -> str:
        """The kind of place without its index: source, image_ref, start_frame, keyframes..."""
        return self.role.split("[")[0]


def ref_sites(request: GenerationRequest) -> Iterator[RefSite]:
    """Every ImageRef of a request, in a stable order (the order of the JSON body)."""
    if request.source is not None:
        yield _site(("source",), request.source)
    yield from _listed(("image_ref",), request.image_ref, None)
    video = request.video
    if video is None:
        return
    if video.start_frame is not None:
        yield _site(("video", "start_frame"), video.start_frame)
    if video.end_frame is not None:
        yield _site(("video", "end_frame"), video.end_frame)
    yield from _listed(("video", "keyframes"), video.keyframes, video.keyframe_indexes)
    if video.edit is not None:
        edit = video.edit
        yield from _listed(("video", "edit", "keyframes"), edit.keyframes, edit.keyframe_indexes)


def _site(loc: Loc, ref: ImageRef, frame: int | None = None) -> RefSite:
    return RefSite(loc, role_of(loc), ref, frame)


def _listed(loc: Loc, refs: list[ImageRef] | None, indexes: list[int] | None) -> Iterator[RefSite]:
    for i, ref in enumerate(refs or []):
        frame = indexes[i] if indexes is not None and i < len(indexes) else None
        yield _site((*loc, i), ref, frame)


def image_refs(request: GenerationRequest) -> Iterator[tuple[Loc, ImageRef]]:
    """Every ImageRef of a request with its JSON path (the walker, as pairs)."""
    for site in ref_sites(request):
        yield site.loc, site.ref


def references(request: GenerationRequest) -> list[tuple[str, str]]:
    """Every (role, generation_id) the request builds on, in request order: lineage edges."""
    return [
        (site.role, site.ref.generation_id)
        for site in ref_sites(request)
        if site.ref.generation_id is not None
    ]


_BODY_LISTS: tuple[Loc, ...] = (
    ("image_ref",),
    ("video", "keyframes"),
    ("video", "edit", "keyframes"),
)
_BODY_SINGLES: tuple[Loc, ...] = (("source",), ("video", "start_frame"), ("video", "end_frame"))


def role_of(loc: Loc) -> str:
    """The lineage role of a reference at `loc`: ("video", "keyframes", 2) is keyframes[2]."""
    parts = [p for p in loc if p != "video"]
    text = ".".join(str(p) for p in parts if not isinstance(p, int))
    index = parts[-1] if parts and isinstance(parts[-1], int) else None
    return text if index is None else f"{text}[{index}]"


def body_ref_sites(body: dict[str, Any]) -> Iterator[tuple[Loc, str, dict[str, Any]]]:
    """Every reference object of a JSON body (not yet validated): its path, role and object.

    The same places as `ref_sites`, in the same order; anything that is not an object where
    a reference belongs is skipped (validation reports it).
    """
    for loc in (_BODY_SINGLES[0], _BODY_LISTS[0], *_BODY_SINGLES[1:], *_BODY_LISTS[1:]):
        node = _at(body, loc)
        if loc in _BODY_LISTS:
            if isinstance(node, list):
                for i, item in enumerate(node):
                    if isinstance(item, dict):
                        yield (*loc, i), role_of((*loc, i)), item
        elif isinstance(node, dict):
            yield loc, role_of(loc), node


def _at(body: dict[str, Any], loc: Loc) -> Any:
    node: Any = body
    for part in loc:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
