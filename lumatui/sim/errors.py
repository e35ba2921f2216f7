"""Error replies in the Agents API's shape: `{"detail": ...}`, a string or a list of `{loc, msg}`.

Field errors are reported FastAPI-style, with a leading "body" in each loc
(`["body", "video", "keyframe_indexes", 2]`), for 400 (the request breaks the schema) and
422 (a combination the server rejects, or media it cannot use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.api.field_errors import humanize

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pydantic import ValidationError

    from lumatui.api.rules import Loc, Problem


class ApiError(Exception):
    """An error reply: status, `detail` (string or list) and any extra headers."""

    def __init__(
        self,
        status: int,
        detail: str | list[dict[str, Any]],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


def field_error(loc: Loc, msg: str, kind: str = "value_error") -> dict[str, Any]:
    """One `{loc, msg, type}` entry, its loc starting with "body"."""
    return {"loc": ["body", *loc], "msg": msg, "type": kind}


def problems_detail(problems: Iterable[Problem], kind: str = "value_error") -> list[dict[str, Any]]:
    """The `detail` list for rule problems."""
    return [field_error(p.loc, p.message, kind) for p in problems]


def validation_detail(exc: ValidationError) -> list[dict[str, Any]]:
    """The `detail` list for a pydantic ValidationError, worded for a person."""
    return [
        field_error(tuple(error["loc"]), humanize(error), error["type"]) for error in exc.errors()
    ]


def invalid(problems: Iterable[Problem]) -> ApiError:
    """A 400 for requests that break the reference's rules."""
    return ApiError(400, problems_detail(problems))


def rejected(problems: Iterable[Problem]) -> ApiError:
    """A 422 for combinations the server rejects, or media it cannot use."""
    return ApiError(422, problems_detail(problems, "rejected"))
