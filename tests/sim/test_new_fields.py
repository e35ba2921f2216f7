"""Generations with today's fields: file_id everywhere, web_search, layering, strict types, 422s."""

from __future__ import annotations

import base64
import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image

from tests.sim.fakes import mp4_bytes, png_bytes
from tests.sim.helpers import completed, create, finish

if TYPE_CHECKING:
    from lumatui.sim import ManualClock, Simulator


async def ready_file(
    api: httpx.AsyncClient, clock: ManualClock, data: bytes, mime: str = "image/png"
) -> str:
    """Upload inline and wait out ingest; the file id."""
    reply = await api.post("/files", files={"file": ("f", data, mime)})
    assert reply.status_code == 201, reply.text
    clock.advance(60)
    file_id: str = reply.json()["id"]
    assert (await api.get(f"/files/{file_id}")).json()["state"] == "ready"
    return file_id


async def fetch(api: httpx.AsyncClient, url: str) -> bytes:
    """An output's bytes through the same in-process app (the URL is presigned)."""
    transport = api._transport  # the ASGI transport of the fixture's client
    async with httpx.AsyncClient(transport=transport) as plain:
        reply = await plain.get(url)
    assert reply.status_code == 200
    return reply.content


async def test_file_id_everywhere_an_image_ref_is(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    red = await ready_file(api, clock, png_bytes(colour=(220, 20, 20)))
    blue = await ready_file(api, clock, png_bytes(colour=(20, 20, 220)))
    clip = await ready_file(api, clock, mp4_bytes(3), "video/mp4")
    bodies: list[dict[str, Any]] = [
        {"type": "image_edit", "source": {"file_id": red}, "image_ref": [{"file_id": blue}]},
        {"image_ref": [{"file_id": red}, {"file_id": blue}]},
        {"type": "video", "video": {"start_frame": {"file_id": red}}},
        {"type": "video", "video": {"keyframes": [{"file_id": red}], "keyframe_indexes": [0]}},
        {"type": "video_edit", "source": {"file_id": clip}},
        {"type": "video_reframe", "source": {"file_id": clip}, "aspect_ratio": "9:16"},
        {
            "type": "video_edit",
            "source": {"file_id": clip},
            "video": {"edit": {"keyframes": [{"file_id": blue}], "keyframe_indexes": [0]}},
        },
    ]
    for body in bodies:
        done = await completed(api, sim, clock, **body)
        assert done["output"], body
    row = sim.store.get(done["id"])
    assert row is not None and row.output_duration_s == 3


@pytest.mark.parametrize(
    ("place", "want"),
    [
        ({"type": "video_edit", "source": "IMAGE"}, "a video is needed"),
        ({"type": "image_edit", "source": "VIDEO"}, "an image is needed"),
        ({"image_ref": ["VIDEO"]}, "an image is needed"),
    ],
)
async def test_file_of_the_wrong_kind_is_422(
    api: httpx.AsyncClient, clock: ManualClock, place: dict[str, Any], want: str
) -> None:
    files = {
        "IMAGE": await ready_file(api, clock, png_bytes()),
        "VIDEO": await ready_file(api, clock, mp4_bytes(2), "video/mp4"),
    }

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        return {"file_id": files[value]} if value in files else value

    body = {"prompt": "x", **{k: fill(v) for k, v in place.items()}}
    reply = await api.post("/generations", json=body)
    assert reply.status_code == 422, reply.text
    assert want in reply.json()["detail"][0]["msg"]


async def test_pending_file_is_422(api: httpx.AsyncClient) -> None:
    created = (await api.post("/files", files={"file": ("f", png_bytes(), "image/png")})).json()
    reply = await api.post(
        "/generations", json={"prompt": "x", "image_ref": [{"file_id": created["id"]}]}
    )
    assert reply.status_code == 422
    assert "pending" in reply.json()["detail"][0]["msg"]


async def test_long_video_file_is_refused_for_video_edit(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    clip = await ready_file(api, clock, mp4_bytes(19), "video/mp4")
    reply = await api.post(
        "/generations", json={"prompt": "x", "type": "video_edit", "source": {"file_id": clip}}
    )
    assert reply.status_code == 422
    assert "18 s or less" in reply.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"type": None}, ["body", "type"]),
        ({"model": None}, ["body", "model"]),
        ({"style": None}, ["body", "style"]),
        ({"image_ref": None}, ["body", "image_ref"]),
        ({"web_search": None}, ["body", "web_search"]),
        ({"web_search": "true"}, ["body", "web_search"]),
        ({"web_search": 1}, ["body", "web_search"]),
        (
            {
                "type": "video",
                "video": {
                    "keyframes": [{"url": "https://a.test/k.png"}],
                    "keyframe_indexes": ["12"],
                },
            },
            ["body", "video", "keyframe_indexes", 0],
        ),
        ({"type": "video", "video": {"loop": "true"}}, ["body", "video", "loop"]),
        (
            {"layering": {"resolution": "4k"}, "type": "layering"},
            ["body", "layering", "resolution"],
        ),
        ({"image_ref": [{"file_id": "not-a-uuid"}]}, ["body", "image_ref", 0, "file_id"]),
    ],
)
async def test_strict_types_are_400(
    api: httpx.AsyncClient, body: dict[str, Any], loc: list[Any]
) -> None:
    reply = await api.post("/generations", json={"prompt": "x", **body})
    assert reply.status_code == 400, reply.text
    assert loc in [item["loc"] for item in reply.json()["detail"]]


