"""Synchronous errors: 400 and 422 lists with field paths, and the string-detail statuses."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.sim import SimSettings, create_app
from tests.sim.conftest import asgi_client
from tests.sim.fakes import png_bytes

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from lumatui.sim.render import MediaBackend

URL = "https://example.com/cat.png"
VIDEO_SRC = {"url": "https://example.com/clip.mp4", "media_type": "video/mp4"}


def locs(reply: httpx.Response) -> list[list[Any]]:
    """The loc of every error in a 400/422 detail list."""
    detail = reply.json()["detail"]
    assert isinstance(detail, list)
    for item in detail:
        assert set(item) >= {"loc", "msg"} and item["msg"]
        assert item["loc"][0] == "body"
    return [item["loc"] for item in detail]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"prompt": ""}, ["body", "prompt"]),
        ({"prompt": "x" * 6001}, ["body", "prompt"]),
        ({}, ["body", "prompt"]),
        ({"prompt": "x", "model": "uni-2"}, ["body", "model"]),
        ({"prompt": "x", "aspect_ratio": "5:4"}, ["body", "aspect_ratio"]),
        ({"prompt": "x", "colour": "red"}, ["body", "colour"]),
        ({"prompt": "x", "type": "image_edit"}, ["body", "source"]),
        ({"prompt": "x", "source": {"url": URL, "data": "AAAA"}}, ["body", "source"]),
        ({"prompt": "x", "image_ref": [{"data": "AAAA"}]}, ["body", "image_ref", 0, "media_type"]),
        ({"prompt": "x", "image_ref": [{"url": URL}] * 10}, ["body", "image_ref", 9]),
        ({"prompt": "x", "type": "video", "model": "uni-1"}, ["body", "model"]),
        ({"prompt": "x", "type": "video", "video": {"hdr": "maybe"}}, ["body", "video", "hdr"]),
        (
            {
                "prompt": "x",
                "type": "video",
                "video": {"keyframes": [{"url": URL}] * 3, "keyframe_indexes": [0, 10, 500]},
            },
            ["body", "video", "keyframe_indexes", 2],
        ),
        (
            {"prompt": "x", "type": "video", "video": {"loop": True, "duration": "10s"}},
            ["body", "video", "loop"],
        ),
        (
            {"prompt": "x", "type": "video_reframe", "source": {"url": URL}},
            ["body", "source", "media_type"],
        ),
        (
            {"prompt": "x", "type": "video", "video": {"exr_export": True}},
            ["body", "video", "exr_export"],
        ),
    ],
)
async def test_invalid_parameters_are_400_with_the_field_path(
    api: httpx.AsyncClient, body: dict[str, Any], loc: list[Any]
) -> None:
    reply = await api.post("/generations", json=body)
    assert reply.status_code == 400, reply.text
    assert loc in locs(reply)


async def test_malformed_json_and_non_objects_are_400(api: httpx.AsyncClient) -> None:
    reply = await api.post("/generations", content=b"{not json")
    assert reply.status_code == 400
    assert locs(reply) == [["body"]]
    reply = await api.post("/generations", json=[1, 2])
    assert reply.status_code == 400
    assert locs(reply) == [["body"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"prompt": "x", "aspect_ratio": "4:3"}, ["body", "aspect_ratio"]),
        ({"prompt": "x", "type": "video", "aspect_ratio": "3:1"}, ["body", "aspect_ratio"]),
        (
            {"prompt": "x", "type": "video", "video": {"hdr": True, "resolution": "540p"}},
            ["body", "video", "resolution"],
        ),
        (
            {
                "prompt": "x",
                "type": "video_reframe",
                "aspect_ratio": "9:16",
                "source": VIDEO_SRC,
                "video": {"resolution": "1080p"},
            },
            ["body", "video", "resolution"],
        ),
    ],
)
async def test_rejected_combinations_are_422_with_the_field_path(
    api: httpx.AsyncClient, body: dict[str, Any], loc: list[Any]
) -> None:
    reply = await api.post("/generations", json=body)
    assert reply.status_code == 422, reply.text
    assert locs(reply) == [loc]


async def test_landscape_reframe_at_1080p_is_accepted(api: httpx.AsyncClient) -> None:
    body = {
        "prompt": "x",
        "type": "video_reframe",
        "aspect_ratio": "16:9",
        "source": VIDEO_SRC,
        "video": {"resolution": "1080p"},
    }
    reply = await api.post("/generations", json=body)
    assert reply.status_code == 201, reply.text


async def test_hdr_without_access_and_reframe_not_rolled_out_are_422(
    tmp_path: Path, media: MediaBackend
) -> None:
    settings = SimSettings.for_tests(tmp_path, hdr_access=False, reframe_1080p=False)
    app, sim = create_app(settings, media=media)
    try:
        async with asgi_client(app) as client:
            hdr = {"prompt": "x", "type": "video", "video": {"hdr": True, "resolution": "720p"}}
            reply = await client.post("/generations", json=hdr)
            assert reply.status_code == 422
            assert locs(reply) == [["body", "video", "hdr"]]
            reframe = {
                "prompt": "x",
                "type": "video_reframe",
                "aspect_ratio": "16:9",
                "source": VIDEO_SRC,
                "video": {"resolution": "1080p"},
            }
            reply = await client.post("/generations", json=reframe)
            assert reply.status_code == 422
            assert "coming soon" in reply.json()["detail"][0]["msg"]
    finally:
        sim.close()


async def test_inline_media_over_the_limit_is_413(tmp_path: Path, media: MediaBackend) -> None:
    app, sim = create_app(SimSettings.for_tests(tmp_path, max_inline_bytes=1000), media=media)
    try:
        async with asgi_client(app) as client:
            data = base64.b64encode(b"\x89PNG" + bytes(2000)).decode()
            body = {"prompt": "x", "image_ref": [{"data": data, "media_type": "image/png"}]}
            reply = await client.post("/generations", json=body)
            assert reply.status_code == 413
            detail = reply.json()["detail"]
            assert isinstance(detail, str) and "image_ref[0]" in detail
    finally:
        sim.close()


async def test_a_video_where_an_image_belongs_is_422(api: httpx.AsyncClient) -> None:
    from tests.sim.fakes import mp4_bytes

    data = base64.b64encode(mp4_bytes(2)).decode()
    body = {"prompt": "x", "image_ref": [{"data": data, "media_type": "image/png"}]}
    reply = await api.post("/generations", json=body)
    assert reply.status_code == 422
    assert locs(reply) == [["body", "image_ref", 0, "data"]]


async def test_inline_png_is_accepted(api: httpx.AsyncClient) -> None:
    data = base64.b64encode(png_bytes()).decode()
    body = {
        "prompt": "x",
        "type": "image_edit",
        "source": {"data": data, "media_type": "image/png"},
    }
    reply = await api.post("/generations", json=body)
    assert reply.status_code == 201, reply.text


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic abc", "Bearer"])
async def test_missing_or_malformed_bearer_is_401(
    sim_app: tuple[Any, Any], header: str | None
) -> None:
    async with asgi_client(sim_app[0], key=None) as client:
        headers = {"Authorization": header} if header is not None else {}
        for reply in (
            await client.post("/generations", json={"prompt": "x"}, headers=headers),
            await client.get("/generations/182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", headers=headers),
        ):
            assert reply.status_code == 401
            assert isinstance(reply.json()["detail"], str)


async def test_suspended_key_is_403(sim_app: tuple[Any, Any]) -> None:
    async with asgi_client(sim_app[0], key="luma-api-suspended-1") as client:
        reply = await client.post("/generations", json={"prompt": "x"})
        assert reply.status_code == 403
        assert isinstance(reply.json()["detail"], str)


@pytest.mark.parametrize(
    "gid", ["not-a-uuid", "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", "..%2F..%2Fetc"]
)
async def test_unknown_or_malformed_ids_are_404(api: httpx.AsyncClient, gid: str) -> None:
    reply = await api.get(f"/generations/{gid}")
    assert reply.status_code == 404
    assert isinstance(reply.json()["detail"], str)


async def test_unknown_routes_answer_json(api: httpx.AsyncClient) -> None:
    reply = await api.get("/nowhere")
    assert reply.status_code == 404
    assert reply.json() == {"detail": "Not Found"}
    reply = await api.delete("/generations/182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
    assert reply.status_code == 405
