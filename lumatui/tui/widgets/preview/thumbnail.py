"""Thumbnails for the preview: which textual-image renderer draws them, and the decoding.

textual-image chooses Kitty TGP, Sixel or half-cell blocks by querying the terminal when
it is first imported, which works only before Textual owns the terminal: the app calls
`lumatui.tui.terminal_info.prepare_image_renderer()` before `App.run()`. The renderer can
be forced with `LUMATUI_IMAGE_PROTOCOL=halfcell|sixel|tgp|unicode|auto` (snapshot tests
force half-cell). `load_frame` runs in a thread worker: the disk cache, then exact scaling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.engine.media import MediaError, one_line, verify_file
from lumatui.tui.terminal_info import PROTOCOL_ENV
from lumatui.tui.widgets.preview.fit import cache_box

if TYPE_CHECKING:
    from collections.abc import Mapping

    from PIL import Image
    from textual.widget import Widget

    from lumatui.engine.jobs import Output
    from lumatui.engine.media_kinds import VerifiedMedia
    from lumatui.engine.thumbnails import ThumbnailCache

PROTOCOLS = ("auto", "tgp", "sixel", "halfcell", "unicode")
"""The renderers that can be asked for; `auto` lets textual-image choose."""


@dataclass(frozen=True)
class LoadedFrame:
    """A picture scaled to the pixels asked for, or why there is none."""

    image: Image.Image | None = None
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


def renders_in_cells(widget_class: type[Widget] | None) -> bool:
    """True when the renderer draws coloured cells (half-cell, unicode), not real pixels."""
    renderable = getattr(widget_class, "_Renderable", None)
    name = getattr(renderable, "__module__", "")
    return not name.endswith((".tgp", ".sixel"))


def load_frame(
    thumbnails: ThumbnailCache,
    output: Output,
    pixels: tuple[int, int],
    position: float | None = None,
) -> LoadedFrame:
    """One output (a video: its frame at `position`) scaled to `pixels` (thread-safe).

    The picture comes from the disk cache at a box a little larger than `pixels` (made
    there once), then is scaled here, so the widget never resizes it on the UI thread.
    Never raises for bad media: the error says what is wrong.
    """
    if output.local_path is None:
        return LoadedFrame(error="not downloaded yet")
    path = Path(output.local_path)
    box = cache_box(pixels)
    try:
        digest = _stored_digest(path, output)
        if position is not None:
            (made,) = thumbnails.video_frames(path, box, positions=(position,), content_hash=digest)
        else:
            made = thumbnails.thumbnail(path, box, content_hash=digest)
        picture = thumbnails.load(made)
        if picture.size != pixels:
            picture = picture.resize(pixels, reducing_gap=2.0)
    except MediaError as exc:
        return LoadedFrame(error=str(exc))
    except Exception as exc:  # any decoder failure on a damaged file is "cannot show it"
        return LoadedFrame(error=f"cannot decode the file: {one_line(exc)}")
    return LoadedFrame(picture)


def measure(output: Output) -> VerifiedMedia:
    """What an output downloaded before facts were kept is: decoded once (MediaError if bad)."""
    if output.local_path is None:
        raise MediaError("not downloaded yet")
    return verify_file(Path(output.local_path))


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
