"""Every kind of problem appears under its own field, counted, and blocks ctrl+j."""

from __future__ import annotations

from lumatui.api.schema import GenerationRequest
from lumatui.tui.widgets.composer import Composer
from tests.tui.composer_host import running
from tests.tui.keyboard import burst

ID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
IDS = [f"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab2{i:02d}" for i in range(12)]


async def test_typing_a_prompt_makes_a_valid_request() -> None:
    async with running() as s:
        await burst(s.pilot, *"a red fox")
        await s.settle()
        assert s.composer.to_request() == GenerationRequest(prompt="a red fox", type="image")
        changed = s.posted(Composer.Changed)[-1]
        assert changed.valid and changed.problems == []
        assert "ready" in s.bar()


async def test_a_6001_character_prompt() -> None:
    async with running() as s:
        await s.prompt("x" * 6001)
        assert "is 6001 characters; the limit is 6000" in s.under("prompt")
        assert "6001 / 6000" in str(s.composer.query_one(".prompt-count").render())
        assert "1 problem" in s.bar()
        assert s.composer.to_request() is None


async def test_a_user_id_too_long() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.fill("user-id", "u" * 257)
        assert "user_id: is 257 characters; the limit is 256" in s.under("user_id")
        assert not s.composer.query_one("#advanced").collapsed  # type: ignore[attr-defined]


async def test_a_tenth_reference_image() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.rows("image-refs", *IDS[:10])
        assert "too many reference images" in s.under("image_ref[9]")
        assert s.under("image_ref[8]") == ""
        assert "1 problem" in s.bar()


async def test_a_bad_url_and_a_short_id_in_reference_rows() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.rows("image-refs", "https:///cat.png", "182bd5e5", ID)
        assert "must be a public http(s) URL" in s.under("image_ref[0]")
        assert "is a short id" in s.under("image_ref[1]")
        assert s.under("image_ref[2]") == ""
        assert "2 problems" in s.bar()


async def test_keyframe_indexes_duplicate_and_out_of_range() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.rows("keyframes", ID, IDS[1], IDS[2], indexes=["5", "5", "400"])
        assert "frame 5 is used twice" in s.under("video.keyframe_indexes[1]")
        assert "frame 400 is past the end: a 5s video has frames 0..120" in s.under(
            "video.keyframe_indexes[2]"
        )
        assert "2 problems" in s.bar()


async def test_a_field_error_does_not_hide_the_cross_field_rules() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.rows("keyframes", "https:///bad.png", ID, indexes=["7", "7"])
        await s.choose("duration", "10s")
        await s.flip("loop")
        assert "must be a public http(s) URL" in s.under("video.keyframes[0]")
        assert "used twice" in s.under("video.keyframe_indexes[1]")
        assert "not supported with a 10s duration" in s.under("video.loop")
        assert "cannot be combined with loop" in s.under("video.keyframes")
        assert "4 problems" in s.bar()


async def test_a_missing_frame_index() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.rows("keyframes", ID, indexes=[""])
        assert "needs a frame position" in s.under("video.keyframe_indexes[0]")


async def test_loop_with_10s() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.choose("duration", "10s")
        await s.flip("loop")
        assert "is not supported with a 10s duration" in s.under("video.loop")


async def test_exr_without_hdr_and_hdr_at_360p() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.flip("exr")
        assert "needs hdr turned on" in s.under("video.exr_export")
        await s.flip("exr", on=False)
        await s.flip("hdr")
        await s.choose("resolution", "360p")
        assert "360p is SDR only" in s.under("video.resolution")
        assert s.under("video.exr_export") == ""


async def test_hdr_at_540p_is_a_warning_that_does_not_block() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video")
        await s.flip("hdr")
        await s.choose("resolution", "540p")
        assert "! video.resolution: hdr needs 720p or 1080p" in s.under("video.resolution")
        assert "1 warning" in s.bar()
        assert s.composer.to_request() is not None


async def test_source_missing_for_image_edit() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "image_edit")
        assert s.under("source") == ""  # a new empty field is not an error yet...
        assert "not ready" in s.bar() and "problem" not in s.bar()
        await s.pilot.press("ctrl+j")  # ...until ctrl+j asks for the request
        await s.settle()
        assert "is required for image_edit" in s.under("source")
        assert "1 problem" in s.bar()


async def test_a_partial_source_position() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video_reframe")
        await s.ref("source", ID)
        s.composer.query(".position-part").first().value = "0.1"  # type: ignore[attr-defined]
        await s.settle()
        message = s.under("video.source_position")
        assert "give all four of x, y, w and h, or none (missing y, w, h)" in message
        assert "1 problem" in s.bar()


async def test_a_control_out_of_range() -> None:
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video_edit")
        await s.ref("source", ID)
        await s.fill("blur", "1.5")
        assert "must be at most 1" in s.under("video.edit.controls.depth.blur")
        assert "1 problem" in s.bar()


async def test_ctrl_j_submits_only_a_valid_form() -> None:
    async with running() as s:
        await s.pilot.press("ctrl+j")
        await s.settle()
        assert s.posted(Composer.SubmitRequested) == []
        notes = list(s.app._notifications)
        assert notes and "Not sent: 1 problem" in notes[-1].message
        await burst(s.pilot, *"a heron")
        await s.pilot.press("ctrl+j")
        await s.settle()
        [sent] = s.posted(Composer.SubmitRequested)
        assert sent.request == GenerationRequest(prompt="a heron", type="image")
        assert sent.price is not None and sent.price.usd == 0.0404
        # The form keeps its values: the next variation is one edit away.
        assert s.composer.to_request() == sent.request
