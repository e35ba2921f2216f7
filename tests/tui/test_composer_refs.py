"""Local files in reference fields: completed, read in a worker, sniffed, refused with reasons."""

from __future__ import annotations

import base64
import io
import os
from typing import TYPE_CHECKING

from textual.widgets import Input

from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList
from tests.tui.composer_host import running
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from pathlib import Path


def make_png(path: Path) -> bytes:
    """A small real PNG, written to `path`."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return out.getvalue()


async def test_a_local_png_is_read_sniffed_and_encoded(tmp_path: Path) -> None:
    content = make_png(tmp_path / "photo.dat")  # the extension says nothing; the bytes do
    async with running() as s:
        await s.prompt("cat")
        await s.rows("image-refs", str(tmp_path / "photo.dat"))
        request = s.composer.to_request()
        assert request is not None and request.image_ref is not None
        [ref] = request.image_ref
        assert ref.media_type == "image/png"
        assert ref.data is not None and base64.b64decode(ref.data) == content
        status = s.composer.query_one("#image-refs .ref-status")
        assert "image/png" in str(status.render())
        assert s.under("image_ref[0]") == ""


async def test_a_text_file_called_png_is_refused_under_its_field(tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("remember the milk\n", encoding="utf-8")
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "image_edit")
        await s.ref("source", str(fake))
        message = s.under("source")
        assert "is not an image: it looks like text" in message and "notes.png" in message
        assert s.composer.to_request() is None
        assert "1 problem" in s.bar()
        # Nothing is lost: the path and the prompt are still there to fix.
        assert s.composer.query_one("#source", RefField).text == str(fake)


async def test_hostile_paths_each_say_what_is_wrong(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    cases = {
        str(fifo): "FIFO",
        str(big): "(200 MB) is not an image: not an image or video format",  # not read in
        str(loop): "symlink loop",
        str(tmp_path): "is a directory",
        str(tmp_path / "missing.png"): "does not exist",
        "/dev/null": "a device",
        str(tmp_path / "[bold]x[/bold]\x1b[31m.png"): "[bold]x[/bold].png does not exist",
    }
    async with running() as s:
        await s.prompt("cat")
        await s.rows("image-refs", *cases)
        for i, expected in enumerate(cases.values()):
            assert expected in s.under(f"image_ref[{i}]")
        assert f"{len(cases)} problems" in s.bar()


async def test_a_video_source_wants_a_video_file(tmp_path: Path) -> None:
    make_png(tmp_path / "still.png")
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "video_edit")
        await s.ref("source", str(tmp_path / "still.png"))
        assert "is an image (image/png), but a video is needed" in s.under("source")
        await s.choose("type", "image_edit")  # the same file is fine as an image source
        request = s.composer.to_request()
        assert request is not None and request.source is not None
        assert request.source.media_type == "image/png"


async def test_a_path_is_completed_as_you_type(tmp_path: Path) -> None:
    make_png(tmp_path / "sunset-final.png")
    async with running() as s:
        await s.choose("type", "image_edit")
        box = s.composer.query_one("#source .ref-text", Input)
        box.value = f"{tmp_path}/sun"  # set: typing a long path is not what is under test
        s.app.set_focus(box)
        await burst(s.pilot, "end", "s")  # focus selects it all: end, then type on
        await s.settle()
        await burst(s.pilot, "right")  # accept the suggestion, as in a shell
        await s.settle()
        assert box.value == f"{tmp_path}/sunset-final.png"
        assert "image/png" in str(s.composer.query_one("#source .ref-status").render())


async def test_rows_keep_their_loaded_files_when_another_row_goes(tmp_path: Path) -> None:
    make_png(tmp_path / "a.png")
    make_png(tmp_path / "b.png")
    async with running() as s:
        await s.prompt("cat")
        await s.rows("image-refs", str(tmp_path / "a.png"), str(tmp_path / "b.png"))
        refs = s.composer.query_one("#image-refs", RefList)
        refs.remove_row(refs.refs[0])
        await s.settle()
        request = s.composer.to_request()
        assert request is not None and request.image_ref is not None
        assert len(request.image_ref) == 1 and request.image_ref[0].media_type == "image/png"
        assert refs.refs[0].path == "image_ref[0]"


async def test_ctrl_j_right_after_a_path_waits_for_the_file_and_sends_it(tmp_path: Path) -> None:
    from lumatui.tui.widgets.composer import Composer

    content = make_png(tmp_path / "still.png")
    async with running() as s:
        await s.prompt("make it snow")
        await s.choose("type", "image_edit")
        s.app.set_focus(s.composer.query_one("#source .ref-text", Input))
        await burst(s.pilot, *str(tmp_path / "still.png"), "ctrl+j")
        [sent] = s.posted(Composer.SubmitRequested)
        source = sent.request.source
        assert source is not None and source.media_type == "image/png"
        assert source.data is not None and base64.b64decode(source.data) == content


async def test_an_uploaded_file_is_a_reference_by_its_id() -> None:
    file_id = "99999999-8888-4777-8666-555555555555"
    async with running() as s:
        await s.prompt("cat")
        await s.choose("type", "image_edit")
        await s.ref("source", f"file:{file_id}")
        request = s.composer.to_request()
        assert request is not None and request.source is not None
        assert request.source.file_id == file_id
        s.composer.load_body(request.to_json())  # shown back as typed
        assert s.composer.query_one("#source", RefField).text == f"file:{file_id}"
        await s.ref("source", "file:1234")
        assert "is not file:<the file's whole id>" in s.under("source")
