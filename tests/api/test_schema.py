"""Every rule of the reference: a valid case passes, an invalid one fails at its exact path."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from lumatui.api.enums import GenerationType, Model
from lumatui.api.field_errors import FieldError, field_errors, json_path
from lumatui.api.schema import Generation, GenerationRequest, ImageRef

GID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
URL = "https://example.com/cat.png"


def errors_of(body: dict[str, Any]) -> list[FieldError]:
    """The field errors validation reports for `body` (empty when it is valid)."""
    try:
        GenerationRequest.model_validate(body)
    except ValidationError as exc:
        return field_errors(exc)
    return []


def paths_of(body: dict[str, Any]) -> list[str]:
    """Just the JSON paths of the errors for `body`."""
    return [e.path for e in errors_of(body)]


def video(**options: Any) -> dict[str, Any]:
    """A type=video request with the given video options."""
    return {"prompt": "a fox runs", "type": "video", "video": options}


def keyframes(count: int) -> list[dict[str, str]]:
    """`count` distinct keyframe references."""
    return [{"url": f"https://example.com/{i}.png"} for i in range(count)]


VALID: list[dict[str, Any]] = [
    {"prompt": "a"},
    {"prompt": "x" * 6000},
    {"prompt": "p", "aspect_ratio": "16:9", "style": "manga", "output_format": "jpeg"},
    {"prompt": "p", "model": "uni-1-max", "image_ref": [{"url": URL}] * 9},
    {"prompt": "p", "type": "image_edit", "source": {"generation_id": GID}},
    {
        "prompt": "p",
        "type": "image_edit",
        "source": {"data": PNG_B64, "media_type": "image/png"},
        "image_ref": [{"url": URL}] * 8,
    },
    {"prompt": "p", "user_id": "u" * 256},
    video(duration="10s", resolution="1080p", hdr=True, exr_export=True),
    video(loop=True, duration="5s"),
    video(start_frame={"url": URL}, end_frame={"generation_id": GID}),
    video(keyframes=keyframes(3), keyframe_indexes=[0, 60, 120]),
    video(keyframes=keyframes(2), keyframe_indexes=[0, 240], duration="10s", hdr=True),
    video(keyframes=keyframes(64), keyframe_indexes=list(range(64))),
    {
        "prompt": "p",
        "type": "video_edit",
        "source": {"url": "https://example.com/v.mp4", "media_type": "video/mp4"},
        "video": {
            "edit": {
                "strength": "flex_2",
                "controls": {
                    "depth": {"blur": 0, "enabled": True},
                    "face": {"enabled": False},
                    "normals": {"augmentation": 1},
                    "pose": {"strength": "coarse"},
                    "trajectory": {"sparsity": 0.5},
                },
                "keyframes": keyframes(2),
                "keyframe_indexes": [5, 500],
            }
        },
    },
    {
        "prompt": "p",
        "type": "video_reframe",
        "aspect_ratio": "9:16",
        "source": {"generation_id": GID},
        "video": {
            "resolution": "720p",
            "source_position": {"x_norm": -2, "y_norm": 2, "w_norm": 2, "h_norm": 0.01},
        },
    },
]


@pytest.mark.parametrize("body", VALID)
def test_valid_requests_pass(body: dict[str, Any]) -> None:
    assert errors_of(body) == []


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"prompt": ""}, "prompt"),
    ({"prompt": "x" * 6001}, "prompt"),
    ({}, "prompt"),
    ({"prompt": "p", "user_id": "u" * 257}, "user_id"),
    ({"prompt": "p", "model": "uni-2"}, "model"),
    ({"prompt": "p", "type": "gif"}, "type"),
    ({"prompt": "p", "aspect_ratio": "5:4"}, "aspect_ratio"),
    ({"prompt": "p", "colour": "red"}, "colour"),
    ({"prompt": "p", "image_ref": [{"url": URL}] * 10}, "image_ref[9]"),
    (
        {
            "prompt": "p",
            "type": "image_edit",
            "source": {"url": URL},
            "image_ref": [{"url": URL}] * 9,
        },
        "image_ref[8]",
    ),
    ({"prompt": "p", "image_ref": [{}]}, "image_ref[0]"),
    ({"prompt": "p", "image_ref": [{"url": URL, "generation_id": GID}]}, "image_ref[0]"),
    ({"prompt": "p", "image_ref": [{"data": PNG_B64}]}, "image_ref[0].media_type"),
    (
        {"prompt": "p", "image_ref": [{"data": "not base64!", "media_type": "image/png"}]},
        "image_ref[0].data",
    ),
    ({"prompt": "p", "image_ref": [{"generation_id": "../../x"}]}, "image_ref[0].generation_id"),
    ({"prompt": "p", "image_ref": [{"url": "file:///etc/passwd"}]}, "image_ref[0].url"),
    (
        {"prompt": "p", "image_ref": [{"url": URL, "media_type": "video/mp4"}]},
        "image_ref[0].media_type",
    ),
    ({"prompt": "p", "model": "ray-3.2"}, "model"),
    ({"prompt": "p", "type": "video", "model": "uni-1"}, "model"),
    ({"prompt": "p", "type": "image_edit"}, "source"),
    ({"prompt": "p", "type": "video_edit"}, "source"),
    ({"prompt": "p", "type": "video_reframe"}, "source"),
    ({"prompt": "p", "source": {"url": URL}}, "source"),
    (
        {"prompt": "p", "type": "video_edit", "source": {"url": "https://e.com/v.mp4"}},
        "source.media_type",
    ),
    (
        {"prompt": "p", "type": "video_reframe", "source": {"url": URL, "media_type": "image/png"}},
        "source.media_type",
    ),
    ({"prompt": "p", "video": {"duration": "5s"}}, "video"),
    ({"prompt": "p", "type": "video", "style": "manga"}, "style"),
    ({"prompt": "p", "type": "video", "output_format": "png"}, "output_format"),
    ({"prompt": "p", "type": "video", "image_ref": [{"url": URL}]}, "image_ref"),
    (video(edit={"strength": "flex_1"}), "video.edit"),
    (
        video(source_position={"x_norm": 0, "y_norm": 0, "w_norm": 1, "h_norm": 1}),
        "video.source_position",
    ),
    (video(loop=True, duration="10s"), "video.loop"),
    (video(loop=True, hdr=True), "video.loop"),
    (
        {
            "prompt": "p",
            "type": "video_edit",
            "source": {"generation_id": GID},
            "video": {"loop": True},
        },
        "video.loop",
    ),
    (video(exr_export=True), "video.exr_export"),
    (video(hdr=True, resolution="360p"), "video.resolution"),
    (
        {
            "prompt": "p",
            "type": "video_reframe",
            "source": {"generation_id": GID},
            "video": {"hdr": True},
        },
        "video.hdr",
    ),
    (video(duration="6s"), "video.duration"),
    (video(resolution="4k"), "video.resolution"),
    (video(keyframes=[], keyframe_indexes=[]), "video.keyframes"),
    (video(keyframes=keyframes(65), keyframe_indexes=list(range(65))), "video.keyframes[64]"),
    (video(keyframes=keyframes(2), keyframe_indexes=[0]), "video.keyframe_indexes"),
    (video(keyframes=keyframes(2)), "video.keyframe_indexes"),
    (video(keyframe_indexes=[0]), "video.keyframe_indexes"),
    (video(keyframes=keyframes(3), keyframe_indexes=[0, 1, -1]), "video.keyframe_indexes[2]"),
    (video(keyframes=keyframes(3), keyframe_indexes=[0, 7, 7]), "video.keyframe_indexes[2]"),
    (video(keyframes=keyframes(2), keyframe_indexes=[0, 121]), "video.keyframe_indexes[1]"),
    (
        video(keyframes=keyframes(2), keyframe_indexes=[0, 241], duration="10s"),
        "video.keyframe_indexes[1]",
    ),
    (
        video(keyframes=keyframes(1), keyframe_indexes=[0], start_frame={"url": URL}),
        "video.keyframes",
    ),
    (
        video(keyframes=keyframes(1), keyframe_indexes=[0], end_frame={"url": URL}),
        "video.keyframes",
    ),
    (video(keyframes=keyframes(1), keyframe_indexes=[0], loop=True), "video.keyframes"),
    (
        {
            "prompt": "p",
            "type": "video_edit",
            "source": {"generation_id": GID},
            "video": {"keyframes": keyframes(1), "keyframe_indexes": [0]},
        },
        "video.keyframes",
    ),
    (
        video(keyframes=[{"url": URL, "media_type": "video/mp4"}], keyframe_indexes=[0]),
        "video.keyframes[0].media_type",
    ),
]


def edit_request(**edit: Any) -> dict[str, Any]:
    """A type=video_edit request with the given edit options."""
    return {
        "prompt": "p",
        "type": "video_edit",
        "source": {"generation_id": GID},
        "video": {"edit": edit},
    }


INVALID += [
    (
        edit_request(keyframes=keyframes(65), keyframe_indexes=list(range(65))),
        "video.edit.keyframes[64]",
    ),
    (edit_request(keyframes=keyframes(2), keyframe_indexes=[1]), "video.edit.keyframe_indexes"),
    (
        edit_request(keyframes=keyframes(2), keyframe_indexes=[1, -3]),
        "video.edit.keyframe_indexes[1]",
    ),
    (
        edit_request(keyframes=keyframes(2), keyframe_indexes=[4, 4]),
        "video.edit.keyframe_indexes[1]",
    ),
    (edit_request(strength="medium"), "video.edit.strength"),
    (edit_request(controls={"depth": {"blur": 1.5}}), "video.edit.controls.depth.blur"),
    (
        edit_request(controls={"normals": {"augmentation": -0.1}}),
        "video.edit.controls.normals.augmentation",
    ),
    (
        edit_request(controls={"trajectory": {"sparsity": 2}}),
        "video.edit.controls.trajectory.sparsity",
    ),
    (edit_request(controls={"pose": {"strength": "loose"}}), "video.edit.controls.pose.strength"),
    (edit_request(controls={"face": {"enabled": "maybe"}}), "video.edit.controls.face.enabled"),
    (edit_request(controls={"gaze": {}}), "video.edit.controls.gaze"),
]


def reframe_position(**position: float) -> dict[str, Any]:
    """A type=video_reframe request with the given source_position."""
    return {
        "prompt": "p",
        "type": "video_reframe",
        "source": {"generation_id": GID},
        "video": {"source_position": position},
    }


FULL_POSITION = {"x_norm": 0.0, "y_norm": 0.0, "w_norm": 1.0, "h_norm": 1.0}
INVALID += [
    (reframe_position(**{**FULL_POSITION, "h_norm": 0}), "video.source_position.h_norm"),
    (reframe_position(**{**FULL_POSITION, "w_norm": 2.01}), "video.source_position.w_norm"),
    (reframe_position(**{**FULL_POSITION, "x_norm": -2.5}), "video.source_position.x_norm"),
    (reframe_position(**{**FULL_POSITION, "y_norm": 3}), "video.source_position.y_norm"),
    (reframe_position(x_norm=0, y_norm=0, w_norm=1), "video.source_position.h_norm"),
]


@pytest.mark.parametrize(("body", "path"), INVALID, ids=[p for _, p in INVALID])
def test_invalid_requests_fail_at_their_path(body: dict[str, Any], path: str) -> None:
    found = errors_of(body)
    assert path in [e.path for e in found], found
    assert all(e.message and "pydantic" not in e.message for e in found)


def test_every_problem_is_reported_at_once() -> None:
    body = video(loop=True, duration="10s", hdr=True, exr_export=False, resolution="360p")
    assert sorted(paths_of(body)) == ["video.loop", "video.loop", "video.resolution"]


def test_messages_read_as_sentences() -> None:
    (error,) = errors_of({"prompt": "x" * 6001})
    assert error.message == "is 6001 characters; the limit is 6000"
    (error,) = errors_of(video(exr_export=True))
    assert error.message == "needs hdr turned on"
    (error,) = errors_of({"prompt": "p", "type": "video", "model": "uni-1"})
    assert error.message == "uni-1 makes images; type video needs ray-3.2"
    (error,) = errors_of(video(keyframes=keyframes(2), keyframe_indexes=[0, 121]))
    assert "a 5s video has frames 0..120" in error.message
    (error,) = errors_of({"prompt": "p", "image_ref": [{"data": "data:image/png;base64,AAAA"}]})
    assert "not a data: URL" in error.message


def test_model_defaults_to_the_types_natural_model() -> None:
    assert GenerationRequest(prompt="p").effective_model is Model.UNI_1
    assert GenerationRequest(prompt="p").effective_type is GenerationType.IMAGE
    req = GenerationRequest.model_validate(video())
    assert req.effective_model is Model.RAY_3_2
    assert "model" not in req.to_json()


def test_json_leaves_out_every_field_not_set() -> None:
    req = GenerationRequest.model_validate(
        {"prompt": "p", "type": "video", "video": {"duration": "5s", "start_frame": {"url": URL}}}
    )
    assert req.to_json() == {
        "prompt": "p",
        "type": "video",
        "video": {"duration": "5s", "start_frame": {"url": URL}},
    }


def test_generation_ids_are_normalised() -> None:
    ref = ImageRef(generation_id=GID.upper())
    assert ref.generation_id == GID


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("video", "keyframe_indexes", 2), "video.keyframe_indexes[2]"),
        (("image_ref", 9), "image_ref[9]"),
        (("source",), "source"),
        ((), ""),
    ],
)
def test_json_path(loc: tuple[str | int, ...], path: str) -> None:
    assert json_path(loc) == path


def generation(**fields: Any) -> dict[str, Any]:
    """A Generation reply with the required fields and `fields` on top."""
    return {
        "id": GID,
        "created_at": "2026-11-27T10:00:00Z",
        "model": "uni-1",
        "state": "queued",
        "type": "image",
        **fields,
    }


def test_generation_parses_the_reference_example() -> None:
    gen = Generation.model_validate(
        generation(
            state="failed",
            failure_code="content_moderated",
            failure_reason="r",
            output=[{"type": "image", "url": "https://example.com"}],
        )
    )
    assert gen.is_terminal
    assert gen.output is not None and gen.output[0].url == "https://example.com"


def test_generation_keeps_values_it_does_not_know() -> None:
    gen = Generation.model_validate(
        generation(model="uni-2", state="paused", type="audio", failure_code="new_code", eta=3)
    )
    assert (gen.model, gen.state, gen.type, gen.failure_code) == (
        "uni-2",
        "paused",
        "audio",
        "new_code",
    )
    assert not gen.is_terminal
    assert gen.model_extra == {"eta": 3}


@pytest.mark.parametrize("missing", ["id", "created_at", "model", "state", "type"])
def test_generation_missing_a_field_names_it(missing: str) -> None:
    body = generation()
    del body[missing]
    with pytest.raises(ValidationError) as caught:
        Generation.model_validate(body)
    assert [e.path for e in field_errors(caught.value)] == [missing]


@pytest.mark.parametrize("bad_id", ["../../x", "not-a-uuid", ""])
def test_generation_id_must_be_a_uuid(bad_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Generation.model_validate(generation(id=bad_id))
    assert [e.path for e in field_errors(caught.value)] == ["id"]
