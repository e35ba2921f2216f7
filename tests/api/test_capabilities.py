"""The per-model capability table and the server-side checks built on it."""

from __future__ import annotations

from typing import Any

import pytest

from lumatui.api.capabilities import (
    CAPABILITIES,
    MAX_INLINE_BYTES,
    aspect_ratios,
    oversized_inline_media,
    server_problems,
)
from lumatui.api.enums import AspectRatio, Model
from lumatui.api.refs import image_refs
from lumatui.api.schema import GenerationRequest

VIDEO_SRC = {"url": "https://example.com/a.mp4", "media_type": "video/mp4"}


def req(**fields: Any) -> GenerationRequest:
    fields.setdefault("prompt", "x")
    return GenerationRequest(**fields)


def locs(request: GenerationRequest, **flags: bool) -> list[tuple[str | int, ...]]:
    return [p.loc for p in server_problems(request, **flags)]


def test_aspect_ratio_sets_follow_the_docs() -> None:
    assert [r.value for r in aspect_ratios(Model.UNI_1)] == [
        "3:1", "2:1", "16:9", "3:2", "1:1", "2:3", "9:16", "1:2", "1:3",
    ]  # fmt: skip
    assert aspect_ratios(Model.UNI_1_MAX) == aspect_ratios(Model.UNI_1)
    assert [r.value for r in aspect_ratios(Model.RAY_3_2)] == [
        "9:16", "3:4", "1:1", "4:3", "16:9", "21:9",
    ]  # fmt: skip
    every = {r for caps in CAPABILITIES.values() for r in caps.aspect_ratios}
    assert every == set(AspectRatio)


@pytest.mark.parametrize("ratio", ["4:3", "3:4", "21:9"])
def test_image_models_refuse_video_ratios(ratio: str) -> None:
    assert locs(req(aspect_ratio=ratio)) == [("aspect_ratio",)]
    assert locs(req(aspect_ratio=ratio, model="uni-1-max")) == [("aspect_ratio",)]


@pytest.mark.parametrize("ratio", ["3:1", "2:1", "3:2", "2:3", "1:2", "1:3"])
def test_ray_refuses_image_only_ratios(ratio: str) -> None:
    assert locs(req(type="video", aspect_ratio=ratio)) == [("aspect_ratio",)]


def test_valid_requests_have_no_problems() -> None:
    assert locs(req(aspect_ratio="16:9")) == []
    assert (
        locs(req(type="video", aspect_ratio="21:9", video={"hdr": True, "resolution": "1080p"}))
        == []
    )
    assert locs(req(type="video", video={"hdr": True})) == []  # default resolution is 720p


def test_hdr_needs_720p_or_1080p_and_access() -> None:
    assert locs(req(type="video", video={"hdr": True, "resolution": "540p"})) == [
        ("video", "resolution")
    ]
    # 360p on type video is already refused by the schema's rules: not reported twice.
    assert locs(
        req(type="video_edit", source=VIDEO_SRC, video={"hdr": True, "resolution": "360p"})
    ) == [("video", "resolution")]
    assert locs(req(type="video", video={"hdr": True}), hdr_access=False) == [("video", "hdr")]


@pytest.mark.parametrize(
    ("ratio", "ok"),
    [
        ("16:9", True),
        ("21:9", True),
        ("4:3", True),
        ("1:1", True),
        ("9:16", False),
        ("3:4", False),
        (None, True),
    ],
)
def test_reframe_1080p_only_for_landscape_and_square(ratio: str | None, ok: bool) -> None:
    request = req(
        type="video_reframe", source=VIDEO_SRC, aspect_ratio=ratio, video={"resolution": "1080p"}
    )
    assert locs(request) == ([] if ok else [("video", "resolution")])


def test_reframe_1080p_not_rolled_out() -> None:
    request = req(
        type="video_reframe", source=VIDEO_SRC, aspect_ratio="16:9", video={"resolution": "1080p"}
    )
    [problem] = server_problems(request, reframe_1080p=False)
    assert "coming soon" in problem.message


def test_inline_size_limit() -> None:
    assert MAX_INLINE_BYTES == 50 * 1024 * 1024
    data = "A" * 1400  # 1050 bytes decoded
    request = req(image_ref=[{"data": data, "media_type": "image/png"}, {"url": "https://a.b/c"}])
    assert oversized_inline_media(request, limit=1000) == [("image_ref", 0)]
    assert oversized_inline_media(request, limit=2000) == []


def test_image_refs_walks_every_reference_with_its_path() -> None:
    ref = {"url": "https://example.com/a.png"}
    request = req(
        type="video",
        video={"start_frame": ref, "end_frame": ref},
    )
    assert [loc for loc, _ in image_refs(request)] == [
        ("video", "start_frame"),
        ("video", "end_frame"),
    ]
    request = req(type="video", video={"keyframes": [ref, ref], "keyframe_indexes": [0, 5]})
    assert [loc for loc, _ in image_refs(request)] == [
        ("video", "keyframes", 0),
        ("video", "keyframes", 1),
    ]
