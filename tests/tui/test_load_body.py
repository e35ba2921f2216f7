"""ctrl+l: a request body from a file or pasted JSON; its unknown fields kept, warned, confirmed."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest
from textual import events
from textual.widgets import Input, Select, TextArea

from lumatui import __version__
from lumatui.tui import body_source
from lumatui.tui.body_source import BodyError, parse_body_text, read_body_file
from lumatui.tui.screens.confirm import ConfirmScreen
from lumatui.tui.screens.load_body import LoadBodyScreen
from lumatui.tui.widgets.composer.request_preview import RequestPreview
from tests.tui.conftest import settle, wait_until
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BODY: dict[str, Any] = {
    "prompt": "a lighthouse at dusk",
    "aspect_ratio": "16:9",
    "guide_frame": {"index": 3},
    "image_ref": [{"url": "https://example.com/a.png", "weight": 0.5}],
}
UNKNOWN = ["guide_frame", "image_ref[0].weight"]


# -- reading a body: every problem in plain words -------------------------------------------


def test_a_body_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY), encoding="utf-8")
    assert read_body_file(f" {path} ") == BODY


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "does not exist."),
        ("folder", "is a folder, not a file."),
        ('{"prompt": "x",\n "type": }', "is not JSON: Expecting value at line 2, column 10."),
        ("[1, 2]", "holds a list, not an object: a request body is a JSON object, {...}."),
        ('"a prompt"', "holds a string, not an object"),
        ("null", "holds null, not an object"),
        ("   ", "is empty: a request body is a JSON object"),
        ("[" * 100 + "]" * 100, "nests more than 64 levels deep."),
        (b"\xff\xfe{}", "is not JSON: it is not even UTF-8 text."),
    ],
)
def test_what_is_wrong_with_a_file_is_said_in_plain_words(
    tmp_path: Path, content: str | bytes | None, words: str
) -> None:
    path = tmp_path / "body.json"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BodyError) as caught:
        read_body_file(str(path))
    assert str(caught.value).startswith(f"{path} {words}")


def test_a_file_too_big_is_refused_from_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body_source, "MAX_BODY_BYTES", 2 * 1024 * 1024)
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: never read
    with pytest.raises(BodyError, match=r"huge.json is too big for a request body: 3 MB, the lim"):
        read_body_file(str(path))


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(BodyError, match="is not a regular file"):
        read_body_file(str(fifo))


def test_pasted_text_names_itself() -> None:
    with pytest.raises(BodyError, match=r"^The pasted JSON is not JSON: Expecting ',' delimiter"):
        parse_body_text('{"a": 1 "b": 2}', "The pasted JSON")


# -- the dialog and the composer ------------------------------------------------------------


async def open_dialog(app: LumaApp, pilot: Pilot[None]) -> LoadBodyScreen:
    """ctrl+l from the prompt: the dialog, focus in its path box."""
    await wait_until(pilot, lambda: app.engine_started)
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: isinstance(app.screen, LoadBodyScreen))
    screen = app.screen
    assert isinstance(screen, LoadBodyScreen)
    return screen


def jobs(app: LumaApp) -> list[Any]:
    """The jobs in the history."""
    assert app.engine is not None
    return app.engine.store.page(app.main_screen.job_list.job_query)


async def test_a_file_s_known_fields_fill_the_form_and_unknown_ones_are_confirmed(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY), encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dialog(app, pilot)
        screen.query_one("#body-path", Input).value = str(tmp_path / "missing.json")
        await pilot.press("enter")
        problem = screen.query_one("#body-problem")
        await wait_until(pilot, lambda: "does not exist" in str(problem.render()))
        assert app.screen is screen  # still open: the path can be corrected
        screen.query_one("#body-path", Input).value = str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LoadBodyScreen))
        composer = app.main_screen.composer
        assert composer.query_one("#prompt-text", TextArea).text == "a lighthouse at dusk"
        assert composer.query_one("#aspect-ratio", Select).value == "16:9"
        line = composer.query_one("#unknown-fields")
        assert line.display
        assert str(line.render()) == (
            f"not known to lumatui {__version__}; sent as is: guide_frame, image_ref[0].weight"
        )
        await pilot.press("ctrl+o")
        shown = composer.query_one(RequestPreview).body
        assert shown is not None
        assert shown["guide_frame"] == {"index": 3}
        assert shown["image_ref"] == [{"url": "https://example.com/a.png", "weight": 0.5}]
        # ctrl+j asks; cancel sends nothing.
        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "guide_frame, image_ref[0].weight" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert jobs(app) == []
        # Sent as is once the person agrees.
        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: bool(jobs(app)))
        (job,) = jobs(app)
        sent = json.loads(job.request_json)
        assert sent["guide_frame"] == {"index": 3}
        assert sent["image_ref"] == [{"url": "https://example.com/a.png", "weight": 0.5}]
        assert sent["prompt"] == "a lighthouse at dusk"


async def test_keys_typed_while_the_file_is_read_land_in_the_loaded_prompt(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"prompt": "a lighthouse", "type": "image"}), encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dialog(app, pilot)
        screen.query_one("#body-path", Input).value = str(path)
        await burst(pilot, "enter", "end", *" at dusk")
        await wait_until(pilot, lambda: not isinstance(app.screen, LoadBodyScreen))
        await settle(pilot)
        prompt = app.main_screen.composer.query_one("#prompt-text", TextArea)
        assert prompt.text == "a lighthouse at dusk"
        assert app.keys_held_by == []


async def test_a_known_body_sends_without_asking_and_bad_fields_get_their_errors(
    make_app: Callable[..., LumaApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dialog(app, pilot)
        screen.pasted.focus()
        await pilot.pause()
        bad = {"prompt": "waves", "type": "video", "video": {"duration": "7s"}}
        screen.post_message(events.Paste(json.dumps(bad)))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, LoadBodyScreen))
        composer = app.main_screen.composer
        assert not composer.query_one("#unknown-fields").display
        assert composer.query_one("#type", Select).value == "video"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert composer.to_request() is None
        errors = [str(e) for e in composer.view.checked.errors]  # type: ignore[union-attr]
        assert any(e.startswith("video.duration") for e in errors)
        assert jobs(app) == []


async def test_a_big_paste_as_one_event_or_as_keys_arrives_whole_and_in_order(
    make_app: Callable[..., LumaApp],
) -> None:
    big = {**BODY, "prompt": "p " + "x" * 9000, "notes": ["é", "\t", "{|}"] * 3000}
    text = json.dumps(big, indent=2)
    assert len(text) > 60_000
    # As a terminal sends keys without bracketed paste: newlines as ctrl+j (a raw LF) or
    # enter (CR), indentation as tab; the text area types every one of them.
    typed = {"prompt": "a {red|blue} fox", "extra": {"a": [1, 2, 3]}, "z": "last"}
    lines = json.dumps(typed, indent=1).split("\n")
    keys: list[str] = []
    for n, line in enumerate(lines):
        if n:
            keys.append("ctrl+j" if n % 2 else "enter")
        keys.extend(line)
    keys.append("tab")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dialog(app, pilot)
        area = screen.pasted
        area.focus()
        await pilot.pause()
        screen.post_message(events.Paste(text))
        await wait_until(pilot, lambda: len(area.text) == len(text))
        assert parse_body_text(area.text) == big
        area.clear()
        await burst(pilot, *keys)
        assert area.has_focus  # the tab stayed in the text
        assert parse_body_text(area.text) == typed
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, LoadBodyScreen))
        composer = app.main_screen.composer
        assert composer.unknown.paths == ["extra", "z"]
        # Loading another body replaces them (the pasted one was a draft: asked first).
        screen = await open_dialog(app, pilot)
        screen.pasted.focus()
        await pilot.pause()
        screen.post_message(events.Paste('{"prompt": "plain"}'))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("r")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert composer.unknown.fields == []
        assert not composer.query_one("#unknown-fields").display


async def test_escape_cancels_and_a_draft_is_not_replaced_unasked(
    make_app: Callable[..., LumaApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await burst(pilot, *"my own idea")
        screen = await open_dialog(app, pilot)
        screen.pasted.focus()
        await pilot.pause()
        screen.post_message(events.Paste('{"prompt": "loaded", "odd": 1}'))
        await pilot.press("escape")  # from the text area: the dialog closes
        await wait_until(pilot, lambda: not isinstance(app.screen, LoadBodyScreen))
        composer = app.main_screen.composer
        prompt = composer.query_one("#prompt-text", TextArea)
        assert prompt.text == "my own idea"
        screen = await open_dialog(app, pilot)
        screen.pasted.focus()
        await pilot.pause()
        screen.post_message(events.Paste('{"prompt": "loaded", "odd": 1}'))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keep my draft
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert prompt.text == "my own idea" and composer.unknown.fields == []


async def test_unknown_fields_outlive_a_type_change_and_a_restart_and_can_be_dropped(
    make_app: Callable[..., LumaApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dialog(app, pilot)
        screen.pasted.focus()
        await pilot.pause()
        screen.post_message(events.Paste(json.dumps(BODY)))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, LoadBodyScreen))
        composer = app.main_screen.composer
        composer.query_one("#type", Select).value = "video"
        await settle(pilot)  # the video groups are mounted
        assert composer.unknown.paths == UNKNOWN  # kept: lumatui cannot know where they apply
        # A video has no image_ref: that field has no place, and is not sent.
        assert composer.unknown.sent_paths == ["guide_frame"]
        assert str(composer.query_one("#unknown-fields").render()).endswith(
            "sent as is: guide_frame; kept, not sent (no place for them in this request): "
            "image_ref[0].weight"
        )
        assert "image_ref" not in composer.draft_body()
        composer.query_one("#type", Select).value = "image"
        await settle(pilot)
        assert composer.draft_body()["guide_frame"] == {"index": 3}
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: again.engine_started)
        composer = again.main_screen.composer
        await wait_until(pilot, lambda: bool(composer.unknown.fields))
        assert sorted(composer.unknown.paths) == UNKNOWN
        assert composer.query_one("#unknown-fields").display
        screen_ = again.main_screen
        (drop,) = [e for e in screen_.palette_extras() if e.description.startswith("Drop the")]
        assert drop.run is not None
        drop.run()
        await pilot.pause()
        assert composer.unknown.fields == []
        assert not composer.query_one("#unknown-fields").display
        await pilot.press("ctrl+j")  # a known body again: sent without asking
        await wait_until(pilot, lambda: bool(jobs(again)))
        assert "guide_frame" not in json.loads(jobs(again)[0].request_json)
