"""The simulated Files API over HTTP: both upload modes, ingest, isolation, pages, soft delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from lumatui.sim import SimSettings, create_app
from tests.sim.conftest import asgi_client
from tests.sim.fakes import mp4_bytes, png_bytes

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

    from lumatui.sim import ManualClock, Simulator
    from lumatui.sim.render import MediaBackend


async def upload_inline(
    api: httpx.AsyncClient, data: bytes, mime: str = "image/png", **fields: str
) -> dict[str, Any]:
    """A multipart POST /files that must be accepted."""
    files = {"file": (fields.pop("filename", "a.png"), data, mime)}
    reply = await api.post("/files", files=files, data=fields)
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def upload_presigned(
    app: Starlette, api: httpx.AsyncClient, data: bytes, mime: str = "image/png", **extra: Any
) -> dict[str, Any]:
    """JSON POST /files, PUT the bytes without a key, then complete; returns the file."""
    created = await api.post("/files", json={"mime_type": mime, "size_bytes": len(data), **extra})
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    async with asgi_client(app, key=None) as anonymous:
        put = await anonymous.put(upload["url"], content=data, headers=upload["headers"])
    assert put.status_code == 200, put.text
    done = await api.post(f"/files/{created.json()['id']}/complete")
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


async def ready(api: httpx.AsyncClient, clock: ManualClock, file_id: str) -> dict[str, Any]:
    """Move the clock past ingest and read the file."""
    clock.advance(60)
    reply = await api.get(f"/files/{file_id}")
    assert reply.status_code == 200
    body: dict[str, Any] = reply.json()
    return body


async def test_multipart_upload_is_pending_then_ready(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    created = await upload_inline(api, png_bytes(), purpose="reference", filename="cat.png")
    assert created["upload"] is None
    assert created["state"] == created["file"]["state"] == "pending"
    file = created["file"]
    assert (file["mime_type"], file["purpose"], file["filename"]) == (
        "image/png",
        "reference",
        "cat.png",
    )
    assert file["size_bytes"] == len(png_bytes())
    assert (await ready(api, clock, created["id"]))["state"] == "ready"


async def test_multipart_checks_size_and_parts(
    sim_settings: SimSettings, clock: ManualClock, media: MediaBackend
) -> None:
    app, sim = create_app(
        sim_settings.with_changes(max_multipart_bytes=1000), clock=clock, media=media
    )
    try:
        async with asgi_client(app) as api:
            big = await api.post("/files", files={"file": ("a.png", b"x" * 70_000, "image/png")})
            assert big.status_code == 413
            assert "presigned" in big.json()["detail"]
            over = await api.post("/files", files={"file": ("a.png", b"x" * 1500, "image/png")})
            assert over.status_code == 413
            wrong = await api.post(
                "/files",
                files={"file": ("a.png", png_bytes(), "image/png")},
                data={"size_bytes": "3"},
            )
            assert wrong.status_code == 400
            assert wrong.json()["detail"][0]["loc"] == ["body", "size_bytes"]
            none = await api.post("/files", files={"other": ("a.png", b"1", "image/png")})
            assert none.status_code == 400
    finally:
        sim.close()


async def test_presigned_upload_round_trip(
    sim_app: tuple[Starlette, Simulator], api: httpx.AsyncClient, clock: ManualClock
) -> None:
    app, sim = sim_app
    data = mp4_bytes(2)
    file = await upload_presigned(app, api, data, "video/mp4", filename="clip.mp4")
    assert file["state"] == "pending"
    assert (await ready(api, clock, file["id"]))["state"] == "ready"
    assert sim.files.bytes_path(file["id"]).read_bytes() == data


async def test_presigned_put_is_checked_like_an_object_store(
    sim_app: tuple[Starlette, Simulator], api: httpx.AsyncClient, clock: ManualClock
) -> None:
    app, _ = sim_app
    data = png_bytes()
    created = (
        await api.post("/files", json={"mime_type": "image/png", "size_bytes": len(data)})
    ).json()
    upload, file_id = created["upload"], created["id"]
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "image/png"}
    early = await api.post(f"/files/{file_id}/complete")
    assert early.status_code == 409
    async with asgi_client(app, key=None) as anonymous:
        with_key = await anonymous.put(
            upload["url"], content=data, headers={**upload["headers"], "Authorization": "Bearer k"}
        )
        assert with_key.status_code == 400 and b"InvalidArgument" in with_key.content
        other_type = await anonymous.put(
            upload["url"], content=data, headers={"Content-Type": "image/jpeg"}
        )
        assert other_type.status_code == 403 and b"SignatureDoesNotMatch" in other_type.content
        tampered = await anonymous.put(upload["url"] + "0", content=data, headers=upload["headers"])
        assert tampered.status_code == 403
        short = await anonymous.put(upload["url"], content=data[:-1], headers=upload["headers"])
        assert short.status_code == 400 and b"IncompleteBody" in short.content
        clock.advance(3601)
        expired = await anonymous.put(upload["url"], content=data, headers=upload["headers"])
        assert expired.status_code == 403 and b"Request has expired" in expired.content


@pytest.mark.parametrize(
    ("data", "mime", "filename", "reason"),
    [
        (png_bytes(), "image/png", "x [fail-ingest].png", "ingest failed"),
        (b"<html>no</html>", "image/png", "page.png", "not an image or a video"),
        (png_bytes(), "video/mp4", "still.mp4", "mime_type says video/mp4"),
    ],
)
async def test_ingest_failures_are_explained(
    api: httpx.AsyncClient, clock: ManualClock, data: bytes, mime: str, filename: str, reason: str
) -> None:
    created = await upload_inline(api, data, mime, filename=filename)
    file = await ready(api, clock, created["id"])
    assert file["state"] == "failed"
    assert reason in file["failure_reason"]


async def test_files_are_private_to_their_key(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    created = await upload_inline(api, png_bytes())
    assert (await other_api.get(f"/files/{created['id']}")).status_code == 404
    assert (await other_api.delete(f"/files/{created['id']}")).status_code == 404
    assert (await other_api.post(f"/files/{created['id']}/complete")).status_code == 404
    assert (await other_api.get("/files")).json()["data"] == []
    assert (await api.get("/files/not-a-uuid")).status_code == 404


async def test_list_pages_newest_first_with_filters(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    ids = []
    for i in range(5):
        purpose = "reference" if i % 2 else "input"
        ids.append((await upload_inline(api, png_bytes(), purpose=purpose))["id"])
        clock.advance(1)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/files", params=params)).json()
        seen += [f["id"] for f in page["data"]]
        pages += 1
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == ids[::-1] and pages == 3
    references = (await api.get("/files", params={"purpose": "reference"})).json()["data"]
    assert [f["id"] for f in references] == [ids[3], ids[1]]
    clock.advance(60)
    assert len((await api.get("/files", params={"state": "ready"})).json()["data"]) == 5
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"state": "gone"}, {"cursor": "zz"}):
        reply = await api.get("/files", params=bad)
        assert reply.status_code == 400, bad


async def test_delete_is_soft_and_final(api: httpx.AsyncClient, clock: ManualClock) -> None:
    created = await upload_inline(api, png_bytes())
    await ready(api, clock, created["id"])
    assert (await api.delete(f"/files/{created['id']}")).status_code == 204
    assert (await api.delete(f"/files/{created['id']}")).status_code == 204
    file = (await api.get(f"/files/{created['id']}")).json()
    assert file["state"] == "deleted" and file["deleted_at"]
    assert (await api.get("/files")).json()["data"] == []
    deleted = (await api.get("/files", params={"state": "deleted"})).json()["data"]
    assert [f["id"] for f in deleted] == [created["id"]]
    used = await api.post(
        "/generations",
        json={"prompt": "x", "type": "image_edit", "source": {"file_id": created["id"]}},
    )
    assert used.status_code == 422
    assert "was deleted" in used.json()["detail"][0]["msg"]


async def test_expiry_is_respected(api: httpx.AsyncClient, clock: ManualClock) -> None:
    from datetime import UTC, datetime

    def at(offset: float) -> str:
        return datetime.fromtimestamp(clock() + offset, UTC).isoformat()

    past = await api.post(
        "/files", json={"mime_type": "image/png", "size_bytes": 10, "expires_at": at(-5)}
    )
    assert past.status_code == 400
    created = await upload_inline(api, png_bytes(), expires_at=at(120))
    assert (await ready(api, clock, created["id"]))["state"] == "ready"
    clock.advance(120)
    assert (await api.get(f"/files/{created['id']}")).json()["state"] == "deleted"


async def test_json_body_is_strict_and_size_capped(
    sim_settings: SimSettings, clock: ManualClock, media: MediaBackend
) -> None:
    app, sim = create_app(sim_settings.with_changes(max_file_bytes=1000), clock=clock, media=media)
    try:
        async with asgi_client(app) as api:
            for body in (
                {"mime_type": "image/png", "size_bytes": "10"},
                {"mime_type": "image/png"},
                {"mime_type": "png", "size_bytes": 10},
                {"mime_type": "image/png", "size_bytes": 10, "purpose": "other"},
                {"mime_type": "image/png", "size_bytes": 10, "colour": "red"},
            ):
                assert (await api.post("/files", json=body)).status_code == 400, body
            big = await api.post("/files", json={"mime_type": "video/mp4", "size_bytes": 1001})
            assert big.status_code == 413
    finally:
        sim.close()


async def test_other_keys_file_cannot_be_referenced(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: ManualClock
) -> None:
    created = await upload_inline(api, png_bytes())
    await ready(api, clock, created["id"])
    reply = await other_api.post(
        "/generations", json={"prompt": "x", "image_ref": [{"file_id": created["id"]}]}
    )
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "image_ref", 0, "file_id"]
    assert "no file" in reply.json()["detail"][0]["msg"]
