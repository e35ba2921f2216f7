"""The Files API through an AgentsClient: upload in either mode, complete, get, list, delete.

Uploads are not generations: nothing is paid, so every call here is retried like a GET
(transient failures, Retry-After) and the money rule does not apply. `upload()` picks the
mode: a multipart POST for files up to the inline cap (a setting: Luma publishes no
number), a presigned PUT above it, and a 413 on multipart switches to presigned. The PUT
goes to another origin and never carries the key. `wait_ready()` polls a pending file until
ingest settles and explains a failure. A 404 or 405 on `POST /files` means the API has no
Files API: `FilesUnsupported`, for the caller to fall back to inline data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx
from pydantic import BaseModel, ValidationError

from lumatui.api.enums import MAX_FILE_BYTES, FileState
from lumatui.api.errors import ApiError, MediaTooLarge, ResponseInvalid
from lumatui.api.field_errors import field_errors
from lumatui.api.files import (
    CreateFileResponse,
    FileCreateRequest,
    FileList,
    FileObject,
)
from lumatui.api.replies import read_capped
from lumatui.api.text import clean_text
from lumatui.api.upload import (
    FilesUnsupported,
    UploadExpired,
    UploadFailed,
    UploadInterrupted,
    UploadRefused,
    put_file,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from lumatui.api.client import AgentsClient
    from lumatui.api.enums import FilePurpose

log = logging.getLogger("lumatui.api")

DEFAULT_INLINE_CAP = 10 * 1024 * 1024
"""Files up to this size go as one multipart POST; larger ones by presigned PUT."""
MAX_REPLY_BYTES = 2 * 1024 * 1024
PUT_ATTEMPTS = 3
READY_TIMEOUT_S = 600.0
_UNSUPPORTED = frozenset({404, 405})
Model = TypeVar("Model", bound=BaseModel)


class FilesClient:
    """The Files API of one AgentsClient (same base URL, key, pools and retry policy)."""

    def __init__(
        self,
        client: AgentsClient,
        *,
        inline_cap: int = DEFAULT_INLINE_CAP,
        poll_interval: float = 0.5,
        max_poll_interval: float = 3.0,
    ) -> None:
        self._client = client
        self.inline_cap = inline_cap
        self._poll = (poll_interval, max_poll_interval)

    # -- one call ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        model: type[Model] | None,
        *,
        body: Callable[[], dict[str, Any]] | None = None,
        json_body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        creating: bool = False,
    ) -> Model | None:
        """One Files API call, retried like a GET; the reply parsed as `model` (None: no body)."""
        client = self._client
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = await self._attempt(method, path, body, json_body, params)
            except ApiError as err:
                if creating and err.status in _UNSUPPORTED:
                    raise FilesUnsupported(
                        f"{FilesUnsupported.summary} (HTTP {err.status} on POST /files)",
                        status=err.status,
                        request_id=err.request_id,
                    ) from None
                retries = client._max_get_retries
                delay = client._retry_delay(err, post=False, attempt=attempt, retries=retries)
                if delay is None:
                    raise
                log.info("retrying %s %s in %.2f s (%s)", method, path, delay, type(err).__name__)
                await client._sleep(delay)
                continue
            return None if model is None else self._parse(model, raw)

    async def _attempt(
        self,
        method: str,
        path: str,
        body: Callable[[], dict[str, Any]] | None,
        json_body: dict[str, Any] | None,
        params: dict[str, Any] | None,
    ) -> bytes:
        client = self._client
        request_id = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {client._api_key}", "X-Request-Id": request_id}
        extra = body() if body is not None else {}
        request = client._http.build_request(
            method,
            client.base_url + path,
            json=json_body,
            params=params,
            headers={**headers, **extra.pop("headers", {})},
            **extra,
        )
        started = time.perf_counter()
        outcome = "-"
        try:
            try:
                response = await client._http.send(request, stream=True)
            except httpx.RequestError as exc:
                outcome = type(exc).__name__
                raise client._transport_error(exc, request_id, post=False) from exc
            outcome = str(response.status_code)
            request_id = clean_text(response.headers.get("x-request-id", ""), 100) or request_id
            try:
                if not 200 <= response.status_code < 300:
                    raise await client._status_error(response, request_id, post=False)
                return await read_capped(response, MAX_REPLY_BYTES, request_id)
            finally:
                await response.aclose()
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.debug(
                "%s %s -> %s request_id=%s %.0f ms", method, path, outcome, request_id, elapsed
            )

    def _parse(self, model: type[Model], raw: bytes) -> Model:
        try:
            data = json.loads(raw)
            parsed = model.model_validate(data)
        except (ValueError, RecursionError):
            raise ResponseInvalid("the Files API's reply is not JSON") from None
        except ValidationError as exc:
            fields = field_errors(exc)
            raise ResponseInvalid(
                f"the Files API's reply has an invalid '{fields[0].path}': {fields[0].message}",
                field_errors=fields,
            ) from None
        return _cleaned(parsed, [self._client._api_key])

    # -- the endpoints ----------------------------------------------------------------------

    async def create(self, request: FileCreateRequest) -> CreateFileResponse:
        """`POST /files` with a JSON body: a pending file and where to PUT its bytes."""
        reply = await self._call(
            "POST", "/files", CreateFileResponse, json_body=request.to_json(), creating=True
        )
        assert reply is not None
        return reply

    async def create_inline(
        self,
        data: bytes,
        *,
        mime_type: str,
        filename: str | None = None,
        purpose: FilePurpose | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> CreateFileResponse:
        """`POST /files` as multipart: the bytes go with the request; ingest starts at once."""
        fields = {"mime_type": mime_type, "size_bytes": str(len(data))}
        if purpose is not None:
            fields["purpose"] = str(purpose)
        if filename:
            fields["filename"] = filename
        encoded = httpx.Request(
            "POST",
            "http://x/",
            data=fields,
            files={"file": (filename or "upload", data, mime_type)},
        )
        payload = encoded.read()

        def body() -> dict[str, Any]:
            return {
                "content": _chunks(payload, len(data), on_progress),
                "headers": {
                    "Content-Type": encoded.headers["Content-Type"],
                    "Content-Length": str(len(payload)),
                },
            }

        reply = await self._call("POST", "/files", CreateFileResponse, body=body, creating=True)
        assert reply is not None
        return reply

    async def complete(self, file_id: str) -> FileObject:
        """`POST /files/{id}/complete`: start ingest after a presigned PUT."""
        reply = await self._call("POST", f"/files/{_checked(file_id)}/complete", FileObject)
        assert reply is not None
        return reply

    async def get(self, file_id: str) -> FileObject:
        """`GET /files/{id}`."""
        reply = await self._call("GET", f"/files/{_checked(file_id)}", FileObject)
        assert reply is not None
        return reply

    async def delete(self, file_id: str) -> None:
        """`DELETE /files/{id}` (soft: the file stays readable as deleted)."""
        await self._call("DELETE", f"/files/{_checked(file_id)}", None)

    async def list(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        purpose: FilePurpose | str | None = None,
        state: FileState | str | None = None,
    ) -> FileList:
        """One page of `GET /files`, newest first."""
        params = {"cursor": cursor, "limit": limit, "purpose": purpose, "state": state}
        given = {k: str(v) for k, v in params.items() if v is not None}
        reply = await self._call("GET", "/files", FileList, params=given)
        assert reply is not None
        return reply

    async def iterate(self, *, page_size: int = 100, **filters: Any) -> AsyncIterator[FileObject]:
        """Every file, page after page (`filters`: purpose, state)."""
        cursor: str | None = None
        while True:
            page = await self.list(cursor=cursor, limit=page_size, **filters)
            for file in page.data:
                yield file
            if not page.has_more or not page.next_cursor or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    # -- whole uploads ----------------------------------------------------------------------

    async def upload(
        self,
        path: Path,
        *,
        mime_type: str,
        purpose: FilePurpose | None = None,
        filename: str | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> FileObject:
        """Upload a local file in the right mode; the file as it stands (usually pending)."""
        size = (await asyncio.to_thread(path.stat)).st_size
        if size > MAX_FILE_BYTES:
            raise UploadRefused(
                f"{clean_text(path.name, 80)} is {size} bytes; the Files API takes at most "
                f"{MAX_FILE_BYTES} (5 GiB)"
            )
        name = filename or path.name
        if size <= self.inline_cap:
            data = await asyncio.to_thread(path.read_bytes)
            try:
                created = await self.create_inline(
                    data,
                    mime_type=mime_type,
                    filename=name,
                    purpose=purpose,
                    on_progress=on_progress,
                )
                return created.file
            except MediaTooLarge:
                log.info(
                    "multipart upload of %d bytes refused with 413; using a presigned PUT", size
                )
        return await self._upload_presigned(path, size, mime_type, purpose, name, on_progress)

    async def _upload_presigned(
        self,
        path: Path,
        size: int,
        mime_type: str,
        purpose: FilePurpose | None,
        name: str,
        on_progress: Callable[[int, int], None] | None,
    ) -> FileObject:
        request = FileCreateRequest(
            mime_type=mime_type, size_bytes=size, filename=name[:255], purpose=purpose
        )
        for attempt in range(1, PUT_ATTEMPTS + 1):
            created = await self.create(request)
            if created.upload is None:
                raise ResponseInvalid("the Files API gave no upload link for a presigned upload")
            try:
                await put_file(
                    self._client._downloads,
                    created.upload.url,
                    created.upload.headers,
                    path,
                    size,
                    on_progress=on_progress,
                    allow_insecure_http=self._client._allow_insecure_http,
                )
            except (UploadExpired, UploadInterrupted) as err:
                # Nothing is paid: a fresh file and link is the simplest way to try again.
                if attempt == PUT_ATTEMPTS:
                    raise
                log.info("upload attempt %d failed (%s); starting again", attempt, err)
                continue
            return await self.complete(created.id)
        raise AssertionError("unreachable")

    async def wait_ready(self, file_id: str, *, timeout: float = READY_TIMEOUT_S) -> FileObject:
        """Poll a file until ingest settles: the ready file, or UploadFailed saying why."""
        interval, ceiling = self._poll
        deadline = time.monotonic() + timeout
        while True:
            file = await self.get(file_id)
            if file.state == FileState.READY:
                return file
            if file.state == FileState.FAILED:
                reason = file.failure_reason or "no reason given"
                raise UploadFailed(f"the file {file.id} failed ingest: {reason}")
            if file.state == FileState.DELETED:
                raise UploadFailed(f"the file {file.id} was deleted before it was ready")
            if time.monotonic() + interval > deadline:
                raise UploadFailed(
                    f"the file {file.id} was still {file.state} after {timeout:g} s of ingest"
                )
            await self._client._sleep(interval)
            interval = min(ceiling, interval * 2)


def _checked(file_id: str) -> str:
    """A file id as a canonical UUID before it reaches a URL path."""
    try:
        return str(uuid.UUID(str(file_id).strip()))
    except ValueError:
        shown = clean_text(str(file_id), 60)
        raise ApiError(f"not a file id: {shown!r} (expected a UUID)") from None


async def _chunks(
    payload: bytes, file_size: int, on_progress: Callable[[int, int], None] | None
) -> AsyncIterator[bytes]:
    """A multipart body in 256 KB pieces, progress counted in the file's own bytes."""
    step = 256 * 1024
    total = len(payload)
    for start in range(0, total, step):
        yield payload[start : start + step]
        if on_progress is not None:
            on_progress(min(file_size, (start + step) * file_size // max(1, total)), file_size)


def _cleaned(reply: Model, hide: list[str]) -> Model:
    """Server text in a Files API reply made safe to show and keep."""
    if isinstance(reply, FileObject):
        return cast("Model", _clean_file(reply, hide))
    updates: dict[str, Any] = {}
    for name, value in reply:
        if isinstance(value, FileObject):
            updates[name] = _clean_file(value, hide)
        elif isinstance(value, list) and all(isinstance(v, FileObject) for v in value):
            updates[name] = [_clean_file(v, hide) for v in value]
    return reply.model_copy(update=updates) if updates else reply


def _clean_file(file: FileObject, hide: list[str]) -> FileObject:
    updates: dict[str, Any] = {}
    for name, limit in (("failure_reason", 500), ("filename", 255), ("user_id", 256)):
        value = getattr(file, name)
        if value is not None and clean_text(value, limit, hide=hide) != value:
            updates[name] = clean_text(value, limit, hide=hide)
    for name in ("state", "purpose", "mime_type"):
        value = getattr(file, name)
        if type(value) is str and clean_text(value, 100, hide=hide) != value:
            updates[name] = clean_text(value, 100, hide=hide)
    return file.model_copy(update=updates) if updates else file
