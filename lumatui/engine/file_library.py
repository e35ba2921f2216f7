"""The files view's engine side: list, upload and delete uploaded files, with progress.

The workstation's files view (and `lumatui files`) call these; each is a coroutine for a
worker. Uploading here always makes a file (even a small image) and remembers it, so the
composer can use it as a reference later without a second upload.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lumatui.engine.uploads import inspect_local_media

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.api.enums import FilePurpose, FileState
    from lumatui.api.files import FileObject
    from lumatui.engine.uploads import Uploader

MAX_LISTED = 1000


class FileLibrary:
    """The caller's uploaded files on one API."""

    def __init__(self, uploader: Uploader) -> None:
        self._uploader = uploader

    async def list_files(
        self,
        *,
        state: FileState | str | None = None,
        purpose: FilePurpose | str | None = None,
        limit: int = MAX_LISTED,
        on_page: Callable[[list[FileObject]], None] | None = None,
    ) -> list[FileObject]:
        """Files newest first, page after page up to `limit`; `on_page` sees each page."""
        found: list[FileObject] = []
        page: list[FileObject] = []
        async for file in self._uploader.files.iterate(state=state, purpose=purpose):
            found.append(file)
            page.append(file)
            if len(page) == 100 and on_page is not None:
                on_page(page)
                page = []
            if len(found) >= limit:
                break
        if page and on_page is not None:
            on_page(page)
        return found

    async def upload(
        self,
        path: str | Path,
        *,
        purpose: FilePurpose | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> FileObject:
        """Upload a local image or video (once: the same bytes reuse their live file)."""
        media = replace(inspect_local_media(path, want=None), upload=True)
        return await self._uploader.ensure_file(media, purpose=purpose, on_progress=on_progress)

    async def get(self, file_id: str) -> FileObject:
        """One file as the API has it now."""
        return await self._uploader.files.get(file_id)

    async def delete(self, file_id: str) -> None:
        """Delete a file (soft, at the API) and never reference it again."""
        await self._uploader.files.delete(file_id)
        await self._uploader.forget(file_id)
