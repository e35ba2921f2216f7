"""Local files as image references: every bad path refused with one clear sentence."""

from __future__ import annotations

import base64
import io
import os
import socket
import stat
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.engine.local_refs import (
    LocalRefError,
    RefKind,
    classify_ref_text,
    complete_path,
    load_local_ref,
)

if TYPE_CHECKING:
    from pathlib import Path

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40


@pytest.fixture(scope="module")
def mp4() -> bytes:
    """A real, tiny H.264 MP4 (8 frames of 16x16)."""
    import av
    from PIL import Image

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream: Any = container.add_stream("libx264", rate=8)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for n in range(8):
            frames: Any = av.VideoFrame  # from_image is untyped
            frame = frames.from_image(Image.new("RGB", (16, 16), (n * 30, 0, 0)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    """A real PNG made with Pillow."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_a_png_loads_as_base64_with_its_sniffed_type(tmp_path: Path) -> None:
    content = png_bytes()
    path = tmp_path / "cat.jpg"  # the extension lies; the content decides
    path.write_bytes(content)
    ref = load_local_ref(path)
    assert ref.media_type == "image/png"
    assert ref.data is not None
    assert base64.b64decode(ref.data) == content
    assert ref.url is None and ref.generation_id is None


def test_a_tilde_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "pic.png").write_bytes(png_bytes())
    assert load_local_ref("~/pic.png").media_type == "image/png"


def test_a_video_loads_where_a_video_is_wanted(tmp_path: Path, mp4: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4)
    assert load_local_ref(path, want="video").media_type == "video/mp4"


def test_a_video_that_is_only_a_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4_HEAD)
    assert "cannot be used: not a playable video" in refused(path, want="video")


def test_a_cut_video_is_refused(tmp_path: Path, mp4: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4[: len(mp4) // 2])
    assert "cannot be used" in refused(path, want="video")


def test_a_png_with_garbage_after_its_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    path.write_bytes(png_bytes()[:33] + os.urandom(200))  # signature and IHDR, then noise
    assert "cannot be used: corrupt or truncated PNG" in refused(path)


def test_a_png_with_an_archive_appended_is_refused(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload.txt", "not an image")
    path = tmp_path / "polyglot.png"
    path.write_bytes(png_bytes() + archive.getvalue())
    assert "an archive (ZIP) is appended to it" in refused(path)


def test_bytes_after_the_end_of_a_png_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    path.write_bytes(png_bytes() + b"hidden")
    assert "6 bytes follow the end of the PNG" in refused(path)


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb + chunk(b"IEND", b""))
    assert "image too large" in refused(path)


def refused(path: str | Path, **kwargs: object) -> str:
    """The sentence load_local_ref refuses `path` with."""
    with pytest.raises(LocalRefError) as caught:
        load_local_ref(path, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.png"
    message = refused(path)
    assert str(path) in message and "does not exist" in message


def test_a_directory(tmp_path: Path) -> None:
    assert "is a directory" in refused(tmp_path)


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    # Opening a FIFO with no writer would block forever; refusing it proves it was not opened.
    assert "FIFO" in refused(fifo)


def test_a_device() -> None:
    message = refused("/dev/null")
    assert "/dev/null" in message and "a device" in message


def test_a_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert "a socket" in refused(path)
    finally:
        server.close()


def test_a_symlink_loop(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.symlink_to(b)
    b.symlink_to(a)
    assert "symlink loop" in refused(a)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    path.write_bytes(png_bytes())
    path.chmod(0)
    try:
        assert "permission denied" in refused(path)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()
    assert "is empty" in refused(path)


def test_a_200_mb_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written or read
    message = refused(path)
    assert "200 MB" in message and "limit" in message and "50 MB" in message


def test_the_limit_is_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png_bytes())
    assert "limit" in refused(path, max_bytes=10)


def test_a_text_file_called_png(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("just some words\n", encoding="utf-8")
    message = refused(path)
    assert "is not an image" in message and "looks like text" in message


def test_an_html_page_called_png(tmp_path: Path) -> None:
    path = tmp_path / "error.png"
    path.write_text("<!DOCTYPE html><html><body>502</body></html>", encoding="utf-8")
    assert "looks like HTML" in refused(path)


def test_a_video_where_an_image_is_wanted_and_the_reverse(tmp_path: Path) -> None:
    video = tmp_path / "clip.png"
    video.write_bytes(MP4_HEAD)
    assert "is a video (video/mp4), but an image is needed" in refused(video)
    image = tmp_path / "still.mp4"
    image.write_bytes(png_bytes())
    assert "is an image (image/png), but a video is needed" in refused(image, want="video")


def test_control_characters_in_a_path_do_not_reach_the_message(tmp_path: Path) -> None:
    message = refused(tmp_path / "evil\x1b]0;owned\x07.png")
    assert "\x1b" not in message and "\x07" not in message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", RefKind.EMPTY),
        ("   ", RefKind.EMPTY),
        ("https://example.com/cat.png", RefKind.URL),
        ("HTTP://example.com/cat.png", RefKind.URL),
        ("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", RefKind.GENERATION_ID),
        ("182bd5e5", RefKind.GENERATION_ID),
        ("182bd5e5-6e1a", RefKind.GENERATION_ID),
        ("182bd5e", RefKind.PATH),  # 7 hex digits: too short to be an id
        ("ftp://example.com/cat.png", RefKind.PATH),
        ("~/cat.png", RefKind.PATH),
        ("./182bd5e5", RefKind.PATH),
        ("cat.png", RefKind.PATH),
    ],
)
def test_classify_ref_text(text: str, kind: RefKind) -> None:
    assert classify_ref_text(text) is kind


def test_complete_path_lists_matches_with_folders_marked(tmp_path: Path) -> None:
    folder = tmp_path / "pics"
    (folder / "cats").mkdir(parents=True)
    (folder / "cat.png").write_bytes(b"x")
    (folder / "dog.png").write_bytes(b"x")
    (folder / ".cache").mkdir()
    base = f"{folder}/"
    assert complete_path(base + "ca") == [base + "cat.png", base + "cats/"]
    assert complete_path(base) == [base + "cat.png", base + "cats/", base + "dog.png"]
    assert complete_path(base + ".") == [base + ".cache/"]
    assert complete_path(base, limit=1) == [base + "cat.png"]


def test_complete_path_keeps_the_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "pictures").mkdir()
    assert complete_path("~/pic") == ["~/pictures/"]
    assert complete_path("~") == ["~/"]


def test_complete_path_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shot.png").write_bytes(b"x")
    assert complete_path("sh") == ["shot.png"]
    assert complete_path("") == []


def test_complete_path_never_raises(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert complete_path(f"{locked}/x") == []
        assert complete_path(f"{tmp_path}/missing/x") == []
        assert complete_path(f"{tmp_path}/file.png/x") == []
    finally:
        locked.chmod(stat.S_IRWXU)
