"""Local media as references: inline when small, uploaded as a file when large or a video.

`inspect_local_media` looks at a path without reading it whole (a stat and the first
bytes), so a form can say at once what will happen: "will upload 180 MB as a file".
`Uploader.reference_for` then makes the reference: inline base64 `data` for a small image
(the seed's way), otherwise an upload through the Files API sent as `file_id` (not a byte
of base64). The same bytes are uploaded once while their file lives (`FileIdCache`). An API
without a Files API (404/405 on `/files`) is remembered per base URL, warned about once,
and gets inline data instead, which only works up to the inline media limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lumatui.api.capabilities import MAX_INLINE_BYTES
from lumatui.api.enums import MAX_FILE_BYTES, FilePurpose
from lumatui.api.errors import ApiError
from lumatui.api.files_client import DEFAULT_INLINE_CAP, FilesClient
from lumatui.api.sniff import sniff_mime
from lumatui.api.text import clean_text
from lumatui.api.upload import FilesUnsupported, UploadFailed
from lumatui.engine.file_ids import key_hash
from lumatui.engine.local_refs import LocalRefError, expand_path, load_local_ref

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from lumatui.api.client import AgentsClient
    from lumatui.api.files import FileObject
    from lumatui.api.refs import Loc
    from lumatui.engine.file_ids import FileIdCache

_MB = 1024 * 1024
_HEAD = 512
_HASH_CHUNK = 4 * _MB
_WANTS = {"image": "an image", "video": "a video"}


def size_text(size: int) -> str:
    """A size as a person reads it: 812 B, 34 KB, 180 MB, 2.5 GB."""
    if size < 1024:
        return f"{size} B"
    if size < _MB:
        return f"{size // 1024} KB"
    if size < 1024 * _MB:
        return f"{size / _MB:.0f} MB" if size >= 10 * _MB else f"{size / _MB:.1f} MB"
    return f"{size / (1024 * _MB):.1f} GB"


@dataclass(frozen=True)
class LocalMedia:
    """A local file checked for use as a reference, and how it will be sent."""

    path: Path
    size: int
    mime_type: str
    kind: str
    upload: bool
    """True when it goes through the Files API (a video, or larger than the inline cap)."""

    def describe(self) -> str:
        """What will happen to it: "will upload 180 MB as a file" or "will send 2.1 MB inline"."""
        if self.upload:
            return f"will upload {size_text(self.size)} as a file"
        return f"will send {size_text(self.size)} inline"


def needs_upload(size: int, kind: str, inline_cap: int = DEFAULT_INLINE_CAP) -> bool:
    """Every video, and anything larger than the inline cap, is uploaded as a file."""
    return kind == "video" or size > inline_cap


def inspect_local_media(
    path: str | Path, *, want: str | None = "image", inline_cap: int = DEFAULT_INLINE_CAP
) -> LocalMedia:
    """Check a local file (stat and first bytes only) and decide inline or upload.

    LocalRefError names the problem: not a regular file, empty, over 5 GiB, not an image
    or video, or the other kind than `want` (None: either kind will do).
    """
    wanted = _WANTS.get(want or "", "an image or a video")
    shown = clean_text(str(path), 160)
    target = expand_path(str(path))
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        # The full sentences for every kind of path live with the inline loader.
        load_local_ref(target, want=want or "image")
        raise LocalRefError(f"{shown} cannot be read: {exc.strerror}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            # The inline loader words each kind of special file (directory, FIFO, device).
            load_local_ref(target, want=want or "image")
            raise LocalRefError(f"{shown} is not a regular file.")
        head = os.read(fd, _HEAD)
    finally:
        os.close(fd)
    if info.st_size == 0:
        raise LocalRefError(f"{shown} is empty (0 bytes), not {wanted}.")
    if info.st_size > MAX_FILE_BYTES:
        raise LocalRefError(
            f"{shown} is {size_text(info.st_size)}; the Files API takes at most 5 GB."
        )
    mime = sniff_mime(head)
    if mime is None and info.st_size <= MAX_INLINE_BYTES:
        load_local_ref(target, want=want or "image")  # says what the file looks like instead
    if mime is None:
        raise LocalRefError(
            f"{shown} ({size_text(info.st_size)}) is not {wanted}: not an image or video format."
        )
    kind = mime.split("/")[0]
    if want is not None and kind != want:
        raise LocalRefError(f"{shown} is {_WANTS[kind]} ({mime}), but {_WANTS[want]} is needed.")
    return LocalMedia(
        target, info.st_size, mime, kind, needs_upload(info.st_size, kind, inline_cap)
    )


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (blocking: run it in a thread)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Uploader:
    """Makes references for local media: inline data, or a file uploaded once and reused."""

    def __init__(
        self,
        client: AgentsClient,
        cache: FileIdCache,
        *,
        inline_cap: int = DEFAULT_INLINE_CAP,
        warn: Callable[[str], None] | None = None,
        files: FilesClient | None = None,
    ) -> None:
        self.files = files or FilesClient(client, inline_cap=inline_cap)
        self._cache = cache
        self._base_url = client.base_url
        self._key = key_hash(client._api_key)
        self._warn = warn or (lambda _message: None)
        self._warned = False
        self.uploads = 0
        """How many uploads this uploader made (a remembered file is not one)."""

    @property
    def files_api_missing(self) -> bool:
        """True when this API is known to have no Files API (inline data is used instead)."""
        return self._cache.unsupported(self._base_url)

    async def reference_for(
        self,
        media: LocalMedia,
        *,
        purpose: FilePurpose | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """The ImageRef JSON for `media`: `{"data", "media_type"}` or `{"file_id"}`."""
        if not media.upload:
            return await self._inline(media)
        if self.files_api_missing:
            return await self._inline(media, fallback=True)
        try:
            file = await self.ensure_file(media, purpose=purpose, on_progress=on_progress)
        except FilesUnsupported:
            self._cache.mark_unsupported(self._base_url)
            return await self._inline(media, fallback=True)
        return {"file_id": file.id}

    async def ensure_file(
        self,
        media: LocalMedia,
        *,
        purpose: FilePurpose | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> FileObject:
        """The ready file holding these bytes: a remembered one still alive, or a new upload.

        Raises FilesUnsupported (no Files API) or UploadFailed (saying why).
        """
        digest = await asyncio.to_thread(file_sha256, media.path)
        remembered = self._cache.lookup(digest, self._base_url, self._key)
        if remembered is not None:
            try:
                known = await self.files.get(remembered.file_id)
            except ApiError:  # gone, or unreadable: upload again
                known = None
            if known is not None and known.is_ready:
                return known
            self._cache.forget(remembered.file_id)
        file = await self.files.upload(
            media.path, mime_type=media.mime_type, purpose=purpose, on_progress=on_progress
        )
        self.uploads += 1
        file = await self.files.wait_ready(file.id)
        self._cache.remember(
            digest,
            self._base_url,
            self._key,
            file_id=file.id,
            size_bytes=media.size,
            mime_type=media.mime_type,
            expires_at=file.expires,
        )
        return file

    async def _inline(self, media: LocalMedia, *, fallback: bool = False) -> dict[str, Any]:
        if fallback and not self._warned:
            self._warned = True
            self._warn(
                f"{self._base_url} has no Files API (it answered /files with 404 or 405): "
                "local media is sent inline as base64 instead"
            )
        if media.size > MAX_INLINE_BYTES:
            raise UploadFailed(
                f"{clean_text(str(media.path), 160)} is {size_text(media.size)}: without a "
                f"Files API only {size_text(MAX_INLINE_BYTES)} can be sent inline"
            )
        try:
            ref = await asyncio.to_thread(load_local_ref, media.path, want=media.kind)
        except LocalRefError as exc:
            raise UploadFailed(str(exc)) from None
        return ref.to_json()

    async def forget(self, file_id: str) -> None:
        """A file was deleted: never reference it again."""
        self._cache.forget(file_id)


async def upload_into_body(
    body: dict[str, Any],
    uploads: Sequence[tuple[Loc, LocalMedia]],
    uploader: Uploader,
    *,
    on_progress: Callable[[Loc, int, int], None] | None = None,
) -> dict[str, Any]:
    """A copy of `body` with the reference at each loc made from its local media.

    For a form that knows which of its reference fields hold local paths: each becomes
    inline data or a `file_id` (uploaded, or remembered). `on_progress(loc, sent, total)`.
    """
    import copy

    from lumatui.api.unknown_fields import put_at

    result = copy.deepcopy(body)
    for loc, media in uploads:

        def progress(sent: int, total: int, loc: Loc = loc) -> None:
            if on_progress is not None:
                on_progress(loc, sent, total)

        put_at(result, loc, await uploader.reference_for(media, on_progress=progress))
    return result
