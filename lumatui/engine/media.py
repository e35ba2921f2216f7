"""Media checks and thumbnails: sniffing, verifying downloads, a content-addressed thumbnail cache.

Pillow and PyAV are imported inside the functions that use them, so importing this module is
cheap. Everything here is safe to call from thread workers.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

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
from lumatui.engine.media_kinds import sniff_mime as sniff_mime

if TYPE_CHECKING:
    from PIL import Image

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    from lumatui.engine.frames import probe_image, probe_video

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


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's content, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class ThumbnailCache:
    """Thumbnails on disk under a cache dir, keyed by content hash, plus a bounded in-memory LRU.

    Disk entries are `<dir>/<hash[:2]>/<hash>-<w>x<h>[-at<pos>].<jpg|png>`, written to a temp
    file and renamed into place, so a crash never leaves a partial entry under a valid name.
    The LRU of loaded images is bounded by count and by total pixels. All methods may be
    called from several threads at once; the same thumbnail is made only once at a time.
    """

    _STRIPES = 32  # per-key locks, striped so that their number stays fixed
    _HASH_MEMO = 4096  # (path, stat) -> sha256 entries remembered

    def __init__(
        self,
        cache_dir: Path,
        *,
        max_memory_items: int = 64,
        max_memory_pixels: int = 64 * 512 * 512,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        """Use `cache_dir` (created when first written); bound the LRU by items and pixels."""
        self.cache_dir = Path(cache_dir).absolute()
        self.max_memory_items = max(max_memory_items, 0)
        self.max_memory_pixels = max(max_memory_pixels, 0)
        self.max_pixels = max_pixels
        self._lock = threading.Lock()
        self._stripes = tuple(threading.Lock() for _ in range(self._STRIPES))
        self._images: OrderedDict[Path, Image.Image] = OrderedDict()
        self._pixels = 0
        self._hashes: OrderedDict[tuple[str, int, int, int, int], str] = OrderedDict()

    @property
    def memory_items(self) -> int:
        """How many images the in-memory LRU holds now."""
        with self._lock:
            return len(self._images)

    @property
    def memory_pixels(self) -> int:
        """How many pixels the in-memory LRU holds now."""
        with self._lock:
            return self._pixels

    def thumbnail(
        self, path: Path, size: tuple[int, int] = (512, 512), *, content_hash: str | None = None
    ) -> Path:
        """A cached thumbnail of an image (a video's first frame) that fits in size, aspect kept."""
        box = _check_box(size)
        digest = self._digest(path, content_hash)
        stem = f"{digest}-{box[0]}x{box[1]}"
        found = self._find(digest, stem)
        if found is not None:
            return found
        mime = sniff_file(path)
        if mime.startswith("video/"):
            return self.video_frames(path, box, positions=(0.0,), content_hash=digest)[0]
        with self._stripe(digest):
            found = self._find(digest, stem)
            if found is not None:
                return found
            from lumatui.engine.frames import image_thumbnail

            return self._write(image_thumbnail(path, mime, box, self.max_pixels), digest, stem)

    def video_frames(
        self,
        path: Path,
        size: tuple[int, int] = (512, 512),
        *,
        positions: tuple[float, ...] = (0.0, 0.5, 1.0),
        content_hash: str | None = None,
    ) -> list[Path]:
        """Cached thumbnails of a video's frames at each position (0.0 first, 1.0 last)."""
        box = _check_box(size)
        if not positions or any(not 0.0 <= p <= 1.0 for p in positions):
            raise ValueError(f"positions must be between 0.0 and 1.0, not {positions!r}")
        digest = self._digest(path, content_hash)
        stems = [f"{digest}-{box[0]}x{box[1]}-at{round(p * 10_000):05d}" for p in positions]
        found = [self._find(digest, stem) for stem in stems]
        if all(f is not None for f in found):
            return [f for f in found if f is not None]
        with self._stripe(digest):
            found = [self._find(digest, stem) for stem in stems]
            missing = [i for i, f in enumerate(found) if f is None]
            if missing:
                from lumatui.engine.frames import grab_frames

                sniff_file(path)  # a clear "looks like HTML" beats PyAV's own message
                images = grab_frames(path, tuple(positions[i] for i in missing), box)
                for i, image in zip(missing, images, strict=True):
                    found[i] = self._write(image, digest, stems[i])
        return [f for f in found if f is not None]

    def load(self, thumb_path: Path) -> Image.Image:
        """A thumbnail as a loaded PIL image, through the bounded LRU; treat it as read-only."""
        key = Path(thumb_path)
        with self._lock:
            image = self._images.get(key)
            if image is not None:
                self._images.move_to_end(key)
                return image
        image = self._read(key)
        pixels = image.width * image.height
        with self._lock:
            if key in self._images or pixels > self.max_memory_pixels:
                return self._images.get(key, image)
            self._images[key] = image
            self._pixels += pixels
            while self._images and (
                len(self._images) > self.max_memory_items or self._pixels > self.max_memory_pixels
            ):
                _, old = self._images.popitem(last=False)
                self._pixels -= old.width * old.height
        return image

    def _read(self, thumb_path: Path) -> Image.Image:
        """Decode a cache file; a damaged one is removed (so it is remade) and reported."""
        from PIL import Image

        try:
            with Image.open(thumb_path, formats=["PNG", "JPEG"]) as image:
                image.load()
                return image
        except Exception as exc:  # damaged on disk (power loss, tampering): remake it next time
            if thumb_path.absolute().is_relative_to(self.cache_dir) and thumb_path.is_file():
                thumb_path.unlink(missing_ok=True)
            raise MediaError(f"cannot read thumbnail: {one_line(exc)}") from exc

    def _digest(self, path: Path, content_hash: str | None) -> str:
        """The caller's sha256 (checked: it names files) or the file's, memoised by stat."""
        if content_hash is not None:
            if not _SHA256.match(content_hash.lower()):
                raise ValueError("content_hash must be a hex sha256")
            return content_hash.lower()
        try:
            st = os.stat(path)
            key = (os.fspath(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            with self._lock:
                known = self._hashes.get(key)
                if known is not None:
                    self._hashes.move_to_end(key)
                    return known
            digest = file_sha256(Path(path))
        except OSError as exc:
            raise MediaError(f"cannot read the file: {exc.strerror or one_line(exc)}") from exc
        with self._lock:
            self._hashes[key] = digest
            if len(self._hashes) > self._HASH_MEMO:
                self._hashes.popitem(last=False)
        return digest

    def _find(self, digest: str, stem: str) -> Path | None:
        """An existing, non-empty cache entry for this stem, in either format."""
        folder = self.cache_dir / digest[:2]
        for suffix in (".jpg", ".png"):
            candidate = folder / (stem + suffix)
            try:
                if candidate.stat().st_size > 0:
                    return candidate
            except OSError:
                continue
        return None

    def _write(self, image: Image.Image, digest: str, stem: str) -> Path:
        """Save atomically: JPEG when opaque, PNG when it has transparency."""
        opaque = image.mode == "RGB"
        target = self.cache_dir / digest[:2] / (stem + (".jpg" if opaque else ".png"))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                if opaque:
                    image.save(handle, format="JPEG", quality=90)
                else:
                    image.save(handle, format="PNG", compress_level=3)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def _stripe(self, digest: str) -> threading.Lock:
        """The lock that serialises work on one content hash."""
        return self._stripes[int(digest[:8], 16) % self._STRIPES]


def _check_box(size: tuple[int, int]) -> tuple[int, int]:
    """A thumbnail box as two positive ints."""
    width, height = (int(v) for v in size)
    if width < 1 or height < 1:
        raise ValueError(f"thumbnail size must be positive, not {size!r}")
    return width, height
