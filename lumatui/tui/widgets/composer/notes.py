"""Which line of the form shows which problem: the nearest field that contains its JSON path."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from lumatui.tui.widgets.composer.error_line import ErrorLine, Note, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lumatui.api.field_errors import FieldError

_LAST_PART = re.compile(r"(\.[^.\[]+|\[\d+\])$")


def parent_path(path: str) -> str:
    """One step up: `video.keyframes[2].url` -> `video.keyframes[2]` -> `video.keyframes`."""
    return _LAST_PART.sub("", path)


def route_notes(
    lines: Iterable[ErrorLine],
    general: ErrorLine,
    groups: Iterable[tuple[Severity, Iterable[FieldError]]],
) -> dict[ErrorLine, list[Note]]:
    """The notes for each line; a path no shown field contains goes to `general`."""
    by_path: dict[str, ErrorLine] = {}
    for line in lines:
        for path in line.paths:
            by_path.setdefault(path, line)
    notes: dict[ErrorLine, list[Note]] = defaultdict(list)
    for severity, errors in groups:
        for error in errors:
            notes[_line_for(error.path, by_path, general)].append(Note(str(error), severity))
    return notes


def _line_for(path: str, by_path: dict[str, ErrorLine], general: ErrorLine) -> ErrorLine:
    while path:
        if path in by_path:
            return by_path[path]
        shorter = parent_path(path)
        if shorter == path:
            break
        path = shorter
    return general
