"""Luma's own SDK (0.5), unchanged, on the simulator: Files API, file_id, layering, web search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import luma_agents
import pytest
from luma_agents.types import CreateFileResponse, ImageRefParam, VideoOptionsParam

from tests.sim.fakes import mp4_bytes, png_bytes

if TYPE_CHECKING:
    from lumatui.sim import RunningSimulator

POLLS = 200


@pytest.fixture
def sdk(running_sim: RunningSimulator) -> luma_agents.Luma:
    """Luma's client on the simulator, no retries (a retried POST would hide a bug)."""
    return luma_agents.Luma(auth_token="luma-api-sdk", base_url=running_sim.base_url, max_retries=0)


def wait_file(sdk: luma_agents.Luma, file_id: str) -> Any:
    """Poll GET /files/{id} until the file leaves pending."""
    file = sdk.files.get(file_id)
    for _ in range(POLLS):
        if file.state != "pending":
            break
        file = sdk.files.get(file_id)
    return file


def wait_generation(sdk: luma_agents.Luma, running: RunningSimulator, gid: str) -> Any:
    """Poll until the generation is finished (renders are awaited, never slept for)."""
    generation = sdk.generations.get(gid)
    for _ in range(POLLS):
        if generation.state in ("completed", "failed"):
            break
        running.wait_rendered(gid)
        generation = sdk.generations.get(gid)
    return generation


def upload_multipart(sdk: luma_agents.Luma, data: bytes, mime: str, name: str) -> Any:
    """The multipart mode: the SDK's generic post with a `file` part (its create has no bytes)."""
    return sdk.post(
        "/files",
        cast_to=CreateFileResponse,
        body={"purpose": "reference", "filename": name},
        files=[("file", (name, data, mime))],
        options={"headers": {"Content-Type": "multipart/form-data"}},
    )


def upload_presigned(sdk: luma_agents.Luma, data: bytes, mime: str, name: str) -> Any:
    """The presigned mode: files.create (JSON), a plain PUT with the given headers, complete."""
    created = sdk.files.create(mime_type=mime, size_bytes=len(data), filename=name, purpose="input")
    assert created.upload is not None and created.upload.method == "PUT"
    assert created.state == "pending"
    put = httpx.put(created.upload.url, content=data, headers=created.upload.headers or {})
    assert put.status_code == 200, put.text
    completed = sdk.files.complete(created.id)
    assert completed.id == created.id
    return created


def test_sdk_uploads_in_both_modes_and_reads_them_back(sdk: luma_agents.Luma) -> None:
    inline = upload_multipart(sdk, png_bytes(), "image/png", "still.png")
    assert inline.upload is None and inline.file.filename == "still.png"
    assert inline.file.purpose == "reference" and inline.file.size_bytes == len(png_bytes())
    presigned = upload_presigned(sdk, mp4_bytes(2), "video/mp4", "clip.mp4")
    assert wait_file(sdk, inline.id).state == "ready"
    clip = wait_file(sdk, presigned.id)
    assert (clip.state, clip.mime_type, clip.purpose) == ("ready", "video/mp4", "input")
    assert clip.created_at.tzinfo is not None


def test_sdk_lists_pages_and_deletes(sdk: luma_agents.Luma) -> None:
    ids = [upload_multipart(sdk, png_bytes(), "image/png", f"{i}.png").id for i in range(5)]
    seen: list[str] = []
    page = sdk.files.list(limit=2)
    pages = 1
    seen += [f.id for f in page.data]
    while page.has_more:
        assert page.next_cursor
        page = sdk.files.list(limit=2, cursor=page.next_cursor)
        seen += [f.id for f in page.data]
        pages += 1
    assert pages == 3 and seen == ids[::-1]
    assert [f.id for f in sdk.files.list(purpose="input").data] == []
    sdk.files.delete(ids[0])
    assert sdk.files.get(ids[0]).state == "deleted"
    assert ids[0] not in [f.id for f in sdk.files.list(limit=100).data]
    assert [f.id for f in sdk.files.list(state="deleted").data] == [ids[0]]
    with pytest.raises(luma_agents.NotFoundError):
        sdk.files.get("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
    with pytest.raises(luma_agents.BadRequestError):
        sdk.files.list(limit=101)


def test_sdk_refuses_are_typed(sdk: luma_agents.Luma, running_sim: RunningSimulator) -> None:
    other = luma_agents.Luma(
        auth_token="someone-else", base_url=running_sim.base_url, max_retries=0
    )
    mine = upload_multipart(sdk, png_bytes(), "image/png", "a.png")
    with pytest.raises(luma_agents.NotFoundError):
        other.files.get(mine.id)
    with pytest.raises(luma_agents.APIStatusError) as too_big:
        sdk.files.create(mime_type="video/mp4", size_bytes=6 * 1024**3)
    assert too_big.value.status_code == 413
    with pytest.raises(luma_agents.UnprocessableEntityError):
        sdk.generations.create(prompt="x", image_ref=[{"data": "!!", "media_type": "image/png"}])


def test_sdk_file_id_in_every_place(sdk: luma_agents.Luma, running_sim: RunningSimulator) -> None:
    still = wait_file(sdk, upload_multipart(sdk, png_bytes(), "image/png", "s.png").id)
    clip = wait_file(sdk, upload_presigned(sdk, mp4_bytes(2), "video/mp4", "c.mp4").id)
    ref: ImageRefParam = {"file_id": still.id}
    start: VideoOptionsParam = {"start_frame": ref}
    keys: VideoOptionsParam = {"keyframes": [ref], "keyframe_indexes": [0]}
    jobs = [
        sdk.generations.create(prompt="an edit", type="image_edit", source=ref, image_ref=[ref]),
        sdk.generations.create(prompt="refs", image_ref=[ref, ref]),
        sdk.generations.create(prompt="i2v", type="video", video=start),
        sdk.generations.create(prompt="keys", type="video", video=keys),
        sdk.generations.create(prompt="v2v", type="video_edit", source={"file_id": clip.id}),
    ]
    for job in jobs:
        assert wait_generation(sdk, running_sim, job.id).state == "completed", job.type


def test_sdk_layering_and_web_search(sdk: luma_agents.Luma, running_sim: RunningSimulator) -> None:
    still = wait_file(sdk, upload_multipart(sdk, png_bytes(64, 48), "image/png", "s.png").id)
    job = sdk.generations.create(
        prompt="split the lamp and the chair",
        type="layering",
        source={"file_id": still.id},
        layering={"resolution": "1k"},
        web_search=True,
    )
    assert job.type == "layering"
    done = wait_generation(sdk, running_sim, job.id)
    assert done.state == "completed" and done.output is not None and len(done.output) >= 3
    layers = [o.layer for o in done.output]
    assert all(layer is not None for layer in layers)
    assert [layer.index for layer in layers if layer] == list(range(len(layers)))
    assert layers[-1] is not None and layers[-1].alpha_hint == "none"
    for output in done.output:
        assert httpx.get(output.url).content[:4] == b"\x89PNG"
    searched = sdk.generations.create(prompt="today's skyline", web_search=True)
    assert wait_generation(sdk, running_sim, searched.id).state == "completed"
    with pytest.raises(luma_agents.BadRequestError):
        sdk.generations.create(prompt="x", type="video", web_search=True)
