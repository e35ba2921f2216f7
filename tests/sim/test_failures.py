"""Every failure_code can be produced on purpose, by a prompt marker or by a real cause."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.enums import FailureCode
from lumatui.sim import SimSettings, create_app
from lumatui.sim.outcomes import MARKERS, REASONS
from tests.sim.conftest import asgi_client
from tests.sim.fakes import png_bytes
from tests.sim.helpers import create, finish

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from lumatui.sim import ManualClock, Simulator
    from lumatui.sim.render import MediaBackend


def test_every_failure_code_has_a_marker_and_a_reason() -> None:
    assert set(MARKERS.values()) == set(FailureCode)
    assert set(REASONS) == set(FailureCode)


@pytest.mark.parametrize(("marker", "code"), sorted(MARKERS.items()))
async def test_prompt_markers_fail_the_job(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock, marker: str, code: FailureCode
) -> None:
    created = await create(api, prompt=f"a red fox {marker.upper()}")
    assert created["state"] == "queued"
    done = await finish(api, sim, clock, created["id"])
    assert done["state"] == "failed"
    assert done["failure_code"] == code.value
    assert done["failure_reason"]
    assert "output" not in done


def inline(data: bytes, media_type: str = "image/png") -> dict[str, Any]:
    return {
        "prompt": "x",
        "type": "image_edit",
        "source": {"data": base64.b64encode(data).decode(), "media_type": media_type},
    }


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<html><body>not an image</body></html>", "unsupported_format"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, "corrupt_input"),
    ],
)
async def test_inputs_that_cannot_be_used_fail_the_job(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock, data: bytes, code: str
) -> None:
    created = await create(api, **inline(data))
    done = await finish(api, sim, clock, created["id"])
    assert (done["state"], done["failure_code"]) == ("failed", code)
    assert "source" in done["failure_reason"]


async def test_an_image_over_the_pixel_limit_fails_as_image_too_large(
    tmp_path: Path, clock: ManualClock, media: MediaBackend
) -> None:
    app, sim = create_app(
        SimSettings.for_tests(tmp_path, max_image_pixels=100), clock=clock, media=media
    )
    try:
        async with asgi_client(app) as client:
            created = await create(client, **inline(png_bytes(20, 20)))
            done = await finish(client, sim, clock, created["id"])
            assert done["failure_code"] == "image_too_large"
            small = await create(client, **inline(png_bytes(8, 8)))
            assert (await finish(client, sim, clock, small["id"]))["state"] == "completed"
    finally:
        sim.close()


async def test_a_render_that_breaks_fails_as_generation_failed(
    tmp_path: Path, clock: ManualClock, media: MediaBackend
) -> None:
    class Broken:
        def render_image(self, job: object) -> bytes:
            raise RuntimeError("paint ran out")

        def render_video(self, job: object) -> bytes:
            raise RuntimeError("film ran out")

        def probe(self, data: bytes) -> Any:
            return media.probe(data)

        def render_layers(self, job: object) -> Any:
            raise RuntimeError("scissors ran out")

    app, sim = create_app(SimSettings.for_tests(tmp_path), clock=clock, media=Broken())
    try:
        async with asgi_client(app) as client:
            created = await create(client)
            done = await finish(client, sim, clock, created["id"])
            assert done["failure_code"] == "generation_failed"
            assert "paint ran out" in done["failure_reason"]
    finally:
        sim.close()


async def test_url_inputs_get_a_deterministic_stand_in(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    body = {"prompt": "x", "type": "image_edit", "source": {"url": "https://example.com/cat.png"}}
    created = await create(api, **body)
    done = await finish(api, sim, clock, created["id"])
    assert done["state"] == "completed"
