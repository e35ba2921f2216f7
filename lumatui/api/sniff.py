"""What media a file claims to be, from its first bytes: the one sniffer of the package.

The engine (downloads, uploads, local references) and the simulator both ask it, so they
agree on every format: PNG, JPEG, GIF, WebP, AVIF, HEIC, OpenEXR, MP4, QuickTime (old files
too, which open with an atom other than `ftyp`), 3GPP, WebM and Matroska. Nothing is decoded:
the answer is a claim, which the decoders then prove or refute.
"""

from __future__ import annotations

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})


def media_kind(mime: str) -> str:
    """ "video" for a video MIME type, "image" for any other the sniffer returns."""
    return "video" if mime.startswith("video/") else "image"


def sniff_mime(head: bytes) -> str | None:
    """The MIME type of an image or video from its first bytes (~64), or None if neither."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"\x76\x2f\x31\x01":
        return "image/x-exr"
    if head[4:8] == b"ftyp":
        return _ftyp_mime(head)
    if head[4:8] in (b"moov", b"mdat", b"wide"):
        return "video/quicktime"  # old QuickTime files open with an atom other than ftyp
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    return None


def _ftyp_mime(head: bytes) -> str | None:
    """Tell ISO media files apart by their major and compatible brands."""
    major = head[8:12]
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    compatible = {head[i : i + 4] for i in range(16, box_end - 3, 4)}
    if major in (b"avif", b"avis") or (major in _HEIF_BRANDS and b"avif" in compatible):
        return "image/avif"
    if major in _HEIF_BRANDS:
        return "image/heic"
    if major in _AUDIO_BRANDS:
        return None
    if major == b"qt  ":
        return "video/quicktime"
    if major.startswith((b"3gp", b"3g2")):
        return "video/3gpp"
    return "video/mp4"
