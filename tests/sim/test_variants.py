"""Runs of one request differ visibly, yet keep the request's composition; each is stable."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from PIL import Image, ImageChops, ImageStat

from lumatui.sim.media import ImageJob
from lumatui.sim.media.image import render_image
from lumatui.sim.media.variant import variant_of
from tests.sim.helpers import completed, fetch_output

if TYPE_CHECKING:
    import httpx

    from lumatui.sim import ManualClock, Simulator

MIN_RUN_DISTANCE = 4.0
"""Mean absolute difference (0-255 per channel) two runs must at least have: visibly apart."""
MIN_COMPOSITION = 0.5
"""Correlation of two runs' coarse brightness layouts: the same picture, varied (two
unrelated prompts score about 0.2-0.6; runs of one, measured over 600 random pairs,
at least 0.63)."""

JOB = ImageJob(
    prompt="a city skyline at night",
    kind="image",
    aspect_ratio="16:9",
    output_format="png",
    style=None,
    seed=11,
    long_side=256,
)


def picture(data: bytes) -> Image.Image:
    """Decoded RGB."""
    return Image.open(io.BytesIO(data)).convert("RGB")


def distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute per-channel difference, 0-255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def composition(a: Image.Image, b: Image.Image) -> float:
    """Pearson correlation of the two pictures' brightness on a coarse 16x9 grid."""
    xs = list(a.convert("L").resize((16, 9)).tobytes())
    ys = list(b.convert("L").resize((16, 9)).tobytes())
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    return num / den


async def test_runs_of_one_request_differ_but_share_composition(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    body = {"prompt": "a city skyline at night", "aspect_ratio": "16:9"}
    runs = [await completed(api, sim, clock, **body) for _ in range(3)]
    images = [picture(await fetch_output(api, run["output"][0]["url"])) for run in runs]
    for a, b in ((images[0], images[1]), (images[0], images[2]), (images[1], images[2])):
        assert distance(a, b) > MIN_RUN_DISTANCE
        assert composition(a, b) > MIN_COMPOSITION


def test_one_generation_always_renders_the_same_bytes() -> None:
    variant = variant_of("5f0c3a52-4d4e-4a57-9d43-0a8f7f3f2b11")
    assert variant == variant_of("5f0c3a52-4d4e-4a57-9d43-0a8f7f3f2b11") != 0
    job = replace(JOB, variant=variant)
    assert render_image(job) == render_image(job)
    assert render_image(job) != render_image(replace(job, variant=variant_of("another id")))
    # Variant 0 (a plan stored before runs varied) renders the request's own picture.
    assert render_image(replace(JOB, variant=0)) == render_image(JOB)


def test_runs_differ_for_every_motif() -> None:
    prompts = ("a red fox in a mountain valley", "ocean waves", "planets in space", "abstract")
    for prompt in prompts:
        base = replace(JOB, prompt=prompt)
        a = picture(render_image(replace(base, variant=variant_of("run one"))))
        b = picture(render_image(replace(base, variant=variant_of("run two"))))
        assert distance(a, b) > MIN_RUN_DISTANCE, prompt
        assert composition(a, b) > MIN_COMPOSITION, prompt
        # Two runs of one prompt are closer in layout than a run of another prompt.
        city = picture(render_image(replace(JOB, variant=variant_of("run one"))))
        assert composition(a, b) > composition(a, city), prompt


def test_video_runs_differ() -> None:
    from lumatui.sim.media import VideoJob
    from lumatui.sim.media.video import frames_of, render_video

    job = VideoJob(
        prompt="ocean waves", kind="video", aspect_ratio="16:9", duration_s=5, seed=3, long_side=96
    )
    one = render_video(replace(job, variant=variant_of("run one")))
    two = render_video(replace(job, variant=variant_of("run two")))
    assert one != two
    a, b = (frames_of(data, [0.0])[0].convert("RGB") for data in (one, two))
    assert distance(a, b) > MIN_RUN_DISTANCE
    assert composition(a, b) > MIN_COMPOSITION
