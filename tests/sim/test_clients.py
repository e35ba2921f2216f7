"""Real clients over real loopback HTTP: lumatui's AgentsClient and Luma's own SDK, unchanged."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import luma_agents
import pytest

from lumatui.api.client import AgentsClient
from lumatui.api.errors import InvalidRequest, NotFound, RejectedCombination
from lumatui.api.schema import GenerationRequest

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.sim import RunningSimulator

POLLS = 200


async def test_agents_client_creates_polls_and_downloads(
    running_sim: RunningSimulator, tmp_path: Path
) -> None:
    async with AgentsClient("luma-api-client-test", running_sim.base_url) as client:
        created = await client.create(GenerationRequest(prompt="a paper boat", aspect_ratio="3:2"))
        assert created.state == "queued"
        generation = created
        for _ in range(POLLS):
            await asyncio.to_thread(running_sim.wait_rendered, created.id)
            generation = await client.get(created.id)
            if generation.is_terminal:
                break
        assert generation.state == "completed"
        assert generation.output is not None
        dest = tmp_path / "out.png"
        written = await client.download(generation.output[0].url, dest)
        assert written == dest.stat().st_size > 0
        assert dest.read_bytes()[:4] == b"\x89PNG"


async def test_agents_client_maps_errors_and_field_paths(running_sim: RunningSimulator) -> None:
    async with AgentsClient("luma-api-client-test", running_sim.base_url) as client:
        with pytest.raises(RejectedCombination) as rejected:
            await client.create(GenerationRequest(prompt="x", aspect_ratio="4:3"))
        assert [e.path for e in rejected.value.field_errors] == ["aspect_ratio"]
        with pytest.raises(NotFound):
            await client.get("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")


class _UncheckedRequest(GenerationRequest):
    """A request whose JSON carries a value the local schema would have refused."""

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "type": "video", "video": {"hdr": "maybe"}}


async def test_agents_client_sees_400_field_errors(running_sim: RunningSimulator) -> None:
    async with AgentsClient("luma-api-client-test", running_sim.base_url) as client:
        with pytest.raises(InvalidRequest) as invalid:
            await client.create(_UncheckedRequest(prompt="x"))
        assert [e.path for e in invalid.value.field_errors] == ["video.hdr"]


def _wait_completed(client: Any, running: RunningSimulator, gid: str) -> Any:
    generation = client.generations.get(gid)
    for _ in range(POLLS):
        if generation.state in ("completed", "failed"):
            break
        running.wait_rendered(gid)
        generation = client.generations.get(gid)
    return generation


def test_luma_sdk_works_unchanged(
    running_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LUMA_BASE_URL", running_sim.base_url)
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", "any-key-at-all")
    client = luma_agents.Luma()
    created = client.generations.create(prompt="A glass of iced coffee on a marble countertop")
    assert (created.state, created.model, created.type) == ("queued", "uni-1", "image")
    done = _wait_completed(client, running_sim, created.id)
    assert done.state == "completed"
    image = httpx.get(done.output[0].url)
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    (tmp_path / "sdk.png").write_bytes(image.content)

    with pytest.raises(luma_agents.BadRequestError) as bad:
        client.generations.create(prompt="")
    assert bad.value.status_code == 400
    with pytest.raises(luma_agents.UnprocessableEntityError):
        client.generations.create(prompt="x", aspect_ratio="4:3")
    with pytest.raises(luma_agents.NotFoundError):
        client.generations.get("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
    with pytest.raises(luma_agents.AuthenticationError):
        client.generations.create(prompt="x", extra_headers={"Authorization": "Basic eA=="})


def test_luma_sdk_chains_an_edit(running_sim: RunningSimulator) -> None:
    client = luma_agents.Luma(auth_token="k", base_url=running_sim.base_url, max_retries=0)
    first = _wait_completed(client, running_sim, client.generations.create(prompt="a cat").id)
    edit = client.generations.create(
        prompt="the cat in a hat", type="image_edit", source={"generation_id": first.id}
    )
    assert _wait_completed(client, running_sim, edit.id).state == "completed"
