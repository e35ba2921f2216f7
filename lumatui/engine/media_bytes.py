"""Media held in memory, proved by decoding it: what a local reference goes through before sending.

Sniffing the first bytes only says what a file claims to be. A reference is sent to a paid
API, so it gets the same proof as a downloaded output (`media.verify_file`: a full decode
with the decompression-bomb guard for images, a probe and a decoded first frame for
videos) and one more check: nothing hides after the image's end, such as an archive
appended to a PNG (a polyglot file).
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from lumatui.engine.media import DEFAULT_MAX_PIXELS, MediaError, verify_file

if TYPE_CHECKING:
    from lumatui.engine.media_kinds import VerifiedMedia

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_END = b"PK\x05\x06"
_ZIP_END_SIZE = 22
_ZIP_SEARCH = 65_535 + _ZIP_END_SIZE  # the end record sits within this of the file's end


def verify_media_bytes(
    content: bytes, *, expected_kind: str, max_pixels: int = DEFAULT_MAX_PIXELS
) -> VerifiedMedia:
    """Decode `content` as an image or video of `expected_kind`; MediaError if it is not one."""
    # PyAV wants a file; a private temporary one is removed whatever happens.
    fd, name = tempfile.mkstemp(prefix="lumatui-ref-", suffix=".bin")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        media = verify_file(path, expected_kind=expected_kind, max_pixels=max_pixels)
    finally:
        path.unlink(missing_ok=True)
    extra = appended_data(content, media.mime)
    if extra:
        raise MediaError(f"{extra}; the file is not only {media.mime}")
    return media


def appended_data(content: bytes, mime: str) -> str | None:
    """What hides after the media's own end (an archive, bytes after PNG's IEND), or None."""
    if _has_zip_archive(content):
        return "an archive (ZIP) is appended to it"
    if mime == "image/png":
        end = _png_end(content)
        if end is not None and end < len(content):
            return f"{len(content) - end} bytes follow the end of the PNG"
    elif mime == "image/webp" and len(content) >= 8:
        (size,) = struct.unpack("<I", content[4:8])
        end = 8 + size + (size & 1)
        if end < len(content):
            return f"{len(content) - end} bytes follow the end of the WebP image"
    return None


def _png_end(content: bytes) -> int | None:
    """Where a PNG's IEND chunk ends (its chunks walked by length), or None if unreadable."""
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(content):
        length = int.from_bytes(content[pos : pos + 4], "big")
        kind = content[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


def _has_zip_archive(content: bytes) -> bool:
    """True when a ZIP end-of-central-directory record closes the file (a polyglot)."""
    tail_start = max(len(content) - _ZIP_SEARCH, 0)
    at = content.rfind(_ZIP_END, tail_start)
    while at >= 0:
        if at + _ZIP_END_SIZE <= len(content):
            (comment,) = struct.unpack("<H", content[at + 20 : at + 22])
            if at + _ZIP_END_SIZE + comment == len(content):
                return True
        at = content.rfind(_ZIP_END, tail_start, at)
    return False
