"""The one media sniffer: every format either side knows, and the engine and simulator agree."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import pytest

from lumatui.api.sniff import media_kind, sniff_mime
from lumatui.engine.media import verify_file
from lumatui.sim.media import UnsupportedMedia, VideoJob, probe, render_video

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"GIF87a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x20mdat", "video/quicktime"),
        (b"\x00\x00\x10\x00moov\x00\x00\x00\x6cmvhd", "video/quicktime"),
        (b"\x00\x00\x00\x14ftyp3gp5\x00\x00\x00\x00isom", "video/3gpp"),
        (b"\x00\x00\x00\x14ftyp3g2a\x00\x00\x00\x00isom", "video/3gpp"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00avif", "image/avif"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"v/1\x01\x02\x00\x00\x00", "image/x-exr"),
        (b"<!DOCTYPE html><html>", None),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A ", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_sniff_mime(head: bytes, mime: str | None) -> None:
    assert sniff_mime(head) == mime
    if mime is not None:
        assert media_kind(mime) == mime.split("/")[0]


@pytest.fixture(scope="module")
def mp4() -> bytes:
    """A rendered 2 s MP4 at a tiny size (its first box is a 32-byte ftyp, then an 8-byte free)."""
    data = render_video(VideoJob("sniff me", "video", "16:9", 2, 1, 64))
    assert data[4:8] == b"ftyp" and struct.unpack(">I", data[:4])[0] == 32
    assert data[36:40] == b"free"
    return data


def old_quicktime(mp4: bytes) -> bytes:
    """The same movie as an old QuickTime file: a `wide` atom first, no `ftyp` (offsets kept)."""
    return b"\x00\x00\x00\x08wide" + struct.pack(">I", 32) + b"free" + bytes(24) + mp4[40:]


def three_gpp(mp4: bytes) -> bytes:
    """The same movie branded as 3GPP."""
    return mp4[:8] + b"3gp5" + mp4[12:]


@pytest.mark.parametrize(
    ("convert", "mime"), [(old_quicktime, "video/quicktime"), (three_gpp, "video/3gpp")]
)
def test_the_engine_and_the_simulator_agree(
    mp4: bytes, tmp_path: Path, convert: Callable[[bytes], bytes], mime: str
) -> None:
    data = convert(mp4)
    path = tmp_path / "video"
    path.write_bytes(data)
    engine = verify_file(path)
    simulator = probe(data)
    assert engine.mime == simulator.mime == mime
    assert (engine.width, engine.height) == (simulator.width, simulator.height) == (64, 36)


def test_a_still_the_simulator_cannot_decode_is_named_not_unknown() -> None:
    with pytest.raises(UnsupportedMedia, match="image/x-exr"):
        probe(b"v/1\x01\x02\x00\x00\x00" + bytes(64))
