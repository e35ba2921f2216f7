"""A batch's requests and price: every request type, alternatives times runs, unknown totals."""

from __future__ import annotations

from typing import Any

import pytest

from lumatui.api.batches import batch_total, plan_batch
from lumatui.api.pricing import Price, price_of
from lumatui.api.schema import GenerationRequest
from lumatui.api.variations import VariationError

URL = {"url": "https://example.com/a.png"}
VIDEO_SRC = {"url": "https://example.com/a.mp4", "media_type": "video/mp4"}
GEN = {"generation_id": "5f0c3a52-4d4e-4a57-9d43-0a8f7f3f2b11"}

EVERY_TYPE: list[dict[str, Any]] = [
    {},
    {"model": "uni-1-max", "image_ref": [URL] * 3},
    {"type": "image_edit", "source": URL},
    {"type": "video", "video": {"resolution": "1080p", "duration": "10s"}},
    {"type": "video", "video": {"start_frame": GEN}},
    {"type": "video_edit", "source": VIDEO_SRC},
    {"type": "video_reframe", "source": VIDEO_SRC, "aspect_ratio": "9:16"},
    {"type": "layering", "source": URL},
    {"web_search": True},
]


def req(prompt: str, **fields: Any) -> GenerationRequest:
    return GenerationRequest(prompt=prompt, **fields)


@pytest.mark.parametrize("fields", EVERY_TYPE)
def test_every_request_type_expands_and_is_priced_per_job(fields: dict[str, Any]) -> None:
    template = req("a {red|blue} fox at {dawn|{early |}dusk}", **fields)
    plan = plan_batch(template, runs=2)
    assert (plan.combinations, plan.runs, plan.size) == (6, 2, 12)
    prompts = [r.prompt for r in plan.requests]
    assert prompts[:4] == ["a red fox at dawn"] * 2 + ["a red fox at early dusk"] * 2
    assert prompts[-1] == "a blue fox at dusk"
    single = price_of(req("x", **fields))
    for request in plan.requests:
        # Everything but the prompt is the template's.
        assert {**request.to_json(), "prompt": "x"} == req("x", **fields).to_json()
    assert plan.prices == (single,) * 12
    if single.usd is None:
        assert plan.total.usd is None
        assert plan.needs_confirmation(1000.0)
    else:
        assert plan.total.usd == pytest.approx(12 * single.usd, abs=1e-4)
        assert plan.total.estimate == single.estimate


def test_escaped_braces_are_literal_in_every_request() -> None:
    plan = plan_batch(req(r"a sign reading \{OPEN|CLOSED\}"), runs=3)
    assert [r.prompt for r in plan.requests] == ["a sign reading {OPEN|CLOSED}"] * 3


def test_a_body_is_sent_as_written_when_not_expanded() -> None:
    plan = plan_batch(req("a {red|blue} fox"), runs=2, expand=False)
    assert [r.prompt for r in plan.requests] == ["a {red|blue} fox"] * 2


def test_unknown_fields_ride_along_on_every_job() -> None:
    template = GenerationRequest.from_stored({"prompt": "a {red|blue} fox", "guide_frame": 3})
    plan = plan_batch(template)
    assert [r.to_json().get("guide_frame") for r in plan.requests] == [3, 3]


def test_the_total_and_when_to_ask() -> None:
    cheap = plan_batch(req("a {red|blue} fox"), runs=2)
    assert cheap.total == Price(0.1616, False, "4 jobs: uni-1 text to image")
    assert not cheap.needs_confirmation(1.0)
    assert cheap.needs_confirmation(0.10)
    assert cheap.summary() == "4 jobs (2 prompts x 2 runs), $0.1616"
    dear = plan_batch(req("x", type="video", video={"resolution": "1080p"}))
    assert dear.total.usd == 1.2 and dear.total.estimate
    assert dear.needs_confirmation(1.0)
    layering = req("{a|b}", type="layering", source=URL)
    overridden = plan_batch(layering, prices={"uni-1.layering.1k": 0.05})
    assert overridden.total.usd == 0.1 and not overridden.needs_confirmation(1.0)


def test_one_unknown_member_makes_the_total_unknown() -> None:
    known = Price(0.04, False, "uni-1 text to image")
    unknown = Price(None, False, "uni-1 layering 1k, price not published")
    total = batch_total([known, unknown, known])
    assert total.usd is None and "1 with an unknown price" in total.basis
    assert batch_total([]).usd == 0.0


def test_dry_run_json_shape() -> None:
    data = plan_batch(req("a {red|blue} fox")).to_json()
    assert data["requests"] == [{"prompt": "a red fox"}, {"prompt": "a blue fox"}]
    assert data["total_usd"] == 0.0808
    assert data["label"] == "a {red|blue} fox"
    assert [p["usd"] for p in data["prices"]] == [0.0404, 0.0404]


def test_errors_are_structured() -> None:
    with pytest.raises(VariationError) as caught:
        plan_batch(req("a {red|blue fox"))
    assert caught.value.problems[0].column == 3
    with pytest.raises(VariationError, match="at most 64"):
        plan_batch(req("{a|b} {c|d}"), runs=17)
    with pytest.raises(VariationError, match="runs must be between 1 and 64"):
        plan_batch(req("x"), runs=65, expand=False)
