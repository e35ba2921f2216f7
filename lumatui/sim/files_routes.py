"""The Files API's HTTP face: `/v1/files...` routes and the presigned `PUT /uploads/{id}`.

`POST /v1/files` picks its mode by Content-Type, as Luma's does: `multipart/form-data`
carries the bytes in a `file` part (capped before parsing), `application/json` asks for a
presigned PUT. The PUT endpoint behaves like an object store: no Authorization header
(a request carrying one is refused, as S3 refuses two auth mechanisms), the signature covers
the path, the expiry and the Content-Type, the body must be exactly `size_bytes` long and is
streamed to disk, and errors are XML.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lumatui.sim.errors import ApiError
from lumatui.sim.files import UPLOAD_PREFIX

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.types import Message

    from lumatui.sim.service import Simulator

MAX_FORM_FIELDS = 20
SMALL_FIELD_BYTES = 64 * 1024


def _xml(code: str, message: str, status: int, request_id: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return Response(body, status, media_type="application/xml")


def file_routes(
    sim: Simulator,
    caller: Callable[[Request], str],
    fault: Callable[[Simulator, Request], Awaitable[str | None]],
    shape: Callable[[int, dict[str, Any], str | None, dict[str, str]], Response],
) -> list[Route]:
    """The routes of the Files API for `sim`, using the app's caller, fault and reply helpers."""
    files = sim.files

    async def guarded(
        request: Request, work: Callable[[str], Awaitable[tuple[int, dict[str, Any] | None]]]
    ) -> Response:
        drawn: str | None = None
        try:
            who = caller(request)
            drawn = await fault(sim, request)
            status, body = await work(who)
        except ApiError as error:
            return shape(error.status, {"detail": error.detail}, drawn, error.headers)
        if body is None:
            return Response(status_code=status)
        return shape(status, body, drawn, {})

    async def create_file(request: Request) -> Response:
        """POST /v1/files, multipart or JSON."""
        origin = str(request.base_url).rstrip("/")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()

        async def work(who: str) -> tuple[int, dict[str, Any]]:
            if kind == "multipart/form-data":
                return 201, await _create_inline(request, who)
            if kind not in ("application/json", ""):
                raise ApiError(
                    415, "Send application/json (presigned upload) or multipart/form-data."
                )
            return 201, files.create_presigned(who, await request.body(), origin)

        return await guarded(request, work)

    async def _create_inline(request: Request, who: str) -> dict[str, Any]:
        limit = sim.settings.max_multipart_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + SMALL_FIELD_BYTES:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit + SMALL_FIELD_BYTES:
                raise _too_large(limit)
            chunks.append(chunk)
        form_data, part, part_type = await _parse_form(request, b"".join(chunks))
        if part is None:
            raise ApiError(
                400, [{"loc": ["body", "file"], "msg": "is required", "type": "missing"}]
            )
        if len(part) > limit:
            raise _too_large(limit)
        return files.create_inline(who, part, form_data, part_type)

    async def upload_put(request: Request) -> Response:
        """PUT /uploads/{file_id}: the presigned upload of a file's bytes."""
        request_id = request.state.request_id
        file_id = request.path_params["file_id"]
        if "authorization" in request.headers:
            return _xml(
                "InvalidArgument",
                "Only one auth mechanism allowed; the presigned URL already carries one, "
                "so send no Authorization header.",
                400,
                request_id,
            )
        row = files.upload_target(file_id)
        if row is None:
            return _xml("NoSuchUpload", "The specified upload does not exist.", 404, request_id)
        expires = request.query_params.get("expires")
        problem = sim.signer.check(
            request.url.path,
            expires,
            request.query_params.get("signature"),
            sim.clock(),
            request.headers.get("content-type", ""),
        )
        if problem == "expired":
            return _xml("AccessDenied", "Request has expired", 403, request_id)
        if problem:
            return _xml(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided "
                "(the Content-Type must be the one given in the upload headers).",
                403,
                request_id,
            )
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            return _xml(
                "MissingContentLength", "You must provide the Content-Length.", 411, request_id
            )
        if int(length) != row.size_bytes:
            return _xml(
                "IncompleteBody",
                f"Content-Length is {length}; the upload was declared as {row.size_bytes} bytes.",
                400,
                request_id,
            )
        target = files.bytes_path(file_id)
        partial = target.with_suffix(".part")
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        try:
            with partial.open("wb") as handle:
                async for chunk in request.stream():
                    received += len(chunk)
                    if received > row.size_bytes:
                        break
                    digest.update(chunk)
                    handle.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if received != row.size_bytes:
            partial.unlink(missing_ok=True)
            return _xml(
                "IncompleteBody",
                f"Received {received} bytes; the upload was declared as {row.size_bytes}.",
                400,
                request_id,
            )
        os.replace(partial, target)
        files.mark_received(file_id)
        return Response(status_code=200, headers={"ETag": f'"{digest.hexdigest()}"'})

    async def complete(request: Request) -> Response:
        """POST /v1/files/{file_id}/complete."""
        file_id = request.path_params["file_id"]

        async def work(who: str) -> tuple[int, dict[str, Any]]:
            import asyncio

            return 200, await asyncio.to_thread(files.complete, who, file_id)

        return await guarded(request, work)

    async def one_file(request: Request) -> Response:
        """GET or DELETE /v1/files/{file_id}."""
        file_id = request.path_params["file_id"]

        async def work(who: str) -> tuple[int, dict[str, Any] | None]:
            if request.method == "DELETE":
                files.delete(who, file_id)
                return 204, None
            return 200, files.get(who, file_id)

        return await guarded(request, work)

    async def list_files(request: Request) -> Response:
        """GET /v1/files."""

        async def work(who: str) -> tuple[int, dict[str, Any]]:
            return 200, files.list(who, dict(request.query_params))

        return await guarded(request, work)

    return [
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", one_file, methods=["GET", "DELETE"]),
        Route("/v1/files/{file_id}/complete", complete, methods=["POST"]),
        Route(UPLOAD_PREFIX + "{file_id}", upload_put, methods=["PUT"]),
    ]


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"Input media exceeds the size limit: a multipart upload may carry at most {limit} "
        "bytes; create the file with a JSON body for a presigned upload instead.",
    )


async def _parse_form(
    request: Request, raw: bytes
) -> tuple[dict[str, str], bytes | None, str | None]:
    """The text fields, the `file` part's bytes and its Content-Type, from a buffered body."""
    from starlette.datastructures import UploadFile

    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    again = Request(request.scope, replay)
    try:
        form = await again.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    except Exception as exc:  # the multipart parser's own errors: a malformed body
        raise ApiError(400, f"The multipart body could not be read: {exc}") from None
    fields: dict[str, str] = {}
    part: bytes | None = None
    part_type: str | None = None
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name != "file":
                    raise ApiError(400, f"Unexpected file part {name!r}; send the bytes as 'file'.")
                part = await value.read()
                part_type = value.content_type
                fields.setdefault("filename", value.filename or "")
                if not fields["filename"]:
                    del fields["filename"]
            else:
                fields[name] = value
    finally:
        await form.close()
    return fields, part, part_type
