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
from lumatui.sim.media.layers import LayerJob, RenderedLayer, render_layers
from lumatui.sim.media.probe import probe
from lumatui.sim.media.video import frames_of, render_video

__all__ = [
    "ImageJob",
    "LayerJob",
    "MediaInfo",
    "MediaTooLarge",
    "RenderedLayer",
    "UndecodableMedia",
    "UnsupportedMedia",
    "VideoJob",
    "frames_of",
    "probe",
    "render_image",
    "render_layers",
    "render_video",
]
