"""What a media file is: its claim (sniffed by `lumatui.api.sniff`), the formats each decoder
takes, size guards.

Shared by the download verifier (`media`), the decoders (`frames`) and reference checks
(`local_refs`); it imports neither Pillow nor PyAV, so it stays cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lumatui.api.sniff import sniff_mime

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_MAX_PIXELS = 80_000_000
# Bytes read for sniffing and for describing what a non-media file looks like.
_HEAD_BYTES = 512

# Pillow decodes these; PyAV decodes videos and the stills in AV_IMAGES.
PIL_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
}
AV_IMAGES = frozenset({"image/x-exr"})
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/heic": "heic",
    "image/x-exr": "exr",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/3gpp": "3gp",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
}
ARTICLE = {"image": "an image", "video": "a video"}


@dataclass(frozen=True)
class VerifiedMedia:
    """What a file turned out to be after it was decoded."""

    kind: str  # "image" | "video"
    mime: str
    width: int
    height: int
    duration_s: float | None
    extension: str  # without the dot: "png", "jpg", "webp", "mp4", "exr", ...
    frame_count: int | None = None
    """A video's frames (None for an image)."""


class MediaError(ValueError):
    """A file that is not the media it claims to be; the message is one clear line."""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message as a single short line."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(head: bytes) -> str:
    """What a file that is not media looks like, for the error message."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")):
        return "HTML"
    if text.startswith(b"<?xml"):
        return "XML, maybe an error page" if b"<error" in text else "XML"
    if text.startswith(b"<svg"):
        return "SVG, which is not supported"
    if text.startswith((b"{", b"[")):
        return "JSON"
    if head[4:8] == b"ftyp":
        return "audio"
    for magic, name in ((b"%PDF", "PDF"), (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "gzip")):
        if head.startswith(magic):
            return name
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        decoded = head[:-3].decode("utf-8", errors="replace")  # a cut multi-byte character
    if (
        decoded
        and "\ufffd" not in decoded
        and all(c.isprintable() or c in "\t\r\n" for c in decoded)
    ):
        return "text"
    return "unrecognised binary data"


def sniff_file(path: Path) -> str:
    """A file's MIME type by content; MediaError for unreadable, empty or non-media files."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise MediaError(f"cannot read the file: {exc.strerror or one_line(exc)}") from exc
    if not head:
        raise MediaError("empty file (0 bytes), not an image or video")
    mime = sniff_mime(head)
    if mime is None:
        raise MediaError(f"not an image or video (looks like {_describe(head)})")
    return mime


def check_pixels(width: int, height: int, max_pixels: int, what: str = "image") -> None:
    """Refuse media whose header declares more pixels than the cap, before decoding it."""
    if width * height > max_pixels:
        raise MediaError(f"{what} too large: {width}x{height} exceeds {max_pixels:,} pixels")


def fit_size(source: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the source's aspect that fits in box, never larger than the source."""
    scale = min(box[0] / max(source[0], 1), box[1] / max(source[1], 1), 1.0)
    return max(round(source[0] * scale), 1), max(round(source[1] * scale), 1)
