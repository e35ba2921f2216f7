"""The simulated Files API: uploads in two modes, ingest, listing, soft delete, and file_id lookups.

- Multipart `POST /files` carries the bytes (up to `max_multipart_bytes`, else 413); ingest
  starts at once. JSON `POST /files` describes the bytes (up to `max_file_bytes`, else 413)
  and answers with a presigned PUT (HMAC signature, `upload_url_ttl_s` expiry) on this
  server, outside /v1, that takes no Authorization header; `complete` starts ingest.
- Ingest probes the bytes (the same probe as inline media) and takes `file_ingest_s`: the
  file is `pending`, then `ready`, or `failed` with a reason: bytes that are no image or
  video, bytes of another kind than `mime_type` says, or `[fail-ingest]` in the filename.
- Each key sees only its own files (another key's id is 404, like an unknown one).
  `DELETE` is soft: the file stays readable as `deleted` and can no longer be referenced.
  A file past its `expires_at` is deleted by itself.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lumatui.api.enums import FilePurpose, FileState
from lumatui.api.files import DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, FileCreateRequest
from lumatui.sim.errors import ApiError, field_error, validation_detail
from lumatui.sim.file_store import FileRow, FileTable

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.sim.clock import Clock
    from lumatui.sim.render import MediaBackend
    from lumatui.sim.settings import SimSettings
    from lumatui.sim.signing import UrlSigner
    from lumatui.sim.store import SimStore

FILE_NOT_FOUND = "File not found."
FAIL_MARKER = "[fail-ingest]"
UPLOAD_PREFIX = "/uploads/"


def iso(ts: float | None) -> str | None:
    """A Unix time as ISO-8601 UTC with milliseconds and a Z (None stays None)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SimFiles:
    """The Files API's state and rules, transport-free (the routes live in files_routes)."""

    def __init__(
        self,
        settings: SimSettings,
        store: SimStore,
        signer: UrlSigner,
        clock: Clock,
        media: MediaBackend,
    ) -> None:
        self.settings = settings
        self.table = FileTable(store)
        self.signer = signer
        self.clock = clock
        self.media = media
        self.folder = settings.state_dir / "uploads"
        self.folder.mkdir(parents=True, exist_ok=True)

    def bytes_path(self, file_id: str) -> Path:
        """Where a file's bytes are kept."""
        return self.folder / f"{file_id}.bin"

    # -- creating ---------------------------------------------------------------------------

    def create_presigned(self, caller: str, body: bytes, origin: str) -> dict[str, Any]:
        """JSON `POST /files`: a pending file and where to PUT its bytes."""
        request = self._parse_create(body)
        now = self.clock()
        self._check_size(request.size_bytes, self.settings.max_file_bytes, "a file")
        expires = self._expiry(request)
        file_id = str(uuid.uuid4())
        put_expires = now + self.settings.upload_url_ttl_s
        row = FileRow(
            id=file_id,
            caller=caller,
            created_at=now,
            mime_type=request.mime_type,
            purpose=(request.purpose or FilePurpose.INPUT).value,
            size_bytes=request.size_bytes,
            filename=request.filename,
            user_id=request.user_id,
            expires_at=expires,
            deleted_at=None,
            presigned=True,
            upload_expires_at=put_expires,
            received=False,
            ready_at=None,
            failure_reason=None,
            kind=None,
            duration_s=None,
        )
        self.table.insert(row)
        path = UPLOAD_PREFIX + file_id
        signed = self.signer.sign_until(path, int(put_expires), request.mime_type)
        upload = {
            "method": "PUT",
            "url": origin + signed,
            "headers": {"Content-Type": request.mime_type},
            "expires_at": iso(put_expires),
        }
        file = self.file_json(row)
        return {"id": file_id, "state": file["state"], "file": file, "upload": upload}

    def create_inline(
        self, caller: str, data: bytes, fields: dict[str, str], part_type: str | None
    ) -> dict[str, Any]:
        """Multipart `POST /files`: the bytes are here, ingest starts at once."""
        given: dict[str, Any] = {k: v for k, v in fields.items() if k != "file"}
        given.setdefault("mime_type", part_type or "application/octet-stream")
        if "size_bytes" in given:
            text = str(given["size_bytes"]).strip()
            if not text.isdigit() or int(text) != len(data):
                detail = f"is {text!r} but the file part holds {len(data)} bytes"
                raise ApiError(400, [field_error(("size_bytes",), detail)])
        given["size_bytes"] = len(data)
        if not data:
            raise ApiError(400, [field_error(("file",), "is empty")])
        request = self._validated(given)
        now = self.clock()
        file_id = str(uuid.uuid4())
        self.bytes_path(file_id).write_bytes(data)
        row = FileRow(
            id=file_id,
            caller=caller,
            created_at=now,
            mime_type=request.mime_type,
            purpose=(request.purpose or FilePurpose.INPUT).value,
            size_bytes=len(data),
            filename=request.filename,
            user_id=request.user_id,
            expires_at=self._expiry(request),
            deleted_at=None,
            presigned=False,
            upload_expires_at=None,
            received=True,
            ready_at=None,
            failure_reason=None,
            kind=None,
            duration_s=None,
        )
        self.table.insert(row)
        file = self.file_json(self._ingest(row))
        return {"id": file_id, "state": file["state"], "file": file, "upload": None}

    def _parse_create(self, body: bytes) -> FileCreateRequest:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(
                400, [field_error((), f"is not valid JSON: {exc}", "json_invalid")]
            ) from None
        if not isinstance(data, dict):
            raise ApiError(400, [field_error((), "must be a JSON object")])
        return self._validated(data)

    @staticmethod
    def _validated(data: dict[str, Any]) -> FileCreateRequest:
        try:
            return FileCreateRequest.model_validate(data)
        except ValidationError as exc:
            raise ApiError(400, validation_detail(exc)) from None

    def _check_size(self, size: int, limit: int, what: str) -> None:
        if size > limit:
            raise ApiError(
                413,
                f"Input media exceeds the size limit: {what} may be at most {limit} bytes "
                f"(this is {size}).",
            )

    def _expiry(self, request: FileCreateRequest) -> float | None:
        if request.expires_at is None:
            return None
        when = request.expires_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        ts = when.timestamp()
        if ts <= self.clock():
            raise ApiError(400, [field_error(("expires_at",), "must be in the future")])
        return ts

    # -- the presigned PUT and complete ----------------------------------------------------

    def upload_target(self, file_id: str) -> FileRow | None:
        """The file a presigned PUT is for, if it still waits for its bytes."""
        row = self.table.get(file_id)
        if row is None or not row.presigned or row.gone_at(self.clock()) is not None:
            return None
        return row

    def mark_received(self, file_id: str) -> None:
        """The PUT stored every byte."""
        self.table.update(file_id, received=1)

    def complete(self, caller: str, file_id: str) -> dict[str, Any]:
        """`POST /files/{id}/complete`: start ingest of a presigned upload (idempotent)."""
        row = self._own(caller, file_id)
        if row.gone_at(self.clock()) is not None:
            raise ApiError(409, "This file was deleted; upload it again.")
        if row.ready_at is None:
            if not row.received:
                raise ApiError(
                    409,
                    "No bytes have been uploaded for this file yet: PUT them to the upload URL, "
                    "then call complete.",
                )
            row = self._ingest(row)
        return self.file_json(row)

    def _ingest(self, row: FileRow) -> FileRow:
        """Probe the bytes now; the file becomes ready (or failed) after the ingest delay."""
        from lumatui.sim.media import MediaTooLarge, UndecodableMedia, UnsupportedMedia

        reason: str | None = None
        kind: str | None = None
        duration: float | None = None
        if FAIL_MARKER in (row.filename or "").lower():
            reason = f"ingest failed (simulated: {FAIL_MARKER} in the filename)"
        else:
            try:
                info = self.media.probe(self.bytes_path(row.id).read_bytes())
            except MediaTooLarge:
                reason = "the image is too large to decode"
            except UnsupportedMedia:
                reason = "the bytes are not an image or a video format"
            except UndecodableMedia:
                reason = "the bytes could not be decoded"
            else:
                kind, duration = info.kind, info.duration_s
                declared = row.mime_type.split("/")[0]
                if declared != info.kind:
                    reason = f"the bytes are {info.mime}, but mime_type says {row.mime_type}"
        ready_at = self.clock() + self.settings.file_ingest_s / self.settings.speed
        self.table.update(
            row.id, ready_at=ready_at, failure_reason=reason, kind=kind, duration_s=duration
        )
        updated = self.table.get(row.id)
        assert updated is not None
        return updated

    # -- reading, listing, deleting --------------------------------------------------------

    def _own(self, caller: str, file_id: str) -> FileRow:
        try:
            canonical = str(uuid.UUID(file_id))
        except ValueError:
            raise ApiError(404, FILE_NOT_FOUND) from None
        row = self.table.get(canonical)
        if row is None or row.caller != caller:
            raise ApiError(404, FILE_NOT_FOUND)
        return row

    def get(self, caller: str, file_id: str) -> dict[str, Any]:
        """`GET /files/{id}`."""
        return self.file_json(self._own(caller, file_id))

    def delete(self, caller: str, file_id: str) -> None:
        """`DELETE /files/{id}`: soft delete (again is harmless); the bytes are dropped."""
        row = self._own(caller, file_id)
        if row.gone_at(self.clock()) is None:
            self.table.update(row.id, deleted_at=self.clock())
        self.bytes_path(row.id).unlink(missing_ok=True)

    def list(self, caller: str, params: dict[str, str]) -> dict[str, Any]:
        """`GET /files?cursor&limit&purpose&state`: keyset pages, newest first."""
        limit = self._limit(params.get("limit"))
        purpose = self._choice(params, "purpose", FilePurpose)
        state = self._choice(params, "state", FileState)
        after = self._cursor(params.get("cursor"))
        now = self.clock()
        found: list[FileRow] = []
        while len(found) <= limit:
            batch = self.table.page(caller, after=after, limit=200)
            if not batch:
                break
            for row in batch:
                row_state = row.state_at(now)
                # Deleted files are listed only when asked for by state.
                wanted = row_state == state if state else row_state is not FileState.DELETED
                if wanted and (purpose is None or row.purpose == purpose):
                    found.append(row)
            after = (batch[-1].created_at, batch[-1].id)
        page, more = found[:limit], len(found) > limit
        cursor = None
        if more:
            last = page[-1]
            raw = json.dumps([last.created_at, last.id]).encode()
            cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {
            "data": [self.file_json(row) for row in page],
            "has_more": more,
            "next_cursor": cursor,
        }

    @staticmethod
    def _limit(text: str | None) -> int:
        if text is None:
            return DEFAULT_LIST_LIMIT
        if not text.strip().isdigit() or not 1 <= int(text) <= MAX_LIST_LIMIT:
            detail = f"must be a whole number from 1 to {MAX_LIST_LIMIT} (got {text!r})"
            raise ApiError(400, [{"loc": ["query", "limit"], "msg": detail, "type": "limit"}])
        return int(text)

    @staticmethod
    def _choice(
        params: dict[str, str], name: str, enum: type[FilePurpose] | type[FileState]
    ) -> str | None:
        value = params.get(name)
        if value is None:
            return None
        allowed = [str(v) for v in enum]
        if value not in allowed:
            detail = f"must be one of {', '.join(allowed)} (got {value!r})"
            raise ApiError(400, [{"loc": ["query", name], "msg": detail, "type": "enum"}])
        return value

    @staticmethod
    def _cursor(text: str | None) -> tuple[float, str] | None:
        if not text:
            return None
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            created, last_id = json.loads(raw)
            return float(created), str(uuid.UUID(str(last_id)))
        except (ValueError, TypeError):
            detail = "is not a cursor from a previous page's next_cursor"
            raise ApiError(
                400, [{"loc": ["query", "cursor"], "msg": detail, "type": "cursor"}]
            ) from None

    def file_json(self, row: FileRow) -> dict[str, Any]:
        """The File object as the API returns it, at the current time."""
        now = self.clock()
        state = row.state_at(now)
        return {
            "id": row.id,
            "created_at": iso(row.created_at),
            "mime_type": row.mime_type,
            "purpose": row.purpose,
            "size_bytes": row.size_bytes,
            "state": state.value,
            "deleted_at": iso(row.gone_at(now)),
            "expires_at": iso(row.expires_at),
            "failure_reason": row.failure_reason if state is FileState.FAILED else None,
            "filename": row.filename,
            "user_id": row.user_id,
        }

    # -- generations referencing files ----------------------------------------------------

    def usable(self, caller: str, file_id: str) -> tuple[FileRow | None, str | None]:
        """The file a generation may use, or the reason it may not (same words for unknown)."""
        row = self.table.get(file_id)
        if row is None or row.caller != caller:
            return None, f"no file {file_id} for this API key"
        state = row.state_at(self.clock())
        if state is not FileState.READY:
            why = {
                FileState.PENDING: "is still pending; wait until it is ready",
                FileState.FAILED: f"failed ingest ({row.failure_reason})",
                FileState.DELETED: "was deleted",
            }[state]
            return None, f"file {file_id} {why}"
        return row, None
