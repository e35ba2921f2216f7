"""Where the compared jobs' requests differ: each request flattened to dotted paths.

`{"video": {"start_frame": {"url": "…"}}}` becomes `video.start_frame.url`; a list's items
are numbered (`refs.0.url`). A path differs when the jobs do not all hold the same value
there (a path some requests lack differs too: those show "—"). Values are server or user
text: cleaned to one plain line, never markup; a generation id is shown as its short id.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from lumatui.api.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Sequence

MISSING = "—"
"""Shown for a path this request does not have."""
VALUE_LIMIT = 160
"""Characters of one value shown (a long prompt ends in an ellipsis)."""
_UUID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.IGNORECASE)


def shown_value(value: str) -> str:
    """One value as shown: a generation id as its short id (as the list shows it), cleaned."""
    if _UUID.fullmatch(value):
        return value[:8]
    return clean_text(value, VALUE_LIMIT)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Every leaf of a JSON value by its dotted path, as compact JSON text (strings bare)."""
    if isinstance(value, dict):
        if not value and prefix:
            return {prefix: "{}"}
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat |= flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    if isinstance(value, list):
        if not value:
            return {prefix: "[]"} if prefix else {}
        flat = {}
        for index, item in enumerate(value):
            flat |= flatten(item, f"{prefix}.{index}" if prefix else str(index))
        return flat
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return {prefix: text}


def request_paths(request_json: str) -> dict[str, str]:
    """A stored request flattened (an unreadable one: nothing, rather than an error)."""
    try:
        return flatten(json.loads(request_json))
    except (ValueError, TypeError):
        return {}


def differing(requests: Sequence[dict[str, str]]) -> list[str]:
    """The paths where the requests do not all agree, in first-seen order."""
    paths: dict[str, None] = {}
    for request in requests:
        paths.update(dict.fromkeys(request))
    return [path for path in paths if len({request.get(path, MISSING) for request in requests}) > 1]


def differences(request_jsons: Sequence[str]) -> list[list[tuple[str, str]]]:
    """Per request, (path, cleaned value) for each path where the requests differ."""
    flat = [request_paths(text) for text in request_jsons]
    paths = differing(flat)
    return [
        [(clean_text(path, 80), shown_value(one.get(path, MISSING))) for path in paths]
        for one in flat
    ]
