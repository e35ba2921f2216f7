"""Chaining by generation_id: ownership, completion, media kind, source length, restarts."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import TYPE_CHECKING, Any

from lumatui.sim import SimSettings, create_app
from lumatui.sim.store import SimStore
from tests.sim.conftest import asgi_client
from tests.sim.fakes import mp4_bytes
from tests.sim.helpers import completed, create, finish

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from lumatui.sim import ManualClock, Simulator
    from lumatui.sim.render import MediaBackend


def only_error(reply: httpx.Response) -> dict[str, Any]:
    """The single entry of a 422 detail list."""
    assert reply.status_code == 422, reply.text
    [error] = reply.json()["detail"]
    assert isinstance(error, dict)
    return error


def edit_of(gid: str) -> dict[str, Any]:
    return {"prompt": "make it night", "type": "image_edit", "source": {"generation_id": gid}}


def video_edit_of(gid: str) -> dict[str, Any]:
    return {"prompt": "as a watercolour", "type": "video_edit", "source": {"generation_id": gid}}


async def test_image_edit_chains_off_a_completed_image(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    image = await completed(api, sim, clock)
    edit = await completed(api, sim, clock, **edit_of(image["id"]))
    assert edit["type"] == "image_edit"
    row = sim.store.get(edit["id"])
    assert row is not None and f"outputs/{image['id']}/0.png" in row.plan


async def test_unknown_generation_is_rejected(api: httpx.AsyncClient) -> None:
    error = only_error(await api.post("/generations", json=edit_of(str(uuid.uuid4()))))
    assert error["loc"] == ["body", "source", "generation_id"]


async def test_another_callers_generation_is_rejected_like_an_unknown_one(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    theirs = await completed(other_api, sim, clock)
    error = only_error(await api.post("/generations", json=edit_of(theirs["id"])))
    assert error["loc"] == ["body", "source", "generation_id"]
    assert "no generation" in error["msg"]


async def test_caller_isolation_get_of_another_keys_id_is_404(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    mine = await create(api)
    assert (await other_api.get(f"/generations/{mine['id']}")).status_code == 404
    assert (await api.get(f"/generations/{mine['id']}")).status_code == 200


async def test_a_generation_not_yet_completed_is_rejected(api: httpx.AsyncClient) -> None:
    pending = await create(api)
    error = only_error(await api.post("/generations", json=edit_of(pending["id"])))
    assert "queued" in error["msg"]


async def test_a_failed_generation_is_rejected(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    failed = await create(api, prompt="[fail] a cat")
    assert (await finish(api, sim, clock, failed["id"]))["state"] == "failed"
    error = only_error(await api.post("/generations", json=edit_of(failed["id"])))
    assert "failed" in error["msg"]


async def test_wrong_media_kinds_are_rejected(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    image = await completed(api, sim, clock)
    video = await completed(api, sim, clock, type="video")
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        (edit_of(video["id"]), ["body", "source", "generation_id"]),
        (video_edit_of(image["id"]), ["body", "source", "generation_id"]),
        (
            {"prompt": "x", "type": "video_reframe", "source": {"generation_id": image["id"]}},
            ["body", "source", "generation_id"],
        ),
        (
            {
                "prompt": "x",
                "type": "video",
                "video": {"start_frame": {"generation_id": image["id"]}},
            },
            ["body", "video", "start_frame", "generation_id"],
        ),
        (
            {
                "prompt": "x",
                "type": "video",
                "video": {"end_frame": {"generation_id": image["id"]}},
            },
            ["body", "video", "end_frame", "generation_id"],
        ),
        (
            {"prompt": "x", "image_ref": [{"generation_id": video["id"]}]},
            ["body", "image_ref", 0, "generation_id"],
        ),
        (
            {
                "prompt": "x",
                "type": "video",
                "video": {"keyframes": [{"generation_id": video["id"]}], "keyframe_indexes": [0]},
            },
            ["body", "video", "keyframes", 0, "generation_id"],
        ),
    ]
    for body, loc in cases:
        error = only_error(await api.post("/generations", json=body))
        assert error["loc"] == loc, body
        assert "needed here" in error["msg"]


async def test_video_chains_edit_reframe_and_extend(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    image = await completed(api, sim, clock)
    video = await completed(
        api,
        sim,
        clock,
        type="video",
        video={"keyframes": [{"generation_id": image["id"]}], "keyframe_indexes": [0]},
    )
    await completed(api, sim, clock, **video_edit_of(video["id"]))
    reframe = {"prompt": "x", "type": "video_reframe", "source": {"generation_id": video["id"]}}
    await completed(api, sim, clock, **reframe)
    extend = {
        "prompt": "x",
        "type": "video",
        "video": {"start_frame": {"generation_id": video["id"]}},
    }
    await completed(api, sim, clock, **extend)


async def test_video_edit_source_longer_than_18_s_is_rejected(api: httpx.AsyncClient) -> None:
    def body(seconds: int) -> dict[str, Any]:
        data = base64.b64encode(mp4_bytes(seconds)).decode()
        return {
            "prompt": "x",
            "type": "video_edit",
            "source": {"data": data, "media_type": "video/mp4"},
        }

    error = only_error(await api.post("/generations", json=body(19)))
    assert error["loc"] == ["body", "source", "data"]
    assert "18" in error["msg"]
    assert (await api.post("/generations", json=body(12))).status_code == 201


async def test_video_edit_of_a_stored_video_over_18_s_is_rejected(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    video = await completed(api, sim, clock, type="video")
    sim.store._query("UPDATE generations SET output_duration_s = 20 WHERE id = ?", (video["id"],))
    error = only_error(await api.post("/generations", json=video_edit_of(video["id"])))
    assert "18" in error["msg"]


async def test_state_survives_a_restart_and_chains_off_yesterday(
    tmp_path: Path, clock: ManualClock, media: MediaBackend
) -> None:
    settings = SimSettings.for_tests(tmp_path / "state")
    app, sim = create_app(settings, clock=clock, media=media)
    async with asgi_client(app) as client:
        image = await completed(client, sim, clock)
        pending = await create(client, prompt="still rendering tomorrow")
    await asyncio.to_thread(sim.renderer.wait, pending["id"])
    sim.close()
    # As if the simulator stopped mid-render: the restart must render it again.
    store = SimStore(settings.state_dir / "simulator.db")
    store._query("UPDATE generations SET render_state = 'pending' WHERE id = ?", (pending["id"],))
    store.close()
    output = settings.state_dir / "outputs" / pending["id"] / "0.png"
    output.unlink()

    clock.advance(86_400)
    app, sim = create_app(settings, clock=clock, media=media)
    try:
        async with asgi_client(app) as client:
            again = (await client.get(f"/generations/{image['id']}")).json()
            assert again["state"] == "completed"
            assert (await client.get(again["output"][0]["url"])).status_code == 200
            later = await finish(client, sim, clock, pending["id"])
            assert later["state"] == "completed"
            assert output.is_file()
            await completed(client, sim, clock, **edit_of(image["id"]))
    finally:
        sim.close()
