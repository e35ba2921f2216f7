"""The composer as a form: types, loading requests, server errors, price, preview, history."""

from __future__ import annotations

import base64
import json

import pytest
from textual.widgets import Input, TextArea

from lumatui.api.field_errors import FieldError
from lumatui.api.schema import GenerationRequest
from lumatui.tui.widgets.composer import Composer
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList
from lumatui.tui.widgets.composer.request_preview import RequestPreview
from tests.tui.composer_host import running
from tests.tui.keyboard import burst

ID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
ID2 = "0f6e3c4a-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
    "hQGAhKmMIQAAAABJRU5ErkJggg=="
)

REQUESTS = {
    "image": {
        "prompt": "a lighthouse\nat dusk [bold]",
        "type": "image",
        "model": "uni-1-max",
        "aspect_ratio": "16:9",
        "style": "manga",
        "output_format": "jpeg",
        "image_ref": [
            {"url": "https://example.com/a.png"},
            {"generation_id": ID},
            {"data": PNG_B64, "media_type": "image/png"},
        ],
        "user_id": "user-42",
    },
    "image_edit": {
        "prompt": "make it snow",
        "type": "image_edit",
        "source": {"generation_id": ID},
        "image_ref": [{"url": "https://example.com/b.jpg", "media_type": "image/jpeg"}],
    },
    "video": {
        "prompt": "waves",
        "type": "video",
        "model": "ray-3.2",
        "aspect_ratio": "21:9",
        "video": {
            "duration": "10s",
            "resolution": "1080p",
            "hdr": True,
            "exr_export": True,
            "keyframes": [{"generation_id": ID}, {"url": "https://example.com/k.png"}],
            "keyframe_indexes": [0, 240],
        },
    },
    "video_frames": {
        "prompt": "the door opens",
        "type": "video",
        "video": {
            "loop": True,
            "start_frame": {"generation_id": ID},
            "end_frame": {"url": "https://example.com/end.png"},
        },
    },
    "video_edit": {
        "prompt": "turn it to winter",
        "type": "video_edit",
        "source": {"url": "https://example.com/in.mp4", "media_type": "video/mp4"},
        "video": {
            "resolution": "720p",
            "edit": {
                "strength": "flex_2",
                "controls": {
                    "depth": {"enabled": True, "blur": 0.25},
                    "face": {"enabled": False},
                    "normals": {"augmentation": 0.5},
                    "pose": {"enabled": True, "strength": "coarse"},
                    "trajectory": {"enabled": False, "sparsity": 1.0},
                },
                "keyframes": [{"generation_id": ID2}],
                "keyframe_indexes": [12],
            },
        },
    },
    "video_edit_auto": {
        "prompt": "cartoon",
        "type": "video_edit",
        "source": {"generation_id": ID},
        "video": {"edit": {"auto_controls": True, "strength": "reimagine_3"}},
    },
    "video_reframe": {
        "prompt": "wider",
        "type": "video_reframe",
        "aspect_ratio": "1:1",
        "source": {"generation_id": ID},
        "video": {
            "resolution": "540p",
            "source_position": {"x_norm": -0.5, "y_norm": 0.25, "w_norm": 1.5, "h_norm": 2.0},
        },
    },
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_load_then_to_request_round_trips(name: str) -> None:
    request = GenerationRequest.model_validate(REQUESTS[name])
    async with running() as s:
        s.composer.load(request)
        assert s.composer.to_request() == request  # at once, before any refresh
        await s.settle()
        again = s.composer.to_request()
        assert again == request
        assert again is not None and again.to_json() == request.to_json()


async def test_switching_type_hides_fields_and_keeps_their_values() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("style", "manga")
        await s.rows("image-refs", ID)
        assert s.shown("style") and s.shown("image_ref") and not s.shown("video.duration")
        await s.choose("type", "video")
        assert not s.shown("style") and not s.shown("image_ref")
        assert s.shown("video.duration") and s.shown("video.loop")
        await s.choose("duration", "10s")
        request = s.composer.to_request()
        assert request is not None
        assert request.style is None and request.image_ref is None  # hidden: never sent
        assert request.model is None and request.video is not None
        assert request.video.duration == "10s"
        await s.choose("type", "image")
        back = s.composer.to_request()
        assert back is not None and back.style == "manga"
        assert back.image_ref is not None and back.image_ref[0].generation_id == ID
        assert back.video is None
        await s.choose("type", "video")
        forth = s.composer.to_request()
        assert forth is not None and forth.video is not None and forth.video.duration == "10s"


async def test_the_model_and_ratio_lists_follow_the_type() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("model", "uni-1-max")
        await s.choose("aspect-ratio", "3:1")
        await s.choose("type", "video")
        model = s.composer.query_one("#model")
        assert [v for _, v in model._options if isinstance(v, str)] == ["ray-3.2"]  # type: ignore[attr-defined]
        ratio_select = s.composer.query_one("#aspect-ratio")
        ratios = [v for _, v in ratio_select._options if isinstance(v, str)]  # type: ignore[attr-defined]
        assert "3:1" not in ratios and "21:9" in ratios
        await s.choose("type", "image")
        request = s.composer.to_request()
        assert request is not None
        assert request.model == "uni-1-max" and request.aspect_ratio == "3:1"


async def test_manual_controls_hide_under_auto_controls() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video_edit")
        await s.ref("source", ID)
        await s.fill("blur", "0.5")
        assert s.shown("video.edit.controls.depth.blur")
        await s.flip("auto-controls")
        assert not s.shown("video.edit.controls.depth.blur")
        request = s.composer.to_request()
        assert request is not None and request.video is not None
        assert request.video.edit is not None
        assert request.video.edit.auto_controls is True and request.video.edit.controls is None


async def test_a_video_source_url_asks_for_its_media_type() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video_edit")
        await s.ref("source", "https://example.com/in.mp4")
        media = s.composer.query_one("#source .ref-media", Input)
        assert media.display
        assert "media_type: is required with a source url on video_edit" in s.under("source")
        media.value = "video/mp4"
        await s.settle()
        request = s.composer.to_request()
        assert request is not None and request.source is not None
        assert request.source.media_type == "video/mp4"


async def test_server_errors_land_on_their_fields() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.rows("keyframes", ID, ID2, indexes=["0", "10"])
        s.composer.show_server_errors(
            [
                FieldError("video.keyframe_indexes[1]", "frame 10 is not a keyframe slot"),
                FieldError("prompt", "content policy [red]x[/red]"),
                FieldError("video.turbo", "is not a field"),
            ]
        )
        await s.pilot.pause()
        assert "server: video.keyframe_indexes[1]: frame 10" in s.under("video.keyframe_indexes[1]")
        assert "content policy [red]x[/red]" in s.under("prompt")  # literal, not markup
        assert "video.turbo: is not a field" in s.general()
        await s.prompt("cat, again")  # an edit makes the server's verdict stale
        assert "server" not in s.under("prompt") and s.general() == ""


async def test_markup_and_control_characters_are_sent_as_typed() -> None:
    typed = "[bold]x[/bold] \x1b[31mred\x1b[0m [link=https://e.vil]y[/link]"
    async with running() as s:
        s.composer.query_one("#prompt-text", TextArea).insert(typed)
        await s.fill("user-id", "[i]me[/i]\x07")
        await s.settle()
        request = s.composer.to_request()
        assert request is not None
        assert request.prompt == typed and request.user_id == "[i]me[/i]\x07"
        s.composer.action_toggle_preview()
        await s.settle()  # rendering the literal text must not raise a markup error
        preview = s.composer.query_one(RequestPreview)
        assert json.loads(preview.json_text)["prompt"] == typed


async def test_price_for_uni_1_with_two_refs() -> None:
    async with running() as s:
        await s.prompt("cat")
        assert "$0.0404" in s.bar()
        await s.rows("image-refs", ID, ID2)
        assert "$0.0464" in s.bar()
        price = s.posted(Composer.Changed)[-1].price
        assert price is not None and price.usd == 0.0464 and not price.estimate


async def test_video_price_is_an_estimate_and_overrides_apply() -> None:
    async with running(price_overrides={"ray-3.2.video.720p": None}) as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        assert "price unknown" in s.bar()
        await s.choose("resolution", "540p")
        assert "≈ $0.15 (estimate)" in s.bar()


async def test_the_json_preview_shows_the_exact_body() -> None:
    async with running() as s:
        await s.prompt("a tree")
        await s.choose("aspect-ratio", "3:2")
        await s.rows("image-refs", ID)
        await s.pilot.press("ctrl+o")
        await s.settle()
        preview = s.composer.query_one(RequestPreview)
        assert preview.region.height > 0
        request = s.composer.to_request()
        assert request is not None
        assert preview.json_text == json.dumps(request.to_json(), indent=2)
        assert json.loads(preview.json_text) == {
            "prompt": "a tree",
            "type": "image",
            "aspect_ratio": "3:2",
            "image_ref": [{"generation_id": ID}],
        }


async def test_the_preview_abbreviates_inline_data_but_sends_it_whole() -> None:
    data = base64.b64encode(bytes(range(256)) * 8).decode("ascii")
    request = GenerationRequest.model_validate(
        {"prompt": "x", "type": "image", "image_ref": [{"data": data, "media_type": "image/png"}]}
    )
    async with running() as s:
        s.composer.load(request)
        s.composer.action_toggle_preview()
        await s.settle()
        preview = s.composer.query_one(RequestPreview)
        assert "<base64, 2 KB>" in preview.json_text and data not in preview.json_text
        sent = s.composer.to_request()
        assert sent is not None and sent.image_ref is not None
        assert sent.image_ref[0].data == data


async def test_prompt_history_recalls_with_up_and_down() -> None:
    async with running() as s:
        s.composer.remember("first idea")
        s.composer.remember("second idea")
        await burst(s.pilot, *"draft")
        await s.pilot.press("up")
        await s.settle()
        assert s.composer.query_one("#prompt-text", TextArea).text == "second idea"
        await s.pilot.press("up")
        assert s.composer.query_one("#prompt-text", TextArea).text == "first idea"
        await s.pilot.press("down", "down")
        await s.settle()
        assert s.composer.query_one("#prompt-text", TextArea).text == "draft"
        request = s.composer.to_request()
        assert request is not None and request.prompt == "draft"


async def test_up_inside_a_multi_line_prompt_moves_the_cursor() -> None:
    async with running() as s:
        s.composer.remember("old")
        await burst(s.pilot, *"line one", "enter", *"line two")
        await s.pilot.press("up")
        area = s.composer.query_one("#prompt-text", TextArea)
        assert area.text == "line one\nline two" and area.cursor_location[0] == 0


async def test_rows_are_added_and_removed_by_key() -> None:
    async with running() as s:
        await s.prompt("cat")
        refs = s.composer.query_one("#image-refs", RefList)
        refs.query_one(".add-row").focus()
        await s.pilot.press("ctrl+n")
        await s.settle()
        assert len(refs.refs) == 1
        await burst(s.pilot, *ID)
        await s.pilot.press("ctrl+n")
        await s.settle()
        await burst(s.pilot, *ID2)
        await s.settle()
        assert [r.text for r in refs.refs] == [ID, ID2]
        refs.refs[0].focus_text()
        await s.pilot.press("ctrl+r")
        await s.settle()
        assert [r.text for r in refs.refs] == [ID2]
        request = s.composer.to_request()
        assert request is not None and request.image_ref is not None
        assert [r.generation_id for r in request.image_ref] == [ID2]
        bindings = {b.id for _, b in refs._bindings}
        assert {"composer.add_row", "composer.remove_row"} <= bindings


async def test_use_selected_fills_the_focused_reference_or_the_source() -> None:
    async with running() as s:
        await s.prompt("snow")
        await s.choose("type", "image_edit")
        s.composer.use_selected(ID)
        await s.settle()
        assert s.composer.query_one("#source", RefField).text == ID
        await s.rows("image-refs", "")
        s.composer.query_one("#image-refs", RefList).refs[0].focus_text()
        await s.settle()
        s.composer.use_selected(ID2)
        await s.settle()
        request = s.composer.to_request()
        assert request is not None and request.image_ref is not None
        assert request.image_ref[0].generation_id == ID2
        assert request.source is not None and request.source.generation_id == ID


async def test_use_selected_on_a_video_fills_the_start_frame() -> None:
    async with running() as s:
        await s.prompt("animate it")
        await s.choose("type", "video")
        s.composer.query_one("#type").focus()
        s.composer.use_selected(ID)
        await s.settle()
        request = s.composer.to_request()
        assert request is not None and request.video is not None
        assert request.video.start_frame is not None
        assert request.video.start_frame.generation_id == ID


async def test_a_layering_job_and_web_search_from_the_form() -> None:
    async with running() as s:
        await s.prompt("a fox in the snow")
        await s.flip("web-search")
        request = s.composer.to_request()
        assert request is not None and request.web_search is True
        await s.choose("type", "layering")
        assert not s.shown("web_search") and s.shown("layering.resolution")
        assert s.shown("source")
        await s.ref("source", "https://example.com/fox.png")
        await s.choose("layering-resolution", "2k")
        request = s.composer.to_request()
        assert request is not None
        body = request.to_json()
        assert body["type"] == "layering" and body["layering"] == {"resolution": "2k"}
        assert "web_search" not in body  # an image-only field, hidden: not sent
        await s.prompt("x" * 501)
        assert "at most 500" in s.under("prompt")
