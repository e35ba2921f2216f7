"""Local files as image references: checked, sniffed, decoded, and base64-encoded.

The composer's image-ref fields and the CLI's `--image-ref PATH` share this module. A path
can name anything a filesystem holds, so every kind of file is checked with `os.stat`
before it is opened: a FIFO would block the reader forever, a device never ends, and a
200 MB file should be refused from its size alone, not after reading it.
"""

from __future__ import annotations

import base64
import errno
import os
import re
import stat
from enum import StrEnum
from pathlib import Path

from lumatui.api.capabilities import MAX_INLINE_BYTES
from lumatui.api.schema import ImageRef
from lumatui.api.sniff import sniff_mime
from lumatui.api.text import clean_text
from lumatui.engine.media_bytes import verify_media_bytes
from lumatui.engine.media_kinds import MediaError

_HEAD_BYTES = 512
_MB = 1024 * 1024
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_SHORT_ID = re.compile(r"^[0-9a-f]{8,}(-[0-9a-f-]*)?$", re.I)
_WANTS = {"image": "an image", "video": "a video"}


class LocalRefError(ValueError):
    """A local file that cannot be used as a reference; the message is one sentence."""


class RefKind(StrEnum):
    """What the text typed into an image-ref field names."""

    EMPTY = "empty"
    URL = "url"
    GENERATION_ID = "generation_id"
    FILE = "file"
    """`file:ID`: a file uploaded with the Files API."""
    PATH = "path"


def classify_ref_text(text: str) -> RefKind:
    """Whether `text` is a URL, a generation id (a UUID or an 8+ hex prefix), an uploaded file
    (`file:ID`) or a local path."""
    text = text.strip()
    if not text:
        return RefKind.EMPTY
    if text.startswith("file:"):
        return RefKind.FILE
    scheme, sep, _ = text.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        return RefKind.URL
    if _UUID.match(text) or _SHORT_ID.match(text):
        return RefKind.GENERATION_ID
    return RefKind.PATH


def is_full_uuid(text: str) -> bool:
    """True when `text` is a whole UUID rather than a short id prefix."""
    return bool(_UUID.match(text.strip()))


def expand_path(text: str) -> Path:
    """The path a person typed, with `~` expanded."""
    return Path(text.strip()).expanduser()


def load_local_ref(
    path: str | Path, *, max_bytes: int = MAX_INLINE_BYTES, want: str = "image"
) -> ImageRef:
    """Read a local file into an inline `ImageRef`; LocalRefError for anything unusable."""
    if want not in _WANTS:
        raise ValueError(f"want must be 'image' or 'video', not {want!r}")
    shown = clean_text(str(path), 160)
    target = expand_path(str(path))
    size = _check_regular_file(target, shown)
    if size == 0:
        raise LocalRefError(f"{shown} is empty (0 bytes), not {_WANTS[want]}.")
    if size > max_bytes:
        raise LocalRefError(
            f"{shown} is {_mb(size)}; the limit for inline media is {_mb(max_bytes)}."
        )
    content = _read(target, shown, max_bytes)
    mime = sniff_mime(content[:_HEAD_BYTES])
    if mime is None:
        raise LocalRefError(f"{shown} is not {_WANTS[want]}: it looks like {_looks_like(content)}.")
    family = mime.split("/")[0]
    if family != want:
        raise LocalRefError(f"{shown} is {_WANTS[family]} ({mime}), but {_WANTS[want]} is needed.")
    try:  # sniffed is only claimed: decode it (bomb guard; a video's first frame) before sending
        verify_media_bytes(content, expected_kind=want)
    except MediaError as exc:
        raise LocalRefError(f"{shown} cannot be used: {exc}.") from None
    return ImageRef(data=base64.b64encode(content).decode("ascii"), media_type=mime)


