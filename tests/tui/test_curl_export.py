"""Copy-as-curl (c) and `lumatui export` agree: the configured URL with $LUMA_AGENTS_API_KEY;
a job made on the built-in simulator names Luma's URL and says it was simulated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lumatui.api.schema import GenerationRequest
from lumatui.api.urls import DEFAULT_BASE_URL
from lumatui.cli import main
from tests.tui.conftest import settle, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_copy_as_curl_and_export_agree_for_a_simulated_job(
    make_app: Callable[..., LumaApp],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app()
    copied: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen = app.main_screen
        actions = screen.job_actions
        monkeypatch.setattr(actions, "_copy", lambda text, what: copied.append(text))
        job = await screen.submit(GenerationRequest(prompt="a fox at dusk"))
        await settle(pilot)
        assert job.simulated
        actions.run("copy_curl")
    (curl,) = copied
    assert "127.0.0.1" not in curl and "localhost" not in curl
    assert f"curl -sS -X POST {DEFAULT_BASE_URL}/generations" in curl
    assert curl.startswith("# This job was made on lumatui's built-in simulator.")
    assert "Bearer $LUMA_AGENTS_API_KEY" in curl
    capsys.readouterr()
    assert main(["export", job.id]) == 0
    assert capsys.readouterr().out == curl
    assert main(["export", job.id, "--as", "json"]) == 0
    printed = capsys.readouterr()
    assert "simulator" in printed.err and printed.out.startswith("{")
