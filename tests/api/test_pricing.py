"""The price table: Luma's image prices exactly, video as a declared estimate, overrides."""

from __future__ import annotations

from typing import Any

import pytest

from lumatui.api.pricing import DEFAULT_PRICES, Price, price_of, unknown_price_keys
from lumatui.api.schema import GenerationRequest

URL = {"url": "https://example.com/a.png"}
VIDEO_SRC = {"url": "https://example.com/a.mp4", "media_type": "video/mp4"}


def req(**fields: Any) -> GenerationRequest:
    fields.setdefault("prompt", "x")
    return GenerationRequest(**fields)


@pytest.mark.parametrize(
    ("fields", "usd", "basis"),
    [
        ({}, 0.0404, "uni-1 text to image"),
        ({"model": "uni-1-max"}, 0.1000, "uni-1-max text to image"),
        ({"type": "image_edit", "source": URL}, 0.0434, "uni-1 edit"),
        ({"type": "image_edit", "source": URL, "model": "uni-1-max"}, 0.1030, "uni-1-max edit"),
        (
            {"type": "image_edit", "source": URL, "image_ref": [URL] * 2},
            0.0494,
            "uni-1 edit + 2 refs",
        ),
        ({"image_ref": [URL]}, 0.0434, "uni-1 image + 1 ref"),
        ({"image_ref": [URL] * 9}, 0.0674, "uni-1 image + 9 refs"),
        ({"image_ref": [URL] * 5, "model": "uni-1-max"}, 0.1150, "uni-1-max image + 5 refs"),
    ],
)
def test_image_prices_are_lumas(fields: dict[str, Any], usd: float, basis: str) -> None:
    price = price_of(req(**fields))
    assert price == Price(usd, False, basis)


def test_uni_1_max_past_five_images_is_an_assumed_step() -> None:
    price = price_of(req(model="uni-1-max", image_ref=[URL] * 6))
    assert price.usd == 0.1180 and price.estimate


@pytest.mark.parametrize(
    ("fields", "usd", "basis"),
    [
        ({"type": "video"}, 0.30, "ray-3.2 video 720p 5s"),
        ({"type": "video", "video": {"resolution": "360p"}}, 0.06, "ray-3.2 video 360p 5s"),
        (
            {"type": "video", "video": {"resolution": "1080p", "duration": "10s"}},
            2.40,
            "ray-3.2 video 1080p 10s",
        ),
        ({"type": "video", "video": {"hdr": True}}, 0.60, "ray-3.2 video 720p HDR 5s"),
        (
            {"type": "video", "video": {"hdr": True, "exr_export": True, "resolution": "1080p"}},
            3.60,
            "ray-3.2 video 1080p HDR+EXR 5s",
        ),
        (
            {
                "type": "video",
                "video": {"start_frame": {"generation_id": "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"}},
            },
            0.30,
            "ray-3.2 extend 720p 5s",
        ),
        (
            {"type": "video_reframe", "source": VIDEO_SRC},
            0.60,
            "ray-3.2 reframe 720p, source assumed 5s",
        ),
        ({"type": "video_edit", "source": VIDEO_SRC}, 0.30, "ray-3.2 edit 720p, source assumed 5s"),
    ],
)
def test_video_prices_are_estimates(fields: dict[str, Any], usd: float, basis: str) -> None:
    price = price_of(req(**fields))
    assert price == Price(usd, True, basis)


def test_source_length_prices_edits_and_reframes() -> None:
    reframe = price_of(req(type="video_reframe", source=VIDEO_SRC), source_seconds=8)
    assert reframe.usd == 0.96 and reframe.basis == "ray-3.2 reframe 720p, 8s source"
    edit = price_of(req(type="video_edit", source=VIDEO_SRC), source_seconds=12)
    assert edit.usd == 0.90  # three 5 s blocks


def test_overrides_replace_entries_and_end_the_estimate() -> None:
    overrides = {"uni-1.text_to_image": 0.05, "ray-3.2.video.720p": 0.5}
    assert price_of(req(), overrides) == Price(0.05, False, "uni-1 text to image")
    video = price_of(req(type="video", video={"duration": "10s"}), overrides)
    assert video == Price(1.0, False, "ray-3.2 video 720p 10s")


def test_an_entry_overridden_with_none_makes_the_price_unknown() -> None:
    price = price_of(req(), {"uni-1.text_to_image": None})
    assert price.usd is None
    assert "unknown" in str(price)


def test_unknown_override_keys_are_reported() -> None:
    assert unknown_price_keys({"uni-1.edit": 1.0, "uni-1.edits": 1.0}) == ["uni-1.edits"]
    assert all(value > 0 for value in DEFAULT_PRICES.values())


def test_price_reads_for_people() -> None:
    assert str(price_of(req())) == "$0.0404 (uni-1 text to image)"
    assert str(price_of(req(type="video"))).startswith("~$0.3000")