async def test_nullable_fields_still_take_null(api: httpx.AsyncClient) -> None:
    body = {"prompt": "x", "aspect_ratio": None, "source": None, "video": None, "user_id": None}
    assert (await create(api, **body))["state"] == "queued"


@pytest.mark.parametrize(
    "ref",
    [
        {"data": "not base64!!", "media_type": "image/png"},
        {"data": "data:image/png;base64,AAAA", "media_type": "image/png"},
    ],
)
async def test_bad_media_data_is_422(api: httpx.AsyncClient, ref: dict[str, str]) -> None:
    reply = await api.post("/generations", json={"prompt": "x", "image_ref": [ref]})
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"][0]["loc"] == ["body", "image_ref", 0, "data"]


async def test_web_search_is_visible_in_the_output(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    from lumatui.sim.media import ImageJob
    from lumatui.sim.media.image import render_image

    searched = await completed(
        api, sim, clock, prompt="a red bicycle", aspect_ratio="1:1", web_search=True
    )
    served = Image.open(io.BytesIO(await fetch(api, searched["output"][0]["url"])))
    assert served.size[0] > 0
    # The mark alone differs: compared within one variant, since each generation of a
    # request varies its picture (runs differ).
    job = ImageJob(
        prompt="a red bicycle",
        kind="image",
        aspect_ratio="1:1",
        output_format="png",
        style=None,
        seed=0,
        long_side=256,
        variant=7,
    )
    a = Image.open(io.BytesIO(render_image(job))).convert("RGB")
    b = Image.open(io.BytesIO(render_image(replace(job, web_search=True)))).convert("RGB")
    corner = (0, 0, a.width // 4, a.height // 4)
    assert a.crop(corner).tobytes() != b.crop(corner).tobytes()
    rest = (a.width // 2, a.height // 2, a.width, a.height * 3 // 4)
    assert a.crop(rest).tobytes() == b.crop(rest).tobytes()
    refused = await api.post(
        "/generations", json={"prompt": "x", "type": "video", "web_search": True}
    )
    assert refused.status_code == 400


async def test_layering_renders_rgba_layers_front_to_back(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    source = await completed(api, sim, clock, prompt="a cat in a hat", aspect_ratio="3:2")
    body = {
        "prompt": "separate the cat and the hat",
        "type": "layering",
        "source": {"generation_id": source["id"]},
        "layering": {"resolution": "2k"},
    }
    done = await completed(api, sim, clock, **body)
    outputs = done["output"]
    assert len(outputs) >= 3
    layers = [o["layer"] for o in outputs]
    assert [layer["index"] for layer in layers] == list(range(len(outputs)))
    assert layers[0]["label"] == "cat" and layers[1]["label"] == "hat"
    assert layers[-1]["alpha_hint"] == "none" and layers[-1]["label"] == "background"
    assert {layer["alpha_hint"] for layer in layers[:-1]} <= {"soft", "hard"}
    images = [Image.open(io.BytesIO(await fetch(api, o["url"]))) for o in outputs]
    assert all(image.format == "PNG" and image.mode == "RGBA" for image in images)
    assert images[0].width > images[0].height  # the source's 3:2 shape
    for front in images[:-1]:
        low, high = front.getchannel("A").getextrema()
        assert (low, high) == (0, 255)
    assert images[-1].getchannel("A").getextrema() == (255, 255)
    composite = images[-1].copy()
    for front in reversed(images[:-1]):
        composite.alpha_composite(front)
    original = Image.open(io.BytesIO(await fetch(api, source["output"][0]["url"]))).convert("RGB")
    original = original.resize(composite.size)
    centre = (
        composite.width // 3,
        composite.height // 3,
        composite.width * 2 // 3,
        composite.height * 2 // 3,
    )
    diff = [
        abs(x - y)
        for x, y in zip(
            composite.convert("RGB").crop(centre).tobytes(),
            original.crop(centre).tobytes(),
            strict=True,
        )
    ]
    assert sum(diff) / len(diff) < 8


async def test_layering_rules(api: httpx.AsyncClient, sim: Simulator, clock: ManualClock) -> None:
    image = await completed(api, sim, clock, prompt="a cat")
    src = {"generation_id": image["id"]}
    for body, loc in (
        ({"type": "layering"}, ["body", "source"]),
        ({"type": "layering", "source": src, "model": "uni-1-max"}, ["body", "model"]),
        ({"type": "layering", "source": src, "prompt": "x" * 501}, ["body", "prompt"]),
        ({"type": "layering", "source": src, "output_format": "jpeg"}, ["body", "output_format"]),
        ({"layering": {"resolution": "1k"}}, ["body", "layering"]),
    ):
        reply = await api.post("/generations", json={"prompt": "x", **body})
        assert reply.status_code == 400, body
        assert loc in [item["loc"] for item in reply.json()["detail"]], reply.text
    one_k = await create(api, prompt="split it", type="layering", source=src)
    done = await finish(api, sim, clock, one_k["id"])
    assert done["state"] == "completed" and len(done["output"]) >= 3


async def test_inline_data_still_works(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    data = base64.b64encode(png_bytes()).decode()
    done = await completed(api, sim, clock, image_ref=[{"data": data, "media_type": "image/png"}])
    assert done["output"]
