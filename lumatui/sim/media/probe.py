"""Tell what a file is from its first bytes, then prove it by decoding it."""

from __future__ import annotations

from lumatui.sim.media.jobs import MediaInfo, UnsupportedMedia

_AVIF_BRANDS = (b"avif", b"avis")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def sniff(data: bytes) -> tuple[str, str] | None:
    """The (kind, mime) the magic bytes announce, or None when they announce nothing known.

    Only the first bytes are read; nothing is decoded, so the answer is a claim, not proof.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image", "image/webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _AVIF_BRANDS:
            return "image", "image/avif"
        if brand in _HEIF_BRANDS:
            return None  # HEIF stills: nothing here decodes them
        if brand == b"qt  ":
            return "video", "video/quicktime"
        return "video", "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm" if b"webm" in data[:64] else "video/x-matroska"
    return None


def probe(data: bytes) -> MediaInfo:
    """Identify and fully check an image or video.

    Raises UnsupportedMedia when the bytes are no format we know (HTML, text, empty) and
    UndecodableMedia when they claim a known format but do not decode (truncated, corrupt,
    or too large to decode safely). Nothing else escapes, whatever the input.
    """
    claim = sniff(data)
    if claim is None:
        raise UnsupportedMedia(_describe_unknown(data))
    kind, mime = claim
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
