"""The simulator's images: real, sized by ratio, deterministic, and visibly tied to the request."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image, ImageChops, ImageStat

from lumatui.sim.media import ImageJob, UndecodableMedia, UnsupportedMedia, probe, render_image
from lumatui.sim.media.finish import caption_text

SIDE = 256
PROMPTS = (
    "a red fox in a snowy forest at dawn",
    "neon city street at night, rain",
    "calm ocean waves under a golden sunset",
    "abstract glass crystals",
    "a cat astronaut floating in space",
)


def job(prompt: str = PROMPTS[0], /, **changes: object) -> ImageJob:
    """An image job at test size with overridable fields."""
    fields: dict[str, object] = {
        "prompt": prompt,
        "kind": "image",
        "aspect_ratio": "16:9",
        "output_format": "png",
        "style": None,
        "seed": 7,
        "long_side": SIDE,
    }
    fields.update(changes)
    return ImageJob(**fields)  # type: ignore[arg-type]


def decoded(data: bytes) -> Image.Image:
    """The RGB image in encoded bytes."""
    return Image.open(io.BytesIO(data)).convert("RGB")


def distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute channel difference (0-255) of two images shrunk to 32x32."""
    small_a = a.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
    small_b = b.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
    return sum(ImageStat.Stat(ImageChops.difference(small_a, small_b)).mean) / 3


def solid_png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 64)) -> bytes:
    """A PNG of one flat colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("16:9", (256, 144)),
        ("9:16", (144, 256)),
        ("1:1", (256, 256)),
        (None, (256, 256)),
        ("4:3", (256, 192)),
        ("3:4", (192, 256)),
        ("21:9", (256, 110)),
        ("9:21", (110, 256)),
    ],
)
def test_size_follows_aspect_ratio(ratio: str | None, size: tuple[int, int]) -> None:
    assert decoded(render_image(job(aspect_ratio=ratio))).size == size


def test_full_size_is_2k_on_the_long_side() -> None:
    info = probe(render_image(job(long_side=2048, output_format="jpeg")))
    assert (info.width, info.height) == (2048, 1152)


def test_png_and_jpeg_are_what_they_say() -> None:
    png = render_image(job(output_format="png"))
    jpeg = render_image(job(output_format="jpeg"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert jpeg.startswith(b"\xff\xd8\xff")
    assert probe(png).mime == "image/png"
    assert probe(jpeg).mime == "image/jpeg"
    assert distance(decoded(png), decoded(jpeg)) < 4


@pytest.mark.parametrize("output_format", ["png", "jpeg"])
def test_same_request_same_bytes(output_format: str) -> None:
    first = render_image(job(output_format=output_format, style="manga"))
    assert render_image(job(output_format=output_format, style="manga")) == first


def test_seed_changes_the_picture() -> None:
    assert distance(decoded(render_image(job(seed=1))), decoded(render_image(job(seed=2)))) > 8


def test_different_prompts_look_clearly_different() -> None:
    pictures = [decoded(render_image(job(prompt))) for prompt in PROMPTS]
    for i, a in enumerate(pictures):
        for b in pictures[i + 1 :]:
            assert distance(a, b) > 20


def test_manga_is_monochrome_and_differs_from_auto() -> None:
    auto = decoded(render_image(job(style="auto")))
    manga = decoded(render_image(job(style="manga")))
    assert distance(auto, manga) > 20
    # ink on paper: removing the colour changes almost nothing, unlike the colour picture
    assert distance(manga, manga.convert("L").convert("RGB")) < 8
    assert distance(auto, auto.convert("L").convert("RGB")) > 20


@pytest.mark.parametrize("edit_prompt", ["add a giant red moon", "make it winter"])
def test_edit_is_visibly_derived_from_its_source(edit_prompt: str) -> None:
    sources = {prompt: render_image(job(prompt, seed=1)) for prompt in PROMPTS}
    fresh = decoded(render_image(job(edit_prompt)))
    for prompt, source in sources.items():
        edit = decoded(render_image(job(edit_prompt, kind="image_edit", source=source)))
        to_source = distance(edit, decoded(source))
        unrelated = [decoded(data) for other, data in sources.items() if other != prompt]
        assert to_source < 25
        # much nearer its own source than any other picture, or the edit prompt's own picture
        assert min(distance(edit, other) for other in [*unrelated, fresh]) > 1.5 * to_source


def test_edit_of_a_differently_shaped_source_fills_the_canvas() -> None:
    portrait = render_image(job(aspect_ratio="9:16", output_format="jpeg"))
    edit = render_image(
        job("make it night", kind="image_edit", aspect_ratio="16:9", source=portrait)
    )
    assert decoded(edit).size == (256, 144)


def test_refs_pull_the_palette_toward_their_colours() -> None:
    red = (220, 20, 20)
    plain = decoded(render_image(job(PROMPTS[3])))
    with_ref = decoded(render_image(job(PROMPTS[3], refs=(solid_png(red),))))
    red_image = Image.new("RGB", plain.size, red)
    assert distance(with_ref, red_image) + 15 < distance(plain, red_image)
    r, g, b = ImageStat.Stat(with_ref).mean
    assert r > g + 30 and r > b + 30


def test_refs_appear_as_swatches() -> None:
    green = (10, 200, 40)
    picture = decoded(render_image(job(PROMPTS[1], aspect_ratio="1:1", refs=(solid_png(green),))))
    side = round(SIDE * 0.16)
    corner = picture.crop((SIDE - side, 2 * side // 3, SIDE - side // 2, side))
    assert max(abs(c - g) for c, g in zip(ImageStat.Stat(corner).mean, green, strict=True)) < 12


def test_bad_source_is_a_media_error() -> None:
    with pytest.raises(UnsupportedMedia):
        render_image(job(kind="image_edit", source=b"<!doctype html><html></html>"))
    with pytest.raises(UndecodableMedia):
        render_image(job(kind="image_edit", source=solid_png((1, 2, 3))[:60]))
    with pytest.raises(UnsupportedMedia):
        render_image(job(refs=(b"",)))


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "video"},
        {"output_format": "gif"},
        {"kind": "image_edit"},
        {"aspect_ratio": "wide"},
        {"long_side": 0},
    ],
)
def test_malformed_jobs_are_value_errors(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_image(job(**changes))


def test_caption_text_is_short_and_clean() -> None:
    assert caption_text("a\x1b[31m red\nfox  in\tthe snow at dawn again") == "a [31m red fox in the"
    assert len(caption_text("x" * 200)) <= 48
    assert caption_text("\x00\x07") == ""


def test_importing_media_loads_neither_pillow_nor_pyav() -> None:
    # Measured against the parent package, so only this package's own imports count.
    code = (
        "import sys, lumatui.sim\n"
        "heavy = {'PIL.Image', 'av'}\n"
        "before = heavy & set(sys.modules)\n"
        "import lumatui.sim.media\n"
        "print(sorted((heavy & set(sys.modules)) - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
