"""Create and GET: the Generation object field for field, and states that follow the clock."""

from __future__ import annotations

import asyncio
import re
import statistics
import uuid
from typing import TYPE_CHECKING

from lumatui.api.enums import GenerationType, Model, VideoDuration, VideoResolution
from lumatui.sim import timing
from tests.sim.helpers import create, finish

if TYPE_CHECKING:
    import httpx

    from lumatui.sim import ManualClock, Simulator

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_create_answers_201_with_exactly_the_reference_fields(
    api: httpx.AsyncClient,
) -> None:
    reply = await api.post("/generations", json={"prompt": "iced coffee on marble"})
    assert reply.status_code == 201
    body = reply.json()
    assert set(body) == {"id", "created_at", "model", "state", "type"}
    assert uuid.UUID(body["id"]).version == 4
    assert ISO_UTC.match(body["created_at"])
    assert (body["model"], body["state"], body["type"]) == ("uni-1", "queued", "image")


async def test_state_moves_with_the_clock_queued_processing_completed(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    created = await create(api, model="uni-1-max", output_format="jpeg", aspect_ratio="16:9")
    gid = created["id"]
    row = sim.store.get(gid)
    assert row is not None

    async def state() -> str:
        reply = await api.get(f"/generations/{gid}")
        assert reply.status_code == 200
        value: str = reply.json()["state"]
        return value

    assert await state() == "queued"
    clock.advance(row.started_at - clock() + 1e-6)
    assert await state() == "processing"
    done = await finish(api, sim, clock, gid)
    assert done["state"] == "completed"
    assert set(done) == {"id", "created_at", "model", "state", "type", "output"}
    assert done["model"] == "uni-1-max"
    [output] = done["output"]
    assert output["type"] == "image"
    assert "/files/" in output["url"] and "signature=" in output["url"]
    assert output["url"].split("?")[0].endswith(".jpg")


async def test_a_late_render_keeps_the_job_processing(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    created = await create(api)
    row = sim.store.get(created["id"])
    assert row is not None
    await asyncio.to_thread(sim.renderer.wait, row.id)
    # Pretend the render has not finished: the job is past its end but still processing.
    sim.store._query("UPDATE generations SET render_state = 'pending' WHERE id = ?", (row.id,))
    clock.advance(row.finish_at - clock() + 1)
    reply = await api.get(f"/generations/{row.id}")
    assert reply.json()["state"] == "processing"


async def test_video_generation_completes_with_an_mp4(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    created = await create(api, type="video", video={"duration": "5s", "resolution": "540p"})
    assert (created["model"], created["type"]) == ("ray-3.2", "video")
    done = await finish(api, sim, clock, created["id"])
    assert done["output"][0]["type"] == "video"
    download = await api.get(done["output"][0]["url"])
    assert download.headers["content-type"] == "video/mp4"
    assert download.content[4:8] == b"ftyp"


def _durations(model: Model, kind: GenerationType, speed: float = 1.0, **kw: object) -> list[float]:
    return [
        timing.schedule(
            model,
            kind,
            seed=7,
            generation_id=f"id-{i}",
            speed=speed,
            **kw,  # type: ignore[arg-type]
        ).total_s
        for i in range(400)
    ]


def test_timing_scales_exactly_with_speed() -> None:
    slow = _durations(Model.UNI_1, GenerationType.IMAGE)
    fast = _durations(Model.UNI_1, GenerationType.IMAGE, speed=100)
    assert all(abs(s / f - 100) < 1e-6 for s, f in zip(slow, fast, strict=True))


def test_timing_is_deterministic_from_seed_and_id() -> None:
    one = timing.schedule(Model.UNI_1, GenerationType.IMAGE, seed=1, generation_id="a", speed=1)
    two = timing.schedule(Model.UNI_1, GenerationType.IMAGE, seed=1, generation_id="a", speed=1)
    three = timing.schedule(Model.UNI_1, GenerationType.IMAGE, seed=2, generation_id="a", speed=1)
    assert one == two != three


def test_timings_per_model_follow_the_docs() -> None:
    uni = _durations(Model.UNI_1, GenerationType.IMAGE)
    assert 25 <= statistics.median(uni) <= 40
    inside = sum(20 <= d <= 65 for d in uni) / len(uni)
    assert inside > 0.85
    assert max(uni) > 70, "a long tail exists"
    uni_max = _durations(Model.UNI_1_MAX, GenerationType.IMAGE)
    assert statistics.median(uni_max) > 1.5 * statistics.median(uni)
    ray = _durations(Model.RAY_3_2, GenerationType.VIDEO)
    assert 60 <= statistics.median(ray) <= 600
    longer = _durations(
        Model.RAY_3_2,
        GenerationType.VIDEO,
        resolution=VideoResolution.P1080,
        duration=VideoDuration.S10,
    )
    assert statistics.median(longer) > 2 * statistics.median(ray)
    for kind in (GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME):
        edit = _durations(Model.RAY_3_2, kind)
        assert 300 <= statistics.median(edit) <= 900
