"""Encode RGB frames into a small, reproducible H.264 MP4 with PyAV."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av

if TYPE_CHECKING:
    from PIL import Image

# Software encoders first: a hardware wrapper (v4l2m2m, vaapi) is neither portable nor exact.
ENCODER_PREFERENCE = ("libx264", "h264", "libopenh264")
# One thread: x264's output depends on its thread count, which would vary with the machine.
X264_OPTIONS = {"preset": "veryfast", "crf": "21"}
GOP_FRAMES = 48


def h264_encoder() -> str:
    """The name of the first H.264 software encoder this PyAV build offers."""
    for name in ENCODER_PREFERENCE:
        try:
            codec = av.codec.Codec(name, "w")
        except Exception:
            continue
        if codec.name in ENCODER_PREFERENCE:
            return name
    raise RuntimeError("this PyAV build has no H.264 software encoder")


class Mp4Writer:
    """Collect frames one at a time and return the finished MP4's bytes."""

    def __init__(self, size: tuple[int, int], fps: int) -> None:
        """Open an in-memory MP4 with one yuv420p H.264 stream of `size` at `fps`."""
        self._buffer = io.BytesIO()
        self._container: Any = av.open(self._buffer, mode="w", format="mp4")
        encoder = h264_encoder()
        stream: Any = self._container.add_stream(encoder, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        stream.codec_context.gop_size = GOP_FRAMES
        if av.codec.Codec(encoder, "w").name == "libx264":
            stream.options = dict(X264_OPTIONS)
        self._stream = stream
        self._time_base = Fraction(1, fps)
        self._count = 0
        self._frame_type: Any = av.VideoFrame

    def write(self, image: Image.Image) -> None:
        """Encode the next frame."""
        frame = self._frame_type.from_image(image.convert("RGB"))
        frame.pts = self._count
        frame.time_base = self._time_base
        self._count += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def finish(self) -> bytes:
        """Flush the encoder, close the file and return its bytes."""
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        return self._buffer.getvalue()

    def abandon(self) -> None:
        """Close without caring about the result (after an error)."""
        with contextlib.suppress(Exception):
            self._container.close()
