"""Checking the form's body with the client's own models, reporting as much as possible at once.

Pydantic runs the cross-field rules (`lumatui.api.rules`) only once every field is valid, so a
single bad URL would hide a duplicate keyframe index. To show both, each field that fails is
stood in for (a broken reference by a placeholder id, a bad leaf by nothing) and the body is
checked again; what the next pass finds is added, except where a stand-in itself sits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lumatui.api.capabilities import server_problems
from lumatui.api.chaining import known_kind_problems
from lumatui.api.field_errors import FieldError, humanize, json_path
from lumatui.api.schema import GenerationRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lumatui.tui.widgets.composer.body import Body

PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
_PASSES = 4
_REF_ROOTS: tuple[tuple[str, ...], ...] = (
    ("source",),
    ("image_ref", "#"),
    ("video", "start_frame"),
    ("video", "end_frame"),
    ("video", "keyframes", "#"),
    ("video", "edit", "keyframes", "#"),
)
_INDEX_LISTS = (("video", "keyframe_indexes"), ("video", "edit", "keyframe_indexes"))

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a body: the request when valid, and every problem found."""

    request: GenerationRequest | None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    draft: GenerationRequest | None = None
    """The request with its broken parts stood in for: good enough to price, never to send."""


def under(path: str, parent: str) -> bool:
    """True when `path` is `parent` or lies inside it (`image_ref[2].url` under `image_ref[2]`)."""
    return path == parent or path.startswith((parent + ".", parent + "["))


def check_body(
    body: Body,
    local: Sequence[FieldError] = (),
    *,
    kind_of: Callable[[str], str | None] | None = None,
) -> Checked:
    """Validate `body`; `local` are problems the form found itself, and they win at their path.

    `kind_of` tells what the history knows a generation id made ("image", "video"), so a
    reference of the wrong kind is a problem before the server has to say it.
    """
    errors = list(local)
    try:
        request: GenerationRequest | None = GenerationRequest.model_validate(body)
        draft: GenerationRequest | None = request
        found: list[FieldError] = []
    except ValidationError as exc:
        request = None
        draft, found = _check_repairing(body, exc)
    if draft is not None and kind_of is not None:
        known = known_kind_problems(draft, kind_of)
        found += [FieldError(json_path(p.loc), p.message) for p in known]
    for error in found:
        if error not in errors and not any(under(error.path, mine.path) for mine in local):
            errors.append(error)
    warnings: list[FieldError] = []
    if draft is not None:
        warnings = [FieldError(json_path(p.loc), p.message) for p in server_problems(draft)]
    return Checked(None if errors else request, errors, warnings, draft)


def _check_repairing(
    body: Body, first: ValidationError
) -> tuple[GenerationRequest | None, list[FieldError]]:
    """Every error over several passes, standing in for what failed before each new pass."""
    current = copy.deepcopy(body)
    found: list[FieldError] = []
    stood_in: list[str] = []
    exc = first
    collecting = True
    for _ in range(_PASSES):
        earlier = list(stood_in)
        reached_rules = False
        for detail in exc.errors():
            loc = tuple(p for p in detail["loc"] if isinstance(p, int) or "[" not in p)
            error = FieldError(json_path(loc), humanize(detail))
            # The request's own rules run only once every field is valid, and report all
            # their problems at once: what later passes find is caused by the stand-ins.
            reached_rules = reached_rules or (detail["type"] == "rule" and not _ref_root(loc))
            caused_by_stand_in = any(under(error.path, path) for path in earlier)
            if collecting and not caused_by_stand_in and error not in found:
                found.append(error)
            repaired = _stand_in(current, loc)
            if repaired is not None and repaired not in stood_in:
                stood_in.append(repaired)
        collecting = collecting and not reached_rules
        if len(stood_in) == len(earlier):
            return None, found
        try:
            return GenerationRequest.model_validate(current), found
        except ValidationError as again:
            exc = again
    return None, found


def _stand_in(body: Body, loc: Loc) -> str | None:
    """Replace what failed at `loc` by something valid; the JSON path replaced, or None."""
    root = _ref_root(loc)
    if root is not None:
        _put(body, root, {"generation_id": PLACEHOLDER_ID})
        return json_path(root)
    if loc == ("prompt",):
        body["prompt"] = "placeholder"
        return "prompt"
    if len(loc) >= 1 and isinstance(loc[-1], int) and loc[:-1] in _INDEX_LISTS:
        indexes = _get(body, loc[:-1])
        if isinstance(indexes, list) and loc[-1] < len(indexes):
            used = {i for i in indexes if isinstance(i, int)}
            indexes[loc[-1]] = min(set(range(len(indexes) + 1)) - used)
            return json_path(loc)
    # Remove the failing leaf; if it is absent (a required field is missing), its parent.
    for end in range(len(loc), 0, -1):
        if _delete(body, loc[:end]):
            return json_path(loc[:end])
    return None


def _ref_root(loc: Loc) -> Loc | None:
    """The location of the image reference `loc` points into, if any."""
    for pattern in _REF_ROOTS:
        if len(loc) >= len(pattern) and all(
            isinstance(part, int) if want == "#" else part == want
            for part, want in zip(loc, pattern, strict=False)
        ):
            return loc[: len(pattern)]
    return None


def _get(body: Any, loc: Loc) -> Any:
    node = body
    for part in loc:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
        elif not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _put(body: Body, loc: Loc, value: object) -> None:
    parent, last = _get(body, loc[:-1]), loc[-1]
    if isinstance(last, int):
        if isinstance(parent, list) and last < len(parent):
            parent[last] = value
    elif isinstance(parent, dict):
        parent[last] = value


def _delete(body: Body, loc: Loc) -> bool:
    """Remove the key at `loc` from its object; list items are never removed (indexes shift)."""
    parent = _get(body, loc[:-1])
    if isinstance(parent, dict) and loc[-1] in parent:
        del parent[loc[-1]]
        return True
    return False
