"""Fields of a request body that this version of lumatui does not know.

Luma's API grows faster than any client: a field added after this release must never stop
a person who knows it exists. `split_unknown_fields` separates such fields from the ones
the schema checks; the caller warns ("not known to lumatui 0.1; sent as is"), and when the
person allows it, `GenerationRequest.with_unknown_fields` sends them exactly as given.
Unknown *values* of known fields are still validated: a typo in `type` is a typo.
"""

from __future__ import annotations

from typing import Any

from lumatui import __version__
from lumatui.api.model_fields import Loc, UnknownField, put_at, split_fields
from lumatui.api.schema import GenerationRequest

__all__ = ["Loc", "UnknownField", "put_at", "split_unknown_fields", "unknown_field_paths"]


def unknown_field_warning(path: str) -> str:
    """The warning for one unknown field, the same words everywhere."""
    return f"{path}: not known to lumatui {__version__}; sent as is"


def split_unknown_fields(body: dict[str, Any]) -> tuple[dict[str, Any], list[UnknownField]]:
    """`body` without the fields the request schema does not know, and those fields.

    Only keys inside objects the schema describes are judged: a request's own fields, and
    those of `video`, `video.edit`, the controls, `layering`, `source_position` and every
    media reference. The body given is not changed.
    """
    return split_fields(body, GenerationRequest)


def unknown_field_paths(body: dict[str, Any]) -> list[str]:
    """The JSON paths of the unknown fields of `body` (for a form or a warning)."""
    from lumatui.api.field_errors import json_path

    return [json_path(loc) for loc, _ in split_unknown_fields(body)[1]]
