"""Hostile input at the form level: kept literally, sent as typed, refused with a message.

The composer tests already cover the prompt and user_id with markup (test_composer_form),
each local-path case's message (test_composer_refs) and the 6,001-character prompt's
message (test_composer_validation). Here: markup and control characters in every other
text field (references, media type, frame indexes, source position), what reaches the
screen, and for each refusal that ctrl+j sends nothing and the rest of the form survives.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest
from textual.widgets import Input, Select, TextArea

from lumatui.tui.widgets.composer import Composer
from lumatui.tui.widgets.composer.error_line import ErrorLine
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList
from lumatui.tui.widgets.composer.request_preview import RequestPreview
from tests.tui.composer_host import Session, running
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from pathlib import Path

    from textual.widget import Widget

MARKUP = "[bold]x[/bold] [link=https://e.vil]y[/link] [red]"
CONTROLS = "\x07\x1b[31m\x1b]0;title\x07\x7f"
HOSTILE_URL = f"https://cdn.example.com/[bold]fox[/bold]{CONTROLS}.png?q=[red]1[/red]"
ID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"


def on_screen(widget: Widget) -> str:
    """The characters the widget sends to the terminal, line after line."""
    return "\n".join(
        "".join(segment.text for segment in widget.render_line(y))
        for y in range(widget.size.height)
    )


async def submit(s: Session) -> list[Composer.SubmitRequested]:
    """Press ctrl+j in the form; every SubmitRequested posted so far."""
    await s.pilot.press("ctrl+j")
    await s.settle()
    return s.posted(Composer.SubmitRequested)


def ref_in_row(s: Session, list_id: str, row: int) -> RefField:
    return s.composer.query_one(f"#{list_id}", RefList).refs[row]


def index_box(ref: RefField) -> Input:
    return ref.parent.parent.query_one(".ref-index", Input)  # type: ignore[union-attr]


async def test_image_references_keep_markup_and_controls_and_send_them_as_typed() -> None:
    async with running() as s:
        await s.prompt(f"a fox {MARKUP}")
        await s.rows("image-refs", HOSTILE_URL, ID)
        [sent] = await submit(s)
        refs = sent.request.image_ref
        assert refs is not None and refs[0].url == HOSTILE_URL and refs[1].generation_id == ID
        body = json.loads(s.composer.query_one(RequestPreview).json_text)
        assert body["image_ref"][0]["url"] == HOSTILE_URL
        # What is shown is the text, not what markup would make of it.
        assert "[bold]fox[/bold]" in on_screen(ref_in_row(s, "image-refs", 0)._text)
        assert "[bold]x[/bold]" in on_screen(s.composer.query_one("#prompt-text", TextArea))


async def test_video_fields_keep_markup_frame_boxes_take_only_numbers() -> None:
    async with running() as s:
        await s.choose("type", "video")
        await s.prompt("the fox runs")
        await s.ref("start-frame", HOSTILE_URL)
        await s.ref("end-frame", HOSTILE_URL.replace("fox", "owl"))
        [sent] = await submit(s)
        video = sent.request.video
        assert video is not None and video.start_frame is not None and video.end_frame
        assert video.start_frame.url == HOSTILE_URL
        assert video.end_frame.url == HOSTILE_URL.replace("fox", "owl")
        await s.ref("start-frame", "")
        await s.ref("end-frame", "")
        await s.rows("keyframes", HOSTILE_URL)
        box = index_box(ref_in_row(s, "keyframes", 0))
        box.focus()
        await burst(s.pilot, *"[b]", "4", *"[/b]")  # typed markup is refused, the digit kept
        await s.settle()
        assert box.value == "4"
        _, again = await submit(s)
        video = again.request.video
        assert video is not None and video.keyframes is not None
        assert video.keyframes[0].url == HOSTILE_URL and video.keyframe_indexes == [4]


async def test_pasted_markup_in_number_boxes_is_refused_literally_and_nothing_is_sent() -> None:
    async with running() as s:
        await s.choose("type", "video_reframe")
        await s.prompt("wider")
        await s.ref("source", HOSTILE_URL)
        media = s.composer.query_one("#source .ref-media", Input)
        media.value = f"video/mp4{MARKUP}"
        boxes = list(s.composer.query("#source-position Input").results(Input))
        for box, value in zip(boxes, ("[b]0.1[/b]", "0", "1", "1"), strict=True):
            box.value = value  # as a paste or a loaded request would put it
        await s.settle()
        assert await submit(s) == []
        notes = [str(n.message) for n in s.app._notifications]
        assert notes and notes[-1].startswith("Not sent: 2 problems")
        position = s.under("video.source_position")
        assert "[b]0.1[/b]" in position  # named literally in the message
        assert "must be a MIME type" in s.under("source")
        for line in s.composer.query(ErrorLine):
            if line.display and line.plain:
                assert line.plain.replace("\n", " ")[:40] in on_screen(line).replace("\n", " ")
        # Nothing lost: every box still holds what was put there.
        assert [box.value for box in boxes] == ["[b]0.1[/b]", "0", "1", "1"]
        assert media.value == f"video/mp4{MARKUP}"
        assert s.composer.query_one("#source", RefField).text == HOSTILE_URL


async def test_control_characters_never_reach_the_terminal_raw() -> None:
    async with running() as s:
        s.composer.query_one("#prompt-text", TextArea).insert(f"p{CONTROLS}q")
        await s.fill("user-id", f"me{CONTROLS}")
        await s.settle()
        for widget in (
            s.composer.query_one("#prompt-text", TextArea),
            s.composer.query_one("#user-id", Input),
        ):
            for line in on_screen(widget).split("\n"):
                assert not any(ord(c) < 32 or ord(c) == 127 for c in line), repr(line)


async def test_a_6001_character_prompt_is_not_sent_and_nothing_is_lost() -> None:
    async with running() as s:
        await s.prompt("x" * 6001)
        await s.choose("aspect-ratio", "16:9")
        await s.fill("user-id", "me")
        await s.rows("image-refs", ID)
        assert await submit(s) == []
        notes = [str(n.message) for n in s.app._notifications]
        assert notes and "Not sent: 1 problem" in notes[-1] and "6001" in notes[-1]
        prompt = s.composer.query_one("#prompt-text", TextArea)
        assert prompt.text == "x" * 6001
        assert s.composer.query_one("#aspect-ratio", Select).value == "16:9"
        assert s.composer.query_one("#user-id", Input).value == "me"
        assert ref_in_row(s, "image-refs", 0).text == ID
        prompt.focus()
        await s.pilot.press("end", "backspace")  # one character less: now it goes
        [sent] = await submit(s)
        assert sent.request.prompt == "x" * 6000 and sent.request.aspect_ratio == "16:9"


@pytest.fixture
def hostile_paths(tmp_path: Path) -> dict[str, str]:
    """Each local-path case, and the words its message must contain."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing on disk
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    fake = tmp_path / "notes.png"
    fake.write_text("remember the milk\n", encoding="utf-8")
    return {
        str(tmp_path): "is a directory",
        "/dev/null": "is a device",
        str(fifo): "FIFO",
        str(tmp_path / "missing.png"): "does not exist",
        str(loop): "symlink loop",
        str(big): "(200 MB) is not an image: not an image or video format",  # not read in
        str(fake): "is not an image: it looks like text",
        str(tmp_path / f"[bold]x[/bold]{CONTROLS}.png"): "[bold]x[/bold]",
    }


