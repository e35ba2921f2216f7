"""Thumbnails: the engine's path against a naive full decode and resize, and a cached hit.

Inputs, made once: a 2048x2048 picture rendered by the simulator's image renderer (the
same scene a job would get), with a little sensor-like grain so it compresses like a
photograph rather than a flat drawing, saved as PNG and as JPEG (quality 90); and an MP4
(H.264, 5 s, 24 fps, 480 px long side) rendered by the simulator's video renderer.

- engine: `ThumbnailCache.thumbnail` (images) and `ThumbnailCache.video_frames` (first,
  middle and last frame), each call on a fresh cache directory, so every one is a miss.
- naive: `Image.open().convert("RGB")` and a LANCZOS resize to fit 512x512; for the MP4,
  decode every frame with PyAV and resize the first, middle and last.
- cached: the second and later calls for the JPEG on a warm cache (a hit).

All cases run interleaved, the order rotating each round; the figures are medians.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved, machine, median, ms, ratio_line

from lumatui.engine.media import fit_size
from lumatui.engine.thumbnails import ThumbnailCache
from lumatui.sim.media.image import render_image
from lumatui.sim.media.jobs import ImageJob, VideoJob
from lumatui.sim.media.video import render_video

if TYPE_CHECKING:
    from collections.abc import Callable

BOX = (512, 512)
PROMPT = "a harbour town at dusk, boats and lanterns, wet cobblestones"


def make_inputs(folder: Path) -> dict[str, Path]:
    """Write the PNG, JPEG and MP4 the benchmark reads; returns their paths."""
    job = ImageJob(PROMPT, "image", "1:1", "png", None, seed=7, long_side=2048)
    picture = Image.open(io.BytesIO(render_image(job))).convert("RGB")
    grain = Image.effect_noise(picture.size, 24).convert("RGB")
    picture = Image.blend(picture, grain, 0.08)
    paths = {"png": folder / "picture.png", "jpeg": folder / "picture.jpg"}
    picture.save(paths["png"], "PNG", compress_level=6)
    picture.save(paths["jpeg"], "JPEG", quality=90)
    video = VideoJob(PROMPT, "video", "16:9", duration_s=5, seed=7, long_side=480)
    paths["mp4"] = folder / "clip.mp4"
    paths["mp4"].write_bytes(render_video(video))
    return paths


def naive_image(path: Path) -> Image.Image:
    """Full decode, then a LANCZOS resize to fit the box."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    return rgb.resize(fit_size(rgb.size, BOX), Image.Resampling.LANCZOS)


def naive_video(path: Path) -> list[Image.Image]:
    """Decode every frame with PyAV, keep the first, middle and last, resize those three."""
    import av

    frames: list[Any] = []
    with av.open(str(path)) as container:
        decoded: Any = container.decode(video=0)
        frames.extend(frame.to_image() for frame in decoded)
    picked = [frames[0], frames[len(frames) // 2], frames[-1]]
    return [f.resize(fit_size(f.size, BOX), Image.Resampling.LANCZOS) for f in picked]


class FreshCache:
    """Engine-path calls, each on a new, empty cache directory (always a miss)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._count = 0

    def cache(self) -> ThumbnailCache:
        """A cache in a directory never used before."""
        self._count += 1
        return ThumbnailCache(self._root / f"cache-{self._count}")

    def image(self, path: Path) -> Callable[[], object]:
        """A miss for an image."""
        return lambda: self.cache().thumbnail(path, BOX)

    def video(self, path: Path) -> Callable[[], object]:
        """A miss for a video's three frames."""
        return lambda: self.cache().video_frames(path, BOX, positions=(0.0, 0.5, 1.0))


def main() -> int:
    """Time every case, print the medians and the ratio lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="lumatui-bench-thumbs-") as tmp:
        root = Path(tmp)
        paths = make_inputs(root)
        for name, path in paths.items():
            print(f"input {name}: {path.stat().st_size / 1024:.0f} KiB")
        fresh = FreshCache(root)
        warm = ThumbnailCache(root / "warm")
        warm.thumbnail(paths["jpeg"], BOX)
        cases: dict[str, Callable[[], object]] = {
            "engine_jpeg": fresh.image(paths["jpeg"]),
            "naive_jpeg": lambda: naive_image(paths["jpeg"]),
            "cached_jpeg": lambda: warm.thumbnail(paths["jpeg"], BOX),
            "engine_png": fresh.image(paths["png"]),
            "naive_png": lambda: naive_image(paths["png"]),
            "engine_mp4": fresh.video(paths["mp4"]),
            "naive_mp4": lambda: naive_video(paths["mp4"]),
        }
        times = interleaved(cases, args.rounds)
    medians = {name: median(values) for name, values in times.items()}
    print(f"medians of {args.rounds} interleaved rounds (thumbnails fit {BOX[0]}x{BOX[1]}):")
    for name, value in medians.items():
        print(f"  {name:12} {ms(value):>12}")
    print(ratio_line("thumbs_jpeg_vs_naive", medians["engine_jpeg"] / medians["naive_jpeg"], 0.5))
    print(
        ratio_line("thumbs_cached_vs_naive", medians["cached_jpeg"] / medians["naive_jpeg"], 0.05)
    )
    print(ratio_line("thumbs_png_vs_naive", medians["engine_png"] / medians["naive_png"], 1.0))
    print(ratio_line("thumbs_mp4_vs_naive", medians["engine_mp4"] / medians["naive_mp4"], 1.0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
