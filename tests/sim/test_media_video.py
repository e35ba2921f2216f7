"""The simulator's videos: real H.264 MP4s whose anchors, edits and extensions are visible."""

from __future__ import annotations

import io

import av
import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from lumatui.sim.media import (
    UndecodableMedia,
    UnsupportedMedia,
    VideoJob,
    frames_of,
    probe,
    render_video,
)

SIDE = 128
FRAMES = 120


def vjob(prompt: str = "calm ocean waves under a golden sunset", /, **changes: object) -> VideoJob:
    """A 5 s video job at test size with overridable fields."""
    fields: dict[str, object] = {
        "prompt": prompt,
        "kind": "video",
        "aspect_ratio": "16:9",
        "duration_s": 5,
        "seed": 3,
        "long_side": SIDE,
    }
    fields.update(changes)
    return VideoJob(**fields)  # type: ignore[arg-type]


def distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute channel difference (0-255) of two images shrunk to 32x32."""
    small_a = a.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
    small_b = b.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
    return sum(ImageStat.Stat(ImageChops.difference(small_a, small_b)).mean) / 3


def picture(colours: tuple[tuple[int, int, int], ...], size: tuple[int, int] = (160, 90)) -> bytes:
    """A PNG of vertical stripes in the given colours: easy to recognise after encoding."""
    image = Image.new("RGB", size)
    stripe = size[0] // len(colours)
    for i, colour in enumerate(colours):
        image.paste(
            colour, (i * stripe, 0, size[0] if i == len(colours) - 1 else (i + 1) * stripe, size[1])
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def at(data: bytes, index: int, count: int = FRAMES) -> Image.Image:
    """Frame `index` of a video with `count` frames."""
    return frames_of(data, [index / (count - 1)])[0]


def fitted(data: bytes, size: tuple[int, int]) -> Image.Image:
    """An encoded image scaled and cropped to fill `size`, as the renderer places it."""
    return ImageOps.fit(Image.open(io.BytesIO(data)).convert("RGB"), size)


START = picture(((230, 30, 30), (240, 240, 240), (20, 20, 200)))
KEY = picture(((20, 180, 40), (250, 220, 0)))
END = picture(((120, 0, 160), (0, 200, 200), (250, 120, 0), (10, 10, 10)))


@pytest.fixture(scope="module")
def plain() -> bytes:
    """A plain 5 s text-to-video at test size."""
    return render_video(vjob())


def test_plain_video_is_a_real_24fps_mp4(plain: bytes) -> None:
    info = probe(plain)
    assert (info.kind, info.mime) == ("video", "video/mp4")
    assert (info.width, info.height) == (128, 72)
    assert info.frames == FRAMES
    assert info.duration_s == pytest.approx(5.0, abs=0.05)
    with av.open(io.BytesIO(plain)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == 24
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"


def test_encoder_runs_one_thread_so_bytes_match_on_any_machine(plain: bytes) -> None:
    # x264's output depends on its thread count, which would otherwise follow the CPU count.
    assert b"x264 - core" in plain
    assert b" threads=1 " in plain
    assert b" lookahead_threads=1 " in plain


def test_ten_seconds_is_240_frames() -> None:
    info = probe(render_video(vjob(duration_s=10, long_side=96)))
    assert info.frames == 240
    assert info.duration_s == pytest.approx(10.0, abs=0.05)


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("9:16", (72, 128)),
        ("3:4", (96, 128)),
        ("1:1", (128, 128)),
        ("21:9", (128, 54)),
        (None, (128, 72)),
    ],
)
def test_dimensions_follow_the_ratio_and_are_even(ratio: str | None, size: tuple[int, int]) -> None:
    info = probe(render_video(vjob(aspect_ratio=ratio, long_side=SIDE)))
    assert (info.width, info.height) == size
    assert info.width % 2 == 0 and info.height % 2 == 0


def test_same_request_same_bytes(plain: bytes) -> None:
    assert render_video(vjob()) == plain
    assert render_video(vjob(seed=4)) != plain


def test_the_scene_moves(plain: bytes) -> None:
    first, middle, last = frames_of(plain, [0.0, 0.5, 1.0])
    assert distance(first, middle) > 1.5
    assert distance(middle, last) > 1.5


def test_different_prompts_make_different_videos(plain: bytes) -> None:
    other = render_video(vjob("neon city street at night"))
    assert distance(at(plain, 0), at(other, 0)) > 20


def test_start_frame_is_frame_zero_then_the_scene_takes_over(plain: bytes) -> None:
    video = render_video(vjob(start_frame=START))
    first, middle = frames_of(video, [0.0, 0.5])
    assert distance(first, fitted(START, (128, 72))) < 6
    assert distance(middle, fitted(START, (128, 72))) > 20


def test_keyframe_appears_at_its_index() -> None:
    video = render_video(vjob(keyframes=((60, KEY),)))
    key = fitted(KEY, (128, 72))
    start, far, near, exact = frames_of(video, [i / (FRAMES - 1) for i in (0, 20, 48, 60)])
    assert distance(exact, key) < 6
    assert distance(near, key) < distance(far, key)
    assert distance(start, key) > 20


def test_end_frame_is_the_last_frame() -> None:
    video = render_video(vjob(start_frame=START, end_frame=END))
    first, last = frames_of(video, [0.0, 1.0])
    assert distance(last, fitted(END, (128, 72))) < 6
    assert distance(first, fitted(START, (128, 72))) < 6


def test_close_anchors_each_hold_their_frame() -> None:
    video = render_video(vjob(start_frame=START, keyframes=((6, KEY), (9, END))))
    frames = frames_of(video, [i / (FRAMES - 1) for i in (0, 6, 9)])
    for frame, image in zip(frames, (START, KEY, END), strict=True):
        assert distance(frame, fitted(image, (128, 72))) < 6


def test_extension_starts_where_its_source_ends_then_evolves(plain: bytes) -> None:
    extension = render_video(vjob("the sun sinks", seed=9, extend_from=plain))
    source_last = frames_of(plain, [1.0])[0]
    first, later = frames_of(extension, [0.0, 0.9])
    assert distance(first, source_last) < 5
    assert distance(later, first) > 10


def test_backward_extension_ends_where_its_source_starts(plain: bytes) -> None:
    before = render_video(vjob("the sun rises", seed=5, lead_into=plain))
    source_first = frames_of(plain, [0.0])[0]
    early, last = frames_of(before, [0.1, 1.0])
    assert distance(last, source_first) < 5
    assert distance(early, last) > 10


def test_loop_ends_where_it_starts() -> None:
    video = render_video(vjob("abstract glass crystals", loop=True))
    first, quarter, last = frames_of(video, [0.0, 0.25, 1.0])
    assert distance(first, last) < 5
    assert distance(first, quarter) > distance(first, last)


def test_video_edit_keeps_the_source_timing_and_look(plain: bytes) -> None:
    unrelated = render_video(vjob("neon city street at night", seed=8))
    edit = render_video(
        vjob("make it purple", kind="video_edit", aspect_ratio=None, source_video=plain)
    )
    info = probe(edit)
    assert (info.width, info.height, info.frames) == (128, 72, FRAMES)
    assert info.duration_s == pytest.approx(probe(plain).duration_s, abs=0.05)
    positions = [0.0, 0.5, 1.0]
    triples = zip(
        frames_of(edit, positions),
        frames_of(plain, positions),
        frames_of(unrelated, positions),
        strict=True,
    )
    for mine, source, other in triples:
        assert distance(mine, source) * 2 < distance(mine, other)


def test_video_reframe_centres_the_source_in_the_new_shape(plain: bytes) -> None:
    reframed = render_video(
        vjob("reframe", kind="video_reframe", aspect_ratio="9:16", source_video=plain)
    )
    info = probe(reframed)
    assert (info.width, info.height, info.frames) == (72, 128, FRAMES)
    frame = frames_of(reframed, [0.5])[0]
    source = frames_of(plain, [0.5])[0]
    inner_height = round(72 * 72 / 128)
    top = (128 - inner_height) // 2
    band = frame.crop((0, top, 72, top + inner_height))
    assert distance(band, source) < 8


def test_longer_source_is_cut_to_the_requested_duration(plain: bytes) -> None:
    ten = render_video(vjob(duration_s=10, long_side=64))
    edit = render_video(
        vjob("x", kind="video_edit", duration_s=5, aspect_ratio=None, source_video=ten)
    )
    assert probe(edit).frames == FRAMES


def test_bad_inputs_are_media_errors(plain: bytes) -> None:
    with pytest.raises(UnsupportedMedia):
        render_video(vjob(start_frame=b"<html><body>nope</body></html>"))
    with pytest.raises(UnsupportedMedia):
        render_video(vjob(start_frame=plain))
    with pytest.raises(UndecodableMedia):
        render_video(vjob(kind="video_edit", source_video=plain[: len(plain) // 2]))
    with pytest.raises(UndecodableMedia):
        render_video(vjob(extend_from=plain[:100]))


@pytest.mark.parametrize(
    "changes",
    [{"kind": "image"}, {"kind": "video_edit"}, {"duration_s": 0}, {"aspect_ratio": "16x9"}],
)
def test_malformed_jobs_are_value_errors(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_video(vjob(**changes))


def test_frames_of_refuses_positions_outside_the_video(plain: bytes) -> None:
    with pytest.raises(ValueError):
        frames_of(plain, [1.5])
    assert frames_of(plain, []) == []
