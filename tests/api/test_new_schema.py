"""Today's schema: file_id, web_search, layering and its outputs, strict types, unknown fields,
the one reference walker, and prices Luma does not publish."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from lumatui.api.field_errors import field_errors
from lumatui.api.pricing import price_of, unknown_price_keys
from lumatui.api.refs import body_ref_sites, image_refs, ref_sites, references
from lumatui.api.schema import Generation, GenerationRequest
from lumatui.api.unknown_fields import (
    split_unknown_fields,
    unknown_field_paths,
    unknown_field_warning,
)

GID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
FID = "2a31b73f-0000-4000-8000-000000000001"


def problems(body: dict[str, Any]) -> list[str]:
    """Every problem of a body as `path: message`."""
    try:
        GenerationRequest.model_validate(body)
    except ValidationError as exc:
        return [str(e) for e in field_errors(exc)]
    return []


def test_file_id_is_one_more_origin() -> None:
    assert problems({"prompt": "x", "image_ref": [{"file_id": FID}]}) == []
    assert problems({"prompt": "x", "type": "video_edit", "source": {"file_id": FID}}) == []
    both = problems({"prompt": "x", "image_ref": [{"file_id": FID, "url": "https://a.test/x.png"}]})
    assert both == [
        "image_ref[0]: give exactly one of url, data, generation_id or file_id "
        "(this gives url and file_id)"
    ]
    assert "must be a file id" in problems({"prompt": "x", "image_ref": [{"file_id": "x"}]})[0]


def test_layering_rules_and_web_search() -> None:
    layering = {"prompt": "split", "type": "layering", "source": {"file_id": FID}}
    assert problems(layering) == []
    assert problems({**layering, "layering": {"resolution": "2k"}, "web_search": True}) == []
    assert problems({**layering, "model": "uni-1-max"}) == [
        "model: type layering runs on uni-1 only (not uni-1-max)"
    ]
    assert problems({**layering, "prompt": "p" * 501})[0].startswith("prompt: is 501 characters")
    assert problems({"prompt": "x", "layering": {"resolution": "1k"}}) == [
        "layering: applies only to type layering"
    ]
    assert problems({"prompt": "x", "type": "layering"})[0].startswith(
        "source: is required for layering"
    )
    assert problems({"prompt": "x", "type": "video", "web_search": True}) == [
        "web_search: applies to the image models only, not ray-3.2"
    ]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": None}, "type"),
        ({"model": None}, "model"),
        ({"style": None}, "style"),
        ({"image_ref": None}, "image_ref"),
        ({"web_search": "true"}, "web_search"),
        ({"type": "video", "video": {"hdr": 1}}, "video.hdr"),
        (
            {
                "type": "video",
                "video": {"keyframes": [{"url": "https://a.test/k"}], "keyframe_indexes": ["0"]},
            },
            "video.keyframe_indexes[0]",
        ),
        (
            {
                "type": "video_reframe",
                "source": {"file_id": FID},
                "video": {
                    "source_position": {"x_norm": "0", "y_norm": 0, "w_norm": 1, "h_norm": 1}
                },
            },
            "video.source_position.x_norm",
        ),
    ],
)
def test_strict_types(body: dict[str, Any], path: str) -> None:
    assert path in [p.split(":")[0] for p in problems({"prompt": "x", **body})]


def test_output_layers_are_parsed_and_unknown_hints_kept() -> None:
    generation = Generation.model_validate(
        {
            "id": GID,
            "created_at": "2026-12-01T00:00:00Z",
            "model": "uni-1",
            "state": "completed",
            "type": "layering",
            "output": [
                {
                    "type": "image",
                    "url": "https://x/0",
                    "layer": {
                        "index": 0,
                        "label": "cat",
                        "description": "a cat",
                        "alpha_hint": "soft",
                    },
                },
                {
                    "type": "image",
                    "url": "https://x/1",
                    "layer": {
                        "index": 1,
                        "label": "bg",
                        "description": "",
                        "alpha_hint": "glow",
                        "z": 1,
                    },
                },
            ],
        }
    )
    assert generation.type == "layering" and generation.output is not None
    first, second = (o.layer for o in generation.output)
    assert first is not None and first.alpha_hint == "soft"
    assert second is not None and second.alpha_hint == "glow"


def test_one_walker_for_rules_capabilities_and_lineage() -> None:
    request = GenerationRequest.model_validate(
        {
            "prompt": "x",
            "type": "video",
            "video": {
                "start_frame": {"generation_id": GID},
                "end_frame": {"file_id": FID},
            },
        }
    )
    assert [s.role for s in ref_sites(request)] == ["start_frame", "end_frame"]
    assert [loc for loc, _ in image_refs(request)] == [
        ("video", "start_frame"),
        ("video", "end_frame"),
    ]
    assert references(request) == [("start_frame", GID)]
    keyed = GenerationRequest.model_validate(
        {
            "prompt": "x",
            "type": "video",
            "video": {"keyframes": [{"file_id": FID}] * 2, "keyframe_indexes": [0, 60]},
        }
    )
    assert [(s.role, s.frame) for s in ref_sites(keyed)] == [
        ("keyframes[0]", 0),
        ("keyframes[1]", 60),
    ]
    body = keyed.to_json()
    assert [(loc, role) for loc, role, _ in body_ref_sites(body)] == [
        (("video", "keyframes", 0), "keyframes[0]"),
        (("video", "keyframes", 1), "keyframes[1]"),
    ]


def test_unknown_fields_are_split_warned_and_sent_as_given() -> None:
    body = {
        "prompt": "x",
        "type": "layering",
        "guide_frame": {"index": 2},
        "source": {"url": "https://a.test/x.png", "weight": 0.5},
        "layering": {"resolution": "1k", "max_layers": 4},
    }
    known, unknown = split_unknown_fields(body)
    assert "guide_frame" in body  # the body given is not changed
    assert [loc for loc, _ in unknown] == [
        ("guide_frame",),
        ("source", "weight"),
        ("layering", "max_layers"),
    ]
    assert unknown_field_paths(body) == [
        "guide_frame",
        "source.weight",
        "layering.max_layers",
    ]
    assert unknown_field_warning("guide_frame").startswith("guide_frame: not known to lumatui ")
    assert unknown_field_warning("guide_frame").endswith("; sent as is")
    request = GenerationRequest.model_validate(known).with_unknown_fields(unknown)
    assert request.to_json() == body
    assert GenerationRequest.from_stored(request.to_json()).to_json() == body
    assert "guide_frame: is not a field of this request (check the spelling)" in problems(body)


def test_unpublished_prices_are_unknown_until_configured() -> None:
    searched = price_of(GenerationRequest(prompt="x", web_search=True))
    assert not searched.known and "web search" in searched.basis
    layering = GenerationRequest.model_validate(
        {"prompt": "x", "type": "layering", "source": {"file_id": FID}}
    )
    assert not price_of(layering).known
    assert price_of(layering, {"uni-1.layering.1k": 0.05}).usd == 0.05
    two_k = layering.model_copy(update={"layering": None})
    assert not price_of(
        two_k.model_validate({**layering.to_json(), "layering": {"resolution": "2k"}}),
        {"uni-1.layering.2k_per_layer": 0.1},
    ).known
    assert price_of(GenerationRequest(prompt="x")).known
    assert unknown_price_keys({"web_search": 0.01, "uni-1.layering.1k": 1.0, "typo": 1.0}) == [
        "typo"
    ]
