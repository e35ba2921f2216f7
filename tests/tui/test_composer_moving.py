"""Moving in the composer: tab cycles inside it, ctrl+u clears the prompt, the focused
field's label is highlighted; and the validation gaps a new user ran into."""

from __future__ import annotations

from textual.widgets import Input, Select, TextArea

from lumatui.tui.widgets.composer import Composer
from lumatui.tui.widgets.composer.ref_list import EMPTY_ROW, RefList
from tests.tui.composer_host import running
from tests.tui.keyboard import burst

ID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
VIDEO_ID = "0f6e3c4a-1b2d-4e5f-8a9b-0c1d2e3f4a5b"


def focused_id(s: object) -> str | None:
    focused = s.app.focused  # type: ignore[attr-defined]
    return None if focused is None else focused.id


async def test_tab_and_shift_tab_go_round_inside_the_composer() -> None:
    async with running() as s:
        composer = s.composer
        chain = [w for w in s.app.screen.focus_chain if composer in w.ancestors]
        assert chain[0].id == "type" and len(chain) > 5
        s.app.set_focus(chain[-1])
        await burst(s.pilot, "tab")
        assert s.app.focused is chain[0]  # after the last field, the first
        await burst(s.pilot, "shift+tab")
        assert s.app.focused is chain[-1]
        await burst(s.pilot, "tab", "tab", "tab")
        assert focused_id(s) == "prompt-text"


async def test_the_label_of_the_focused_field_is_highlighted() -> None:
    async with running() as s:
        prompt, model = s.field("prompt"), s.field("model")
        assert prompt.label_widget.has_class("-focused")
        await burst(s.pilot, "shift+tab")
        assert model.label_widget.has_class("-focused")
        assert not prompt.label_widget.has_class("-focused")
        highlighted = [
            f for f in s.composer.form.fields.values() if f.label_widget.has_class("-focused")
        ]
        assert highlighted == [model]


async def test_ctrl_u_clears_the_whole_prompt_and_ctrl_z_brings_it_back() -> None:
    async with running() as s:
        await burst(s.pilot, *"line one", "enter", *"line two")
        area = s.composer.query_one("#prompt-text", TextArea)
        assert area.text == "line one\nline two"
        await burst(s.pilot, "ctrl+u")
        assert area.text == ""
        assert "prompt: must not be empty" in s.under("prompt")  # touched: now it says so
        await burst(s.pilot, "ctrl+z")
        assert area.text == "line one\nline two"
        bindings = {b.id: b for _, b in area._bindings}
        assert bindings["composer.clear_prompt"].key == "ctrl+u"


async def test_nul_characters_and_a_blank_prompt_are_refused_by_the_form() -> None:
    async with running() as s:
        await s.prompt("   \n\t ")
        assert "prompt: is only spaces or line breaks" in s.under("prompt")
        await s.prompt("a fox\x00")
        assert "prompt: holds 1 NUL character" in s.under("prompt")
        await burst(s.pilot, "ctrl+j")
        assert s.posted(Composer.SubmitRequested) == []
        assert s.composer.to_request() is None


async def test_a_decimal_frame_index_is_an_error_not_frame_15() -> None:
    async with running() as s:
        await s.prompt("waves")
        await s.choose("type", "video")
        await s.rows("keyframes", ID)
        box = s.composer.query_one("#keyframes .ref-index", Input)
        s.app.set_focus(box)
        await burst(s.pilot, *"1.5")
        assert box.value == "1.5"
        assert "frame positions are whole numbers, such as 0 or 24 (got 1.5)" in s.under(
            "video.keyframe_indexes[0]"
        )
        await burst(s.pilot, "ctrl+j")
        assert s.posted(Composer.SubmitRequested) == []


async def test_a_new_empty_keyframe_row_asks_for_an_image_in_plain_words() -> None:
    async with running() as s:
        await s.prompt("waves")
        await s.choose("type", "video")
        keyframes = s.composer.query_one("#keyframes", RefList)
        s.app.set_focus(keyframes.query_one(".add-row"))
        await burst(s.pilot, "ctrl+n")
        assert EMPTY_ROW in s.under("video.keyframes[0]")
        await burst(s.pilot, "ctrl+j")
        text = s.under("video.keyframes[0]")
        assert "choose an image" in text and "exactly one of" not in text


async def test_a_reference_the_history_knows_is_the_wrong_kind() -> None:
    kinds = {ID: "image", VIDEO_ID: "video"}
    async with running(kind_lookup=kinds.get) as s:
        await s.prompt("make it snow")
        await s.choose("type", "image_edit")
        await s.ref("source", VIDEO_ID)
        await s.settle()
        assert (
            f"{VIDEO_ID[:8]} is a video in your history, but image_edit needs an image here"
            in s.under("source")
        )
        assert s.composer.to_request() is None
        await s.ref("source", ID)
        await s.settle()
        assert s.under("source") == ""
        request = s.composer.to_request()
        assert request is not None and request.source is not None


async def test_ctrl_j_waits_for_what_the_history_says_about_a_pasted_id() -> None:
    kinds = {VIDEO_ID: "video"}
    async with running(kind_lookup=kinds.get) as s:
        await s.choose("type", "image_edit")
        s.app.set_focus(s.composer.query_one("#source .ref-text", Input))
        await burst(s.pilot, *VIDEO_ID, "shift+tab", *"snow", "ctrl+j")
        assert s.composer.query_one("#prompt-text", TextArea).text == "snow"
        assert s.posted(Composer.SubmitRequested) == []
        assert "is a video in your history" in s.under("source")


async def test_the_type_select_keeps_the_models_of_each_family() -> None:
    async with running() as s:
        await s.choose("model", "uni-1-max")
        await s.choose("type", "video")
        assert s.composer.query_one("#model", Select).value == Select.NULL
        await s.choose("type", "image")
        assert s.composer.query_one("#model", Select).value == "uni-1-max"
