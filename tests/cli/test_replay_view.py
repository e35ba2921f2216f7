"""How `lumatui replay` shows a plan (no network): links as `$stepN`, inline media shortened."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from lumatui.api.schema import GenerationRequest
from lumatui.commands.replay_view import plan_json, plan_text
from lumatui.engine.replay import plan_prices, plan_replay
from lumatui.engine.store import JobStore
from tests.stored_jobs import sent_job as make

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


DATA = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(300)).decode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "lumatui.db") as opened:
        yield opened


def test_the_plan_text_shows_links_prices_and_short_inline_media(store: JobStore) -> None:
    root = make(store, prompt="a fox")
    edit = make(
        store,
        type="image_edit",
        prompt="add a hat",
        source={"generation_id": root.generation_id},
        image_ref=[{"data": DATA, "media_type": "image/png"}],
    )
    changed = GenerationRequest.model_validate({"prompt": "a blue fox", "model": "uni-1-max"})
    plan = plan_replay(store, root, changed)
    prices = plan_prices(plan)
    old = {j.id: j for j in (root, edit)}
    text = plan_text(plan, prices, old)
    assert text.splitlines()[0].startswith(f"replay of {root.short_id}: 2 step(s), total $")
    assert "step 1: image uni-1-max, re-makes" in text
    assert f"step 2: image_edit uni-1, re-makes {edit.short_id}, waits for step 1" in text
    assert '"generation_id": "$step1"' in text
    assert f"<{len(DATA)} characters of base64>" in text and DATA not in text
    record = plan_json(plan, prices, old)
    assert record["requests"][1]["image_ref"][0]["data"] == DATA  # JSON keeps it whole
    assert record["steps"][1] == {
        "step": 2,
        "replaces": edit.generation_id,
        "waits_for": [1],
        "price_usd": prices[1].usd,
        "price": str(prices[1]),
    }
