"""The request body as the form builds it: a JSON dict addressed by dotted paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

Body = dict[str, Any]
"""A request body under construction, the same shape as `GenerationRequest.to_json()`."""

_SHORT_DATA = 64


def set_path(body: Body, path: str, value: object) -> None:
    """Put `value` at a dotted path such as `video.edit.strength`, creating objects on the way."""
    *parents, leaf = path.split(".")
    node = body
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value


def get_path(body: Body, path: str) -> Any:
    """The value at a dotted path, or None when any part of it is missing."""
    node: Any = body
    for name in path.split("."):
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    return node


def abbreviate_data(value: Any) -> Any:
    """A copy for display only: long inline base64 `data` becomes "<base64, 123 KB>"."""
    if isinstance(value, dict):
        return {
            key: _abbreviated(item) if key == "data" else abbreviate_data(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [abbreviate_data(item) for item in value]
    return value


def _abbreviated(data: Any) -> Any:
    if not isinstance(data, str) or len(data) <= _SHORT_DATA:
        return data
    decoded = len(data.rstrip("=")) * 3 // 4
    return f"<base64, {size_text(decoded)}>"


def size_text(size: int) -> str:
    """A byte count as a person reads it: "812 B", "123 KB", "4.2 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def has_content(body: Mapping[str, Any]) -> bool:
    """True when a body holds something a person typed or chose (a prompt or a reference)."""
    video = body.get("video") or {}
    refs = video.get("keyframes") or video.get("start_frame") or video.get("end_frame")
    return bool(
        str(body.get("prompt") or "").strip() or body.get("source") or body.get("image_ref") or refs
    )