@pytest.mark.parametrize(("kind", "ref_id"), [("image_edit", "source"), ("video", "end-frame")])
async def test_each_bad_path_is_named_on_its_field_nothing_sent_nothing_lost(
    hostile_paths: dict[str, str], kind: str, ref_id: str
) -> None:
    async with running() as s:
        await s.choose("type", kind)
        await s.prompt(f"keep me {MARKUP}")
        await s.fill("user-id", "me")
        others: dict[str, Any] = {}
        if kind == "video":
            await s.ref("start-frame", ID)
            others["start-frame"] = ID
        else:
            await s.rows("image-refs", HOSTILE_URL)
        path = ref_id.replace("-", "_")
        field = s.composer.query_one(f"#{ref_id}", RefField)
        json_path = path if kind == "image_edit" else f"video.{path}"
        for typed, expected in hostile_paths.items():
            await s.ref(ref_id, typed)
            message = s.under(json_path)
            assert expected in message, (typed, message)
            line = next(line for line in s.composer.query(ErrorLine) if json_path in line.paths)
            assert expected in on_screen(line).replace("\n", " ")  # drawn literally
            assert await submit(s) == [], typed
            # Nothing lost: the path to fix and every other field are as they were.
            assert field.text == typed
            prompt = s.composer.query_one("#prompt-text", TextArea).text
            assert prompt == f"keep me {MARKUP}"
            assert s.composer.query_one("#user-id", Input).value == "me"
            for other, value in others.items():
                assert s.composer.query_one(f"#{other}", RefField).text == value
            if kind == "image_edit":
                assert ref_in_row(s, "image-refs", 0).text == HOSTILE_URL
        assert s.posted(Composer.SubmitRequested) == []
