"""Thumbnails for the preview: which textual-image renderer draws them, and the decoding.

textual-image chooses Kitty TGP, Sixel or half-cell blocks by querying the terminal when
it is first imported, which works only before Textual owns the terminal: the app calls
`lumatui.tui.terminal_info.prepare_image_renderer()` before `App.run()`. The renderer can
be forced with `LUMATUI_IMAGE_PROTOCOL=halfcell|sixel|tgp|unicode|auto` (snapshot tests
force half-cell). `load_media` runs in a thread worker: sniffing, decoding, scaling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.engine.media import PIL_FORMATS, MediaError, one_line, sniff_file, verify_file
from lumatui.tui.terminal_info import PROTOCOL_ENV
from lumatui.tui.widgets.preview.details import MediaInfo

if TYPE_CHECKING:
    from collections.abc import Mapping

    from PIL import Image
    from textual.widget import Widget

    from lumatui.engine.jobs import Output
    from lumatui.engine.thumbnails import ThumbnailCache

PROTOCOLS = ("auto", "tgp", "sixel", "halfcell", "unicode")
"""The renderers that can be asked for; `auto` lets textual-image choose."""

IMAGE_BOX = (480, 480)
FRAME_BOX = (320, 320)
FRAME_POSITIONS = (0.0, 0.5, 1.0)
"""A video is shown by its first, middle and last frames."""


@dataclass(frozen=True)
class LoadedMedia:
    """A decoded output: its thumbnails (three frames for a video) or why there are none."""

    images: tuple[Image.Image, ...] = ()
    positions: tuple[float, ...] = ()
    info: MediaInfo | None = None
    error: str | None = None


def requested_protocol(value: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The renderer asked for: `value`, else LUMATUI_IMAGE_PROTOCOL, else auto."""
    env = os.environ if environ is None else environ
    chosen = (value or env.get(PROTOCOL_ENV, "") or "auto").strip().lower()
    aliases = {"kitty": "tgp", "half-cell": "halfcell", "half": "halfcell", "blocks": "halfcell"}
    chosen = aliases.get(chosen, chosen)
    if chosen not in PROTOCOLS:
        raise ValueError(f"{PROTOCOL_ENV} must be one of {', '.join(PROTOCOLS)}, not {chosen!r}")
    return chosen


def image_widget_class(protocol: str) -> type[Widget] | None:
    """The textual-image widget class for `protocol`, or None if textual-image cannot load."""
    try:
        import textual_image.widget as widgets
    except Exception:  # it queries the terminal on import; a broken tty must not stop the app
        return None
    classes: dict[str, Any] = {
        "auto": widgets.Image,
        "tgp": widgets.TGPImage,
        "sixel": widgets.SixelImage,
        "halfcell": widgets.HalfcellImage,
        "unicode": widgets.UnicodeImage,
    }
    chosen: type[Widget] = classes[protocol]
    return chosen


def set_image(widget: Widget, image: Image.Image | None) -> None:
    """Give a textual-image widget its picture (None empties it)."""
    target: Any = widget
    target.image = image


def load_media(
    thumbnails: ThumbnailCache, output: Output, known: MediaInfo | None = None
) -> LoadedMedia:
    """Decode and scale one downloaded output (thread-safe; never raises for bad media)."""
    if output.local_path is None:
        return LoadedMedia(error="not downloaded yet")
    path = Path(output.local_path)
    try:
        info = known or _probe(path)
        digest = _stored_digest(path, output)
        positions: tuple[float, ...]
        if info.mime.startswith("video/"):
            paths = thumbnails.video_frames(
                path, FRAME_BOX, positions=FRAME_POSITIONS, content_hash=digest
            )
            positions = FRAME_POSITIONS
        else:
            paths = [thumbnails.thumbnail(path, IMAGE_BOX, content_hash=digest)]
            positions = ()
        images = tuple(thumbnails.load(p) for p in paths)
    except MediaError as exc:
        return LoadedMedia(error=str(exc))
    except Exception as exc:  # any decoder failure on a damaged file is "cannot show it"
        return LoadedMedia(error=f"cannot decode the file: {one_line(exc)}")
    return LoadedMedia(images, positions, info)


def _stored_digest(path: Path, output: Output) -> str | None:
    """The sha256 verified at download while the file still has its size, else None (rehash).

    Reusing it spares hashing a large video on every view; a file changed since (another
    size) is hashed again, so a damaged file is never shown through an old thumbnail.
    """
    digest = (output.sha256 or "").lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    try:
        return digest if path.stat().st_size == output.size_bytes else None
    except OSError:
        return None


def _probe(path: Path) -> MediaInfo:
    """What the file is: an image's header, or a video's size and duration."""
    mime = sniff_file(path)
    if mime not in PIL_FORMATS:  # videos, and stills only PyAV decodes (EXR)
        verified = verify_file(path)
        return MediaInfo(verified.width, verified.height, mime, verified.duration_s)
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
    return MediaInfo(width, height, mime)
