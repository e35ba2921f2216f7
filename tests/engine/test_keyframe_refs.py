"""Animating an image: its generation_id in keyframes, or, where that is refused, its data."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from lumatui.api.schema import GenerationRequest
from lumatui.engine import actions
from lumatui.engine.jobs import JobState
from lumatui.engine.keyframe_refs import MEMORY_FILE, KeyframeRefs
from lumatui.engine.lineage import Lineage

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from lumatui.api.sending import SendProbe
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

WAIT_S = 60


def spy_posts(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every body the engine POSTs from now on, as sent."""
    sent: list[dict[str, Any]] = []
    original = engine.client.create

    async def create(request: GenerationRequest, *, probe: SendProbe | None = None) -> Any:
        sent.append(request.to_json())
        return await original(request, probe=probe)

    monkeypatch.setattr(engine.client, "create", create)
    return sent


async def finished(engine: Engine, body: dict[str, Any]) -> Job:
    job = await engine.submit(GenerationRequest.model_validate(body))
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
    return done


async def test_an_image_id_accepted_in_keyframes_is_sent_once_as_an_id(
    sim: RunningSimulator, engine_factory: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    image = await finished(engine, {"prompt": "a lighthouse"})
    sent = spy_posts(engine, monkeypatch)
    video = await finished(engine, actions.animate_body(image))
    assert video.state is JobState.COMPLETED
    [body] = sent
    assert body["video"]["keyframes"] == [{"generation_id": image.generation_id}]
    assert not engine.submitter.keyframes.sends_data(engine.client.base_url)


async def test_a_refused_image_id_is_sent_again_at_once_as_the_verified_image(
    sim_factory: Callable[..., RunningSimulator],
    engine_factory: Callable[..., Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory(keyframe_generation_ids=False)
    engine = engine_factory(sim)
    await engine.start()
    image = await finished(engine, {"prompt": "a lighthouse"})
    [output] = engine.store.outputs(image.id)
    assert output.local_path is not None
    sent = spy_posts(engine, monkeypatch)

    video = await finished(engine, actions.animate_body(image))
    assert video.state is JobState.COMPLETED, video.note
    refused, accepted = sent
    assert refused["video"]["keyframes"] == [{"generation_id": image.generation_id}]
    [frame] = accepted["video"]["keyframes"]
    assert frame["media_type"] == "image/png"
    data = base64.b64decode(frame["data"])
    assert hashlib.sha256(data).hexdigest() == output.sha256
    assert accepted["video"]["keyframe_indexes"] == [0]
    assert sim.simulator.store.count() == 2  # the refused POST created nothing

    # The history keeps the "made from" link: the stored request names the image.
    stored = json.loads(video.request_json)
    assert stored["video"]["keyframes"] == [{"generation_id": image.generation_id}]
    assert Lineage(engine.store).ancestors(video) == [image.generation_id]

    # Remembered for this API (across restarts too): the next animation sends data at once.
    memory = engine.store.path.parent / MEMORY_FILE  # type: ignore[union-attr]
    assert json.loads(memory.read_text()) == [engine.client.base_url]
    sent.clear()
    again = await finished(engine, actions.animate_body(image))
    assert again.state is JobState.COMPLETED
    [only] = sent
    assert "data" in only["video"]["keyframes"][0]
    fresh = KeyframeRefs(lambda _gid: None, memory)
    assert fresh.sends_data(engine.client.base_url)


async def test_without_a_verified_local_copy_the_refusal_stands(
    sim_factory: Callable[..., RunningSimulator],
    engine_factory: Callable[..., Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory(keyframe_generation_ids=False)
    engine = engine_factory(sim)
    await engine.start()
    image = await finished(engine, {"prompt": "a lighthouse"})
    [output] = engine.store.outputs(image.id)
    assert output.local_path is not None
    with open(output.local_path, "ab") as changed:  # no longer what was verified
        changed.write(b"\0")
    sent = spy_posts(engine, monkeypatch)
    video = await finished(engine, actions.animate_body(image))
    assert video.state is JobState.REJECTED
    assert video.note and "keyframes" in video.note
    assert len(sent) == 1
    assert not engine.submitter.keyframes.sends_data(engine.client.base_url)


async def test_other_refusals_are_not_sent_again(
    sim_factory: Callable[..., RunningSimulator],
    engine_factory: Callable[..., Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory(keyframe_generation_ids=False)
    engine = engine_factory(sim)
    await engine.start()
    sent = spy_posts(engine, monkeypatch)
    job = await finished(engine, {"prompt": "wide", "aspect_ratio": "21:9"})  # uni-1: no 21:9
    assert job.state is JobState.REJECTED
    assert len(sent) == 1
