"""Tell what a file is from its first bytes, then prove it by decoding it."""

from __future__ import annotations

from lumatui.api.sniff import media_kind, sniff_mime
from lumatui.sim.media.jobs import MediaInfo, UnsupportedMedia


def probe(data: bytes) -> MediaInfo:
    """Identify and fully check an image or video.

    Raises UnsupportedMedia when the bytes are no format we know (HTML, text, empty) and
    UndecodableMedia when they claim a known format but do not decode (truncated, corrupt,
    or too large to decode safely). Nothing else escapes, whatever the input.
    """
    mime = sniff_mime(data)
    if mime is None:
        raise UnsupportedMedia(_describe_unknown(data))
    kind = media_kind(mime)
    from lumatui.sim.media import decode

    if kind == "image":
        width, height = decode.check_image(data, mime)
        return MediaInfo("image", mime, width, height, None, None)
    video = decode.check_video(data, mime)
    return MediaInfo("video", mime, video.width, video.height, video.duration_s, video.frames)


def _describe_unknown(data: bytes) -> str:
    """A short reason for UnsupportedMedia that never echoes the bytes themselves."""
    if not data:
        return "empty file"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<svg")):
        return "markup (HTML, XML or SVG), not an image or video"
    if data.startswith(b"PK\x03\x04"):
        return "a zip archive, not an image or video"
    return "not an image or video format the simulator knows"
