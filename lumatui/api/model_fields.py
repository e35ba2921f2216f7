"""Splitting a JSON body along a pydantic model: the keys the model knows, and the rest.

Schema-free on purpose: the request schema uses `put_at` to send allowed unknown fields, and
`lumatui.api.unknown_fields` applies `split_fields` to the request schema.
"""

from __future__ import annotations

import copy
import itertools
import types
import typing
from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel

if TYPE_CHECKING:
    from collections.abc import Iterator

Loc = tuple[str | int, ...]
UnknownField = tuple[Loc, Any]


def split_fields(
    body: dict[str, Any], model: type[BaseModel]
) -> tuple[dict[str, Any], list[UnknownField]]:
    """A copy of `body` without the keys `model` (nested models too) does not know; and those."""
    known = copy.deepcopy(body)
    found: list[UnknownField] = []
    if isinstance(known, dict):
        _split(known, model, (), found)
    return known, found


def _split(
    node: dict[str, Any], model: type[BaseModel], loc: Loc, found: list[UnknownField]
) -> None:
    fields = model.model_fields
    for key in list(node):
        if key not in fields:
            found.append(((*loc, key), node.pop(key)))
            continue
        child_model, is_list = _nested_model(fields[key].annotation)
        if child_model is None:
            continue
        value = node[key]
        if is_list and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _split(item, child_model, (*loc, key, i), found)
        elif not is_list and isinstance(value, dict):
            _split(value, child_model, (*loc, key), found)


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly, optionally, or as list items) and whether in a list."""
    for arg, in_list in _walk(annotation, in_list=False):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, in_list
    return None, False


def _walk(annotation: Any, *, in_list: bool) -> Iterator[tuple[Any, bool]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _walk(typing.get_args(annotation)[0], in_list=in_list)
    elif origin in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _walk(arg, in_list=in_list)
    elif origin is list:
        for arg in typing.get_args(annotation):
            yield from _walk(arg, in_list=True)
    else:
        yield annotation, in_list


def put_at(body: dict[str, Any], loc: Loc, value: Any) -> None:
    """Set the value at `loc` in a JSON body, creating objects on the way (lists must exist)."""
    node: Any = body
    for part, following in itertools.pairwise(loc):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return
            node = node[part]
            continue
        if not isinstance(node, dict):
            return
        if part not in node:
            node[part] = [] if isinstance(following, int) else {}
        node = node[part]
    last = loc[-1]
    if isinstance(last, int):
        if isinstance(node, list) and last < len(node):
            node[last] = value
    elif isinstance(node, dict):
        node[last] = value
