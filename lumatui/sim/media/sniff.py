"""What a file claims to be, from its magic bytes (decoding proves it: see probe)."""

from __future__ import annotations

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
