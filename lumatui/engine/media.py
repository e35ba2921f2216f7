"""Verifying downloads: a file is the image or video it claims to be once it decodes.

The thumbnail cache lives in `lumatui.engine.thumbnails`, the decoders in `frames`, the
sniffing and size guards in `media_kinds`. Pillow and PyAV are imported inside the functions
that use them (through `frames`), so importing this module is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.engine.frames import probe_image, probe_video
from lumatui.engine.media_kinds import ARTICLE, EXTENSIONS
from lumatui.engine.media_kinds import AV_IMAGES as AV_IMAGES
from lumatui.engine.media_kinds import DEFAULT_MAX_PIXELS as DEFAULT_MAX_PIXELS
from lumatui.engine.media_kinds import PIL_FORMATS as PIL_FORMATS
from lumatui.engine.media_kinds import MediaError as MediaError
from lumatui.engine.media_kinds import VerifiedMedia as VerifiedMedia
from lumatui.engine.media_kinds import check_pixels as check_pixels
from lumatui.engine.media_kinds import fit_size as fit_size
from lumatui.engine.media_kinds import one_line as one_line
from lumatui.engine.media_kinds import sniff_file as sniff_file

if TYPE_CHECKING:
    from pathlib import Path


def verify_file(
    path: Path, *, expected_kind: str | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> VerifiedMedia:
    """Check that a file really is an image or a video by decoding it; MediaError if it is not."""
    if expected_kind not in (None, "image", "video"):
        raise ValueError(f"expected_kind must be 'image', 'video' or None, not {expected_kind!r}")
    mime = sniff_file(path)
    kind = "video" if mime.startswith("video/") else "image"
    if expected_kind is not None and kind != expected_kind:
        raise MediaError(
            f"expected {ARTICLE[expected_kind]} but the file is {ARTICLE[kind]} ({mime})"
        )
    if mime in PIL_FORMATS:
        width, height = probe_image(path, PIL_FORMATS[mime], max_pixels=max_pixels)
        duration, frames = None, None
    elif kind == "video" or mime in AV_IMAGES:
        width, height, duration, frames = probe_video(path, max_pixels=max_pixels)
        if kind == "image":
            duration, frames = None, None
    else:
        raise MediaError(f"{mime} images are not supported")
    return VerifiedMedia(kind, mime, width, height, duration, EXTENSIONS[mime], frames)