def _check_regular_file(target: Path, shown: str) -> int:
    """The size of a regular file; LocalRefError for anything else or an unreadable path."""
    try:
        info = os.stat(target)
    except OSError as exc:
        raise LocalRefError(os_error_sentence(exc, shown)) from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise LocalRefError(f"{shown} is a directory, not a file.")
    if not stat.S_ISREG(mode):
        raise LocalRefError(f"{shown} is {_special_kind(mode)}, not a regular file.")
    return info.st_size


def _read(target: Path, shown: str, max_bytes: int) -> bytes:
    """Read at most max_bytes; re-check the opened file in case the path changed meanwhile."""
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open returns at once.
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LocalRefError(os_error_sentence(exc, shown)) from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise LocalRefError(f"{shown} is {_special_kind(mode)}, not a regular file.")
        try:
            content = handle.read(max_bytes + 1)
        except OSError as exc:
            raise LocalRefError(os_error_sentence(exc, shown)) from None
    if len(content) > max_bytes:
        raise LocalRefError(f"{shown} grew past the limit of {_mb(max_bytes)} while reading.")
    if not content:
        raise LocalRefError(f"{shown} is empty (0 bytes).")
    return content


def os_error_sentence(exc: OSError, shown: str) -> str:
    """One sentence for the OSErrors a path can raise."""
    sentences = {
        errno.ENOENT: f"{shown} does not exist.",
        errno.ELOOP: f"{shown} is a symlink loop (a link that leads back to itself).",
        errno.EACCES: f"{shown} cannot be read: permission denied.",
        errno.EPERM: f"{shown} cannot be read: permission denied.",
        errno.ENOTDIR: f"{shown} is not a path to a file: a part of it is not a directory.",
        errno.ENAMETOOLONG: f"{shown} is too long to be a file name.",
        errno.EISDIR: f"{shown} is a directory, not a file.",
    }
    reason = exc.strerror or type(exc).__name__
    return sentences.get(exc.errno or 0, f"{shown} cannot be read: {reason}.")


def _special_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _looks_like(content: bytes) -> str:
    """What a file that is neither image nor video resembles, for the error sentence."""
    head = content[:_HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "HTML"
    if head.startswith((b"<?xml", b"<svg")):
        return "XML or SVG"
    if head.startswith((b"{", b"[")):
        return "JSON"
    if head.startswith(b"%pdf"):
        return "a PDF"
    try:
        text = content[:_HEAD_BYTES].decode("utf-8")
    except UnicodeDecodeError:
        text = content[: _HEAD_BYTES - 3].decode("utf-8", errors="replace")
    if text and "\ufffd" not in text and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "text"
    return "unrecognised binary data"


def _mb(size: int) -> str:
    """A byte count in MB, as a person reads it."""
    return f"{size / _MB:.1f} MB" if size % _MB else f"{size // _MB} MB"


def complete_path(prefix: str, limit: int = 20) -> list[str]:
    """Completions of a partly typed path, as typed (`~` kept); directories end with "/"."""
    if not prefix.strip():
        return []
    folder_typed, _, name_part = prefix.rpartition("/")
    if "/" in prefix:
        folder = Path(folder_typed or "/").expanduser()
        shown_folder = folder_typed + "/"
    elif prefix.startswith("~"):
        # `~` alone completes to `~/`; `~user` forms are left to the shell.
        return ["~/"] if prefix == "~" else []
    else:
        folder, shown_folder = Path("."), ""
    show_hidden = name_part.startswith(".")
    found: list[str] = []
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                (e for e in entries if e.name.startswith(name_part)), key=lambda e: e.name
            )
            for entry in names:
                if entry.name.startswith(".") and not show_hidden:
                    continue
                found.append(shown_folder + entry.name + ("/" if _is_dir(entry) else ""))
                if len(found) >= limit:
                    break
    except OSError:
        return []
    return found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """True for a directory or a link to one; False for anything unreadable."""
    try:
        return entry.is_dir()
    except OSError:
        return False
