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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

DEFAULT_MAX_PIXELS = 80_000_000
# Bytes read for sniffing and for describing what a non-media file looks like.
_HEAD_BYTES = 512
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# Pillow decodes these; PyAV decodes videos and the stills in AV_IMAGES.
PIL_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
}
AV_IMAGES = frozenset({"image/x-exr"})
_EXTENSIONS = {
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
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_A = {"image": "an image", "video": "a video"}


@dataclass(frozen=True)
class VerifiedMedia:
    """What a file turned out to be after it was decoded."""

    kind: str  # "image" | "video"
    mime: str
    width: int
    height: int
    duration_s: float | None
    extension: str  # without the dot: "png", "jpg", "webp", "mp4", "exr", ...


class MediaError(ValueError):
    """A file that is not the media it claims to be; the message is one clear line."""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message as a single short line."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def verify_file(
    path: Path, *, expected_kind: str | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> VerifiedMedia:
    """Check that a file really is an image or a video by decoding it; MediaError if it is not."""
    if expected_kind not in (None, "image", "video"):
        raise ValueError(f"expected_kind must be 'image', 'video' or None, not {expected_kind!r}")
    mime = sniff_file(path)
    kind = "video" if mime.startswith("video/") else "image"
    if expected_kind is not None and kind != expected_kind:
        raise MediaError(f"expected {_A[expected_kind]} but the file is {_A[kind]} ({mime})")
    from lumatui.engine.frames import probe_image, probe_video

    if mime in PIL_FORMATS:
        width, height = probe_image(path, PIL_FORMATS[mime], max_pixels=max_pixels)
        duration = None
    elif kind == "video" or mime in AV_IMAGES:
        width, height, duration = probe_video(path, max_pixels=max_pixels)
        if kind == "image":
            duration = None
    else:
        raise MediaError(f"{mime} images are not supported")
    return VerifiedMedia(kind, mime, width, height, duration, _EXTENSIONS[mime])


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
