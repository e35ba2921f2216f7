"""Small media files for the simulator tests."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

from PIL import Image


def png_bytes(
    width: int = 8, height: int = 8, colour: tuple[int, int, int] = (200, 40, 40)
) -> bytes:
    """A small PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def mp4_bytes(seconds: int, fps: int = 1, size: int = 16) -> bytes:
    """A tiny H.264 MP4 lasting `seconds` (one frame per second by default, so it is quick)."""
    import av

    frame_type: Any = av.VideoFrame
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            frame = frame_type.from_image(Image.new("RGB", (size, size), (i * 7 % 255, 0, 0)))
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def write_padded_mp4(path: Any, seconds: int, total_bytes: int) -> None:
    """A valid MP4 of `total_bytes`: a tiny video, then an MP4 `free` box of zeros (sparse).

    Players and decoders skip `free` boxes, so the file decodes as the short video while
    weighing what a long, high-bitrate one would: an upload of real size without encoding it.
    """
    import struct

    video = mp4_bytes(seconds)
    padding = total_bytes - len(video)
    if padding < 8 or padding >= 2**32:
        raise ValueError("total_bytes must leave room for one 32-bit free box")
    with open(path, "wb") as handle:
        handle.write(video)
        handle.write(struct.pack(">I4s", padding, b"free"))
        handle.truncate(total_bytes)
