"""Real, deterministic outputs for the simulator: images, videos, and a safe media probe.

Importing this package is cheap: Pillow and PyAV load on the first render or probe.
"""

from __future__ import annotations

from lumatui.sim.media.image import render_image
from lumatui.sim.media.jobs import (
    ImageJob,
    MediaInfo,
    MediaTooLarge,
    UndecodableMedia,
    UnsupportedMedia,
    VideoJob,
)
from lumatui.sim.media.probe import probe
from lumatui.sim.media.video import frames_of, render_video

__all__ = [
    "ImageJob",
    "MediaInfo",
    "MediaTooLarge",
    "UndecodableMedia",
    "UnsupportedMedia",
    "VideoJob",
    "frames_of",
    "probe",
    "render_image",
    "render_video",
]
