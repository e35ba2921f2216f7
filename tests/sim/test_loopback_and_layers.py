"""Loopback URL inputs are fetched for real; the simulator never imports textual."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from lumatui.sim import RunningSimulator

AUTH = {"Authorization": "Bearer luma-api-loopback"}


def _completed(client: httpx.Client, running: RunningSimulator, body: dict[str, Any]) -> Any:
    reply = client.post("/generations", json=body)
    assert reply.status_code == 201, reply.text
    gid = reply.json()["id"]
    for _ in range(200):
        running.wait_rendered(gid)
        generation = client.get(f"/generations/{gid}").json()
        if generation["state"] in ("completed", "failed"):
            return generation
    raise AssertionError("the generation never finished")


def test_loopback_urls_are_fetched_and_checked(running_sim: RunningSimulator) -> None:
    with httpx.Client(base_url=running_sim.base_url, headers=AUTH) as client:
        image = _completed(client, running_sim, {"prompt": "a kite"})
        url = image["output"][0]["url"]
        assert url.startswith("http://127.0.0.1:")
        edit = {"prompt": "a red kite", "type": "image_edit", "source": {"url": url}}
        assert _completed(client, running_sim, edit)["state"] == "completed"

        missing = url.split("?")[0]  # unsigned: the simulator's own file server says 403
        reply = client.post(
            "/generations",
            json={"prompt": "x", "type": "image_edit", "source": {"url": missing}},
        )
        assert reply.status_code == 422
        [error] = reply.json()["detail"]
        assert error["loc"] == ["body", "source", "url"]
        assert "403" in error["msg"]


def test_simulator_and_api_never_import_textual() -> None:
    code = (
        "import sys, lumatui.sim, lumatui.sim.app, lumatui.sim.server, lumatui.api.pricing, "
        "lumatui.api.capabilities, lumatui.commands.sim_cmd; "
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
