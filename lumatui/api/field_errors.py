"""Field-level errors: a JSON path (`video.keyframe_indexes[2]`) and a sentence for a person.

Both local validation (pydantic) and server replies (400/422 `detail` lists) end up as
`FieldError`s, so the form shows them the same way under the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a request."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or 'request'}: {self.message}"


def json_path(loc: Sequence[str | int]) -> str:
    """Turn a pydantic loc such as ('video', 'keyframes', 2) into 'video.keyframes[2]'."""
    path = ""
    for part in loc:
        if isinstance(part, int) or (str(part).isdigit() and path):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Every error of a ValidationError at its JSON path, worded for a person."""
    return [FieldError(json_path(_strip_tags(e["loc"])), humanize(e)) for e in exc.errors()]


def error_loc(error: ErrorDetails) -> tuple[str | int, ...]:
    """Where in the body a validation error is: its loc without pydantic's union tags."""
    return tuple(_strip_tags(error["loc"]))


def _strip_tags(loc: Sequence[str | int]) -> list[str | int]:
    """Drop the union-member tags pydantic adds to a loc (e.g. 'function-after[...]')."""
    return [p for p in loc if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS))]


_UNION_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


def humanize(error: ErrorDetails) -> str:
    """A sentence a person understands without the docs, for one pydantic error."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    given = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request (check the spelling)"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else str(error["msg"])
    if kind == "string_too_long":
        length = len(given) if isinstance(given, str) else "too many"
        return f"is {length} characters; the limit is {ctx.get('max_length')}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')} (got {given!r})"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _bound_message(kind, ctx, given)
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false (got {given!r})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number (got {given!r})"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number (got {given!r})"
    if kind in ("list_type",):
        return "must be a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be an object with named fields"
    if kind == "string_type":
        return "must be text"
    return str(error["msg"])


def _bound_message(kind: str, ctx: dict[str, Any], given: object) -> str:
    words = {
        "greater_than": ("more than", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("less than", "lt"),
        "less_than_equal": ("at most", "le"),
    }
    phrase, key = words[kind]
    return f"must be {phrase} {ctx.get(key)} (got {given!r})"


def from_server_detail(detail: object) -> list[FieldError]:
    """Field errors from a server's `detail` list of `{loc, msg}` (FastAPI or Luma style)."""
    if not isinstance(detail, list):
        return []
    found: list[FieldError] = []
    for item in detail:
        if not isinstance(item, dict):
            continue
        loc = item.get("loc")
        msg = item.get("msg") or item.get("message") or "rejected by the server"
        if isinstance(loc, str):
            path = loc
        elif isinstance(loc, list):
            parts = [p for p in loc if isinstance(p, str | int)]
            if parts and parts[0] == "body":
                parts = parts[1:]
            path = json_path(parts)
        else:
            path = ""
        found.append(FieldError(path, str(msg)))
    return found
