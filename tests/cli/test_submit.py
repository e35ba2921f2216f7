"""`lumatui submit`: flags and bodies to a validated request, sent once, waited for."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lumatui.engine.media import verify_file
from tests.cli.conftest import Ran, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.sim import RunningSimulator


def test_submit_wait_without_a_key_uses_the_simulator_and_prints_a_real_image(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUMATUI_SIM__SPEED", "10000")
    ran = cli("submit", "--prompt", "a red fox in snow", "--wait")
    assert ran.code == 0, ran.err
    assert "using the built-in simulator (no LUMA_AGENTS_API_KEY)" in ran.err
    (line,) = ran.out.splitlines()
    path = Path(line)
    assert path.is_file()
    assert verify_file(path).kind == "image"
    (job,) = stored_jobs()
    assert job.state == "completed"


def test_submit_json_wait_prints_the_job_objects(on_sim: Callable[..., Ran]) -> None:
    ran = on_sim("submit", "--prompt", "a fox", "--aspect-ratio", "16:9", "--wait", "--json")
    assert ran.code == 0, ran.err
    (record,) = json.loads(ran.out)
    assert record["state"] == "completed"
    assert record["type"] == "image" and record["model"] == "uni-1"
    assert record["id"] == record["generation_id"]
    (output,) = record["outputs"]
    assert verify_file(Path(output)).kind == "image"


def test_submit_without_wait_prints_the_server_id_once_accepted(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    before = fast_sim.simulator.store.count()
    ran = on_sim("submit", "--prompt", "a fox", "--count", "2")
    assert ran.code == 0, ran.err
    ids = ran.out.split()
    assert len(ids) == 2 and len(set(ids)) == 2
    assert [job.generation_id for job in stored_jobs()] == ids
    assert fast_sim.simulator.store.count() == before + 2
    assert "submitted 2/2" in ran.err


@pytest.mark.parametrize(
    ("argv", "path"),
    [
        (["--prompt", ""], "prompt: must not be empty"),
        (["--prompt", " \n\t "], "prompt: is only spaces or line breaks"),
        (
            ["--prompt", "x", "--video-loop", "--video-duration", "10s", "--type", "video"],
            "video.loop",
        ),
        (["--prompt", "x", "--type", "image_edit"], "source: is required"),
        (["--prompt", "x", "--aspect-ratio", "21:9"], "aspect_ratio: uni-1 does not make 21:9"),
    ],
)
def test_an_invalid_request_exits_2_with_the_field_path_and_stores_nothing(
    cli: Callable[..., Ran], argv: list[str], path: str
) -> None:
    ran = cli("submit", *argv, "--wait")
    assert ran.code == 2
    assert path in ran.err
    assert "nothing was sent" in ran.err
    assert "simulator" not in ran.err  # nothing was started either
    assert stored_jobs() == []


def test_a_prompt_holding_nul_is_refused_though_the_schema_takes_it(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    from lumatui.api.schema import GenerationRequest

    body = {"prompt": "a fox\u0000\u0000 in snow"}
    GenerationRequest.model_validate(body)  # the shared schema stays as strict as the API
    request = tmp_path / "request.json"
    request.write_text(json.dumps(body), encoding="utf-8")
    ran = cli("submit", "--json", str(request))
    assert ran.code == 2
    error = json.loads(ran.out)["error"]
    [problem] = error["field_errors"]
    assert problem["path"] == "prompt" and problem["message"].startswith("holds 2 NUL characters")
    assert stored_jobs() == []


def test_validation_errors_are_json_on_stdout_with_json(cli: Callable[..., Ran]) -> None:
    ran = cli("submit", "--prompt", "", "--json")
    assert ran.code == 2
    error = json.loads(ran.out)["error"]
    assert error["code"] == 2
    assert {"path": "prompt", "message": "must not be empty"} in error["field_errors"]


def test_a_local_png_is_sent_inline_as_base64(on_sim: Callable[..., Ran], tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "ref.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png)
    ran = on_sim("submit", "--prompt", "like this", "--image-ref", str(png), "--wait")
    assert ran.code == 0, ran.err
    (job,) = stored_jobs()
    (ref,) = json.loads(job.request_json)["image_ref"]
    assert ref["media_type"] == "image/png"
    assert base64.b64decode(ref["data"]) == png.read_bytes()


def test_a_text_file_called_png_exits_2_naming_it(cli: Callable[..., Ran], tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("this is not a picture\n")
    ran = cli("submit", "--prompt", "x", "--image-ref", str(fake))
    assert ran.code == 2
    assert "--image-ref" in ran.err and "notes.png" in ran.err
    assert "is not an image" in ran.err
    assert stored_jobs() == []


def test_a_missing_file_and_a_bad_keyframe_exit_2(cli: Callable[..., Ran], tmp_path: Path) -> None:
    ran = cli("submit", "--prompt", "x", "--image-ref", str(tmp_path / "gone.png"))
    assert ran.code == 2 and "does not exist" in ran.err
    ran = cli("submit", "--prompt", "x", "--type", "video", "--keyframe", "https://a.test/x.png")
    assert ran.code == 2 and "REF@INDEX" in ran.err


def test_body_from_stdin_with_flags_overriding(on_sim: Callable[..., Ran]) -> None:
    body = {"prompt": "from the body", "aspect_ratio": "16:9", "style": "manga"}
    ran = on_sim("submit", "--json", "-", "--prompt", "from a flag", stdin=json.dumps(body))
    assert ran.code == 0, ran.err
    (record,) = json.loads(ran.out)
    assert record["prompt"] == "from a flag"
    (job,) = stored_jobs()
    sent = json.loads(job.request_json)
    assert sent == {"prompt": "from a flag", "aspect_ratio": "16:9", "style": "manga"}


def test_a_body_that_is_not_json_exits_2(cli: Callable[..., Ran], tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text("{not json")
    ran = cli("submit", "--body", str(body))
    assert ran.code == 2 and "not valid JSON" in ran.err


def test_video_flags_build_the_nested_request(on_sim: Callable[..., Ran], tmp_path: Path) -> None:
    from PIL import Image

    frame = tmp_path / "frame.png"
    Image.new("RGB", (16, 9), (10, 90, 200)).save(frame)
    ran = on_sim(
        "submit",
        "--type", "video",
        "--prompt", "waves",
        "--video-duration", "5s",
        "--video-resolution", "540p",
        "--no-video-loop",
        "--keyframe", f"{frame}@0",
        "--keyframe", f"{frame}@60",
        "--wait",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert verify_file(Path(ran.out.strip())).kind == "video"
    (job,) = stored_jobs()
    video = json.loads(job.request_json)["video"]
    assert video["duration"] == "5s" and video["resolution"] == "540p" and video["loop"] is False
    assert video["keyframe_indexes"] == [0, 60]
    assert video["keyframes"][1]["media_type"] == "image/png"
