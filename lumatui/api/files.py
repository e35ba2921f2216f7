"""The Files API's bodies and replies: `POST /files`, `GET /files[/{id}]`, complete, delete.

Like the generation schema, one set of models serves the client (what it sends, what it
reads) and the simulator (what it accepts). Replies keep fields and values this version
does not know; the request body refuses them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, Strict, field_validator

from lumatui.api.enums import MAX_USER_ID_CHARS, FilePurpose, FileState
from lumatui.api.schema import _KNOWN_FIRST, _Request, _Response, parse_file_id

MAX_FILENAME_CHARS = 255
DEFAULT_LIST_LIMIT = 25
MAX_LIST_LIMIT = 100


def parse_time(text: str | None) -> float | None:
    """An ISO-8601 time from a reply as a Unix time, or None when absent or unreadable."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


class FileCreateRequest(_Request):
    """The JSON body of `POST /files` (the presigned mode): what will be PUT afterwards."""

    mime_type: Annotated[str, Field(min_length=3, max_length=255)]
    size_bytes: Annotated[int, Strict(), Field(ge=1)]
    expires_at: datetime | None = None
    filename: Annotated[str, Field(max_length=MAX_FILENAME_CHARS)] | None = None
    purpose: FilePurpose | None = None
    user_id: Annotated[str, Field(max_length=MAX_USER_ID_CHARS)] | None = None

    @field_validator("mime_type")
    @classmethod
    def _mime_shape(cls, value: str) -> str:
        kind, slash, subtype = value.partition("/")
        if not slash or not kind or not subtype or " " in value:
            raise ValueError("must be a MIME type such as image/png or video/mp4")
        return value.lower()


class FileObject(_Response):
    """A file in the caller's namespace, as `GET /files/{id}` returns it."""

    id: str
    created_at: str
    mime_type: str
    purpose: Annotated[FilePurpose | str, _KNOWN_FIRST]
    size_bytes: int
    state: Annotated[FileState | str, _KNOWN_FIRST]
    deleted_at: str | None = None
    expires_at: str | None = None
    failure_reason: str | None = None
    filename: str | None = None
    user_id: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_uuid(cls, value: str) -> str:
        return parse_file_id(value)

    @property
    def is_ready(self) -> bool:
        """True when a generation may reference the file."""
        return self.state == FileState.READY

    @property
    def is_settled(self) -> bool:
        """True once the file will not change by itself (ready, failed, deleted)."""
        return self.state != FileState.PENDING

    @property
    def expires(self) -> float | None:
        """When the file expires, as a Unix time (None: it does not)."""
        return parse_time(self.expires_at)


class PresignedUpload(_Response):
    """Where to PUT the bytes in the presigned mode: method, URL, headers and its expiry."""

    method: str = "PUT"
    url: str
    headers: dict[str, str] | None = None
    expires_at: str | None = None


class CreateFileResponse(_Response):
    """The reply of `POST /files`: the file, and in the presigned mode where to PUT it."""

    id: str
    state: Annotated[FileState | str, _KNOWN_FIRST]
    file: FileObject
    upload: PresignedUpload | None = None


class FileList(_Response):
    """One page of `GET /files`, newest first; pass `next_cursor` back for the next one."""

    data: list[FileObject]
    has_more: bool = False
    next_cursor: str | None = None
