"""How deep a JSON value nests: bodies read from files or pastes are refused past a limit."""

from __future__ import annotations

MAX_JSON_DEPTH = 64  # a request body is a few levels deep; 64 is generous and cheap to walk


def json_depth_over(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when lists and objects nest more than `limit` deep (walked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: list[object] = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
