"""A request body for the composer, read from a file or from pasted text, in plain words.

`ctrl+l` in the composer loads a whole request body: a JSON file (a body saved by
`lumatui export`, written by hand, or copied from Luma's docs) or JSON pasted into a text
area. Everything that can be wrong with it is one sentence a person understands: the file
is missing, is a folder, is too big, is not JSON (with the line and column), or holds a
list or a string instead of an object. Nothing here imports Textual.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from lumatui.api.json_depth import MAX_JSON_DEPTH, json_depth_over
from lumatui.api.text import clean_text
from lumatui.engine.local_refs import expand_path, os_error_sentence

MAX_BODY_BYTES = 64 * 1024 * 1024
"""A request body holds at most a few inline images (each up to the inline cap, as base64):
64 MB is far above any real body and keeps a wrong file (a video, a disk image) out."""

_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}


class BodyError(ValueError):
    """The body cannot be loaded; the message is one plain sentence."""


def read_body_file(typed: str) -> dict[str, Any]:
    """The JSON object in the file a person typed the path of; BodyError says what is wrong."""
    if not typed.strip():
        raise BodyError("Type the path of a JSON file first.")
    shown = clean_text(typed.strip(), 160)
    target = expand_path(typed)
    try:
        # Without blocking: a FIFO nobody writes to must not hang the workstation.
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BodyError(os_error_sentence(exc, shown)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BodyError(f"{shown} is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):
            raise BodyError(f"{shown} is not a regular file (a FIFO, socket or device).")
        if info.st_size > MAX_BODY_BYTES:
            raise BodyError(
                f"{shown} is too big for a request body: {_mb(info.st_size)}, "
                f"the limit is {_mb(MAX_BODY_BYTES)}."
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            raw = handle.read(MAX_BODY_BYTES + 1)
    except OSError as exc:
        raise BodyError(os_error_sentence(exc, shown)) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(f"{shown} grew past {_mb(MAX_BODY_BYTES)} while it was read.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BodyError(f"{shown} is not JSON: it is not even UTF-8 text.") from None
    return parse_body_text(text, shown)


def parse_body_text(text: str, where: str = "The pasted text") -> dict[str, Any]:
    """The JSON object `text` holds; BodyError says what is wrong (`where` names the text)."""
    if len(text) > MAX_BODY_BYTES:
        raise BodyError(f"{where} is too big for a request body (over {_mb(MAX_BODY_BYTES)}).")
    if not text.strip():
        raise BodyError(f"{where} is empty: a request body is a JSON object, {{...}}.")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"{where} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except RecursionError:  # deeper than the parser goes
        raise BodyError(f"{where} nests more than {MAX_JSON_DEPTH} levels deep.") from None
    if json_depth_over(body):
        raise BodyError(f"{where} nests more than {MAX_JSON_DEPTH} levels deep.")
    if not isinstance(body, dict):
        kind = "null" if body is None else _KINDS.get(type(body), "not an object")
        raise BodyError(
            f"{where} holds {kind}, not an object: a request body is a JSON object, {{...}}."
        )
    return body


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"
