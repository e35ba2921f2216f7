"""Chaining actions: each body follows Luma's chaining rules, and each refusal says why."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.capabilities import aspect_ratios, server_problems
from lumatui.api.enums import AspectRatio, Model
from lumatui.api.schema import Generation, GenerationRequest
from lumatui.engine.actions import (
    ActionNotPossible,
    animate_body,
    branch_body,
    edit_body,
    extend_body,
    nearest_ratio,
    reframe_body,
    rerun_request,
    rerun_warning,
)
from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from tests.sim.conftest import api, clock, media, sim, sim_app, sim_settings
from tests.sim.helpers import create, finish

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import httpx

    from lumatui.engine.jobs import Job
    from lumatui.sim import ManualClock, Simulator

__all__ = ["api", "clock", "media", "sim", "sim_app", "sim_settings"]  # the simulator's fixtures


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    """A fresh store for each test."""
    with JobStore.open(tmp_path / "lumatui.db") as opened:
        yield opened


@pytest.fixture
def make(store: JobStore) -> Callable[..., Job]:
    """Record a request and take it to `state` (completed by default) with a server id."""

    def build(state: str = "completed", *, sent: bool = True, **body: Any) -> Job:
        """A job in `state`; `sent=False` leaves it without a server id."""
        request = GenerationRequest.model_validate({"prompt": "a red fox", **body})
        job = store.record_submission(request)
        if not sent:
            return job
        generation = Generation.model_validate(
            {
                "id": str(uuid.uuid4()),
                "created_at": "2026-01-01T00:00:00Z",
                "model": str(request.effective_model),
                "state": "queued",
                "type": str(request.effective_type),
            }
        )
        store.mark_submitted(job.id, generation)
        if state != "queued":
            final = generation.model_copy(update={"state": state})
            store.record_state(job.id, final)
        return store.get(job.id)

    return build


def filled(body: dict[str, Any], prompt: str = "now in watercolour") -> GenerationRequest:
    """The body validated the way the composer will once the user types a prompt."""
    request = GenerationRequest.model_validate({**body, "prompt": body["prompt"] or prompt})
    assert server_problems(request) == []
    return request


def test_edit_an_image_keeps_its_look(make: Callable[..., Job]) -> None:
    image = make(model="uni-1-max", aspect_ratio="3:2", style="manga", output_format="jpeg")
    body = edit_body(image)
    assert body == {
        "type": "image_edit",
        "model": "uni-1-max",
        "prompt": "",
        "source": {"generation_id": image.generation_id},
        "aspect_ratio": "3:2",
        "style": "manga",
        "output_format": "jpeg",
    }
    filled(body)


def test_edit_a_video_is_a_video_edit(make: Callable[..., Job]) -> None:
    video = make(type="video", video={"duration": "10s"})
    body = edit_body(video)
    assert body["type"] == "video_edit"
    assert body["source"] == {"generation_id": video.generation_id}
    assert body["prompt"] == ""
    filled(body)


def test_animate_an_image_pins_it_as_the_first_keyframe(make: Callable[..., Job]) -> None:
    image = make(aspect_ratio="16:9")
    body = animate_body(image)
    assert body == {
        "type": "video",
        "model": "ray-3.2",
        "prompt": "a red fox",
        "aspect_ratio": "16:9",
        "video": {
            "keyframes": [{"generation_id": image.generation_id}],
            "keyframe_indexes": [0],
            "duration": "5s",
        },
    }
    filled(body)


@pytest.mark.parametrize(
    ("image_ratio", "video_ratio"),
    [("3:2", "4:3"), ("2:1", "16:9"), ("1:2", "9:16"), ("3:1", "21:9"), ("1:1", "1:1")],
)
def test_animate_picks_the_nearest_ratio_ray_makes(
    make: Callable[..., Job], image_ratio: str, video_ratio: str
) -> None:
    body = animate_body(make(aspect_ratio=image_ratio))
    assert body["aspect_ratio"] == video_ratio
    filled(body)


def test_animate_without_a_ratio_lets_the_model_choose(make: Callable[..., Job]) -> None:
    body = animate_body(make())
    assert "aspect_ratio" not in body
    filled(body)


def test_extend_continues_the_video_with_its_settings(make: Callable[..., Job]) -> None:
    video = make(
        type="video", aspect_ratio="9:16", video={"duration": "10s", "resolution": "1080p"}
    )
    body = extend_body(video)
    assert body == {
        "type": "video",
        "model": "ray-3.2",
        "prompt": "a red fox",
        "aspect_ratio": "9:16",
        "video": {
            "start_frame": {"generation_id": video.generation_id},
            "duration": "10s",
            "resolution": "1080p",
        },
    }
    filled(body)


def test_reframe_turns_landscape_to_portrait_and_back(make: Callable[..., Job]) -> None:
    landscape = make(type="video", aspect_ratio="16:9")
    body = reframe_body(landscape)
    assert body == {
        "type": "video_reframe",
        "model": "ray-3.2",
        "prompt": "a red fox",
        "source": {"generation_id": landscape.generation_id},
        "aspect_ratio": "9:16",
    }
    filled(body)
    portrait = make(type="video", aspect_ratio="9:16")
    assert reframe_body(portrait)["aspect_ratio"] == "16:9"
    assert reframe_body(make(type="video"))["aspect_ratio"] == "9:16"  # default 16:9 source
    assert reframe_body(landscape, source_size=(360, 640))["aspect_ratio"] == "16:9"
    assert reframe_body(landscape, "21:9")["aspect_ratio"] == "21:9"


def test_reframe_drops_1080p_for_a_portrait_target(make: Callable[..., Job]) -> None:
    video = make(type="video", aspect_ratio="16:9", video={"resolution": "1080p"})
    body = reframe_body(video)
    assert "video" not in body
    filled(body)
    square = reframe_body(video, "1:1")
    assert square["video"] == {"resolution": "1080p"}
    filled(square)


def test_rerun_and_branch_use_the_stored_request(make: Callable[..., Job]) -> None:
    job = make("failed", model="uni-1", aspect_ratio="2:3", image_ref=[{"url": "https://e.com/a"}])
    request = rerun_request(job)
    assert request.to_json() == {
        "prompt": "a red fox",
        "model": "uni-1",
        "aspect_ratio": "2:3",
        "image_ref": [{"url": "https://e.com/a"}],
    }
    assert branch_body(job) == request.to_json()
    assert rerun_warning(job) is None


def test_rerun_warns_about_an_uncertain_job(store: JobStore, make: Callable[..., Job]) -> None:
    job = make(sent=False)
    uncertain = store.mark_local(job.id, JobState.UNCERTAIN, "timed out")
    warning = rerun_warning(uncertain)
    assert warning is not None and "second, paid job" in warning
    assert rerun_request(uncertain).prompt == "a red fox"


def test_a_damaged_stored_request_is_refused(make: Callable[..., Job]) -> None:
    job = make()
    broken = type(job)(**{**job.__dict__, "request_json": '{"prompt": ""}'})
    with pytest.raises(ActionNotPossible, match="no longer validates"):
        rerun_request(broken)
    garbage = type(job)(**{**job.__dict__, "request_json": "not json"})
    with pytest.raises(ActionNotPossible, match="damaged"):
        branch_body(garbage)


@pytest.mark.parametrize(
    ("action", "kind", "message"),
    [
        (animate_body, "video", "already a video"),
        (extend_body, "image", "animate it"),
        (reframe_body, "image", "only a video can be reframed"),
    ],
)
def test_actions_refuse_the_wrong_media(
    make: Callable[..., Job], action: Callable[[Job], dict[str, Any]], kind: str, message: str
) -> None:
    with pytest.raises(ActionNotPossible, match=message):
        action(make(type=kind))


@pytest.mark.parametrize("action", [edit_body, animate_body, extend_body, reframe_body])
@pytest.mark.parametrize("state", ["queued", "processing", "failed"])
def test_actions_need_a_completed_job(
    make: Callable[..., Job], action: Callable[[Job], dict[str, Any]], state: str
) -> None:
    kind = "image" if action in (edit_body, animate_body) else "video"
    with pytest.raises(ActionNotPossible, match=f"Only a completed job.*is {state}"):
        action(make(state, type=kind))


@pytest.mark.parametrize("action", [edit_body, animate_body, extend_body, reframe_body])
def test_actions_need_a_server_id(
    make: Callable[..., Job], action: Callable[[Job], dict[str, Any]]
) -> None:
    kind = "image" if action in (edit_body, animate_body) else "video"
    with pytest.raises(ActionNotPossible, match="no server id"):
        action(make(type=kind, sent=False))


def test_reframe_refuses_a_ratio_ray_does_not_make(make: Callable[..., Job]) -> None:
    video = make(type="video")
    with pytest.raises(ActionNotPossible, match="cannot reframe to 3:1"):
        reframe_body(video, "3:1")
    with pytest.raises(ActionNotPossible, match="not an aspect ratio"):
        reframe_body(video, "5:4")


def test_nearest_ratio_keeps_an_allowed_one() -> None:
    allowed = aspect_ratios(Model.RAY_3_2)
    assert nearest_ratio(AspectRatio.R_4_3, allowed) is AspectRatio.R_4_3
    assert nearest_ratio(AspectRatio.R_2_3, allowed) is AspectRatio.R_3_4


async def test_every_body_chains_on_the_simulator(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock, store: JobStore
) -> None:
    """Luma's chaining rules, as the simulator enforces them, accept every body built here."""

    async def run(body: dict[str, Any]) -> Job:
        request = filled(body)
        created = await create(api, **request.to_json())
        done = await finish(api, sim, clock, created["id"])
        assert done["state"] == "completed", done
        job = store.record_submission(request)
        store.mark_submitted(job.id, Generation.model_validate(created))
        store.record_state(job.id, Generation.model_validate(done))
        return store.get(job.id)

    image = await run({"prompt": "a red fox", "aspect_ratio": "3:2"})
    await run(edit_body(image))
    video = await run(animate_body(image))
    await run(extend_body(video))
    await run(reframe_body(video))
    await run(edit_body(video))
