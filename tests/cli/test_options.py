"""Flags: where they may go, what they build, the exit-code epilog, and usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lumatui.cli import main
from tests.cli.conftest import KEY, SPEED, Ran, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.sim import RunningSimulator

SUBCOMMANDS = ("submit", "get", "wait", "list", "lineage", "export")


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_documents_the_exit_codes(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "130"):
        assert f"  {code}" in out


def test_submit_help_names_the_api_fields(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["submit", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--prompt", "--type", "--model", "--aspect-ratio", "--style", "--output-format",
        "--user-id", "--image-ref", "--source", "--source-media-type", "--video-duration",
        "--video-resolution", "--video-loop", "--video-hdr", "--video-exr-export",
        "--start-frame", "--end-frame", "--keyframe", "--edit-strength",
        "--edit-auto-controls", "--edit-keyframe", "--edit-control", "--source-position",
        "--json", "--wait", "--timeout", "--sim", "--base-url",
    ):  # fmt: skip
        assert flag in out


def test_base_url_may_come_before_the_subcommand(
    cli: Callable[..., Ran], fast_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    ran = cli("--base-url", fast_sim.base_url, "submit", "--prompt", "x", "--json", "--wait",
              "--sim-speed", str(SPEED))  # fmt: skip
    assert ran.code == 0, ran.err
    assert "simulator" not in ran.err  # the standalone one, not a built-in one
    assert json.loads(ran.out)[0]["state"] == "completed"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--count", "0"], "--runs must be between 1 and 64"),
        (["--runs", "65"], "--runs must be between 1 and 64"),
        (["--type", "video_edit", "--edit-control", "depth"], "NAME.FIELD=VALUE"),
        (["--type", "video_reframe", "--source-position", "1,2"], "four numbers"),
        (["--source-media-type", "video/mp4"], "needs a --source"),
        (["--image-ref", "0123abcd"], "no stored generation id starts with it"),
        (["--json", "-", "--body", "x.json"], "not both"),
    ],
)
def test_usage_errors_exit_2(cli: Callable[..., Ran], argv: list[str], message: str) -> None:
    ran = cli("submit", "--prompt", "x", *argv)
    assert ran.code == 2
    assert message in ran.err
    assert stored_jobs() == []


def test_an_unknown_choice_is_an_argparse_usage_error(cli: Callable[..., Ran]) -> None:
    ran = cli("submit", "--prompt", "x", "--video-duration", "7s")
    assert ran.code == 2 and "invalid choice" in ran.err


def test_video_edit_reads_a_local_video_source_and_refuses_an_image(
    on_sim: Callable[..., Ran], tmp_path: Path
) -> None:
    from PIL import Image

    made = on_sim("submit", "--type", "video", "--prompt", "waves", "--wait")
    assert made.code == 0, made.err
    video = Path(made.out.strip())
    edit = on_sim(
        "submit", "--type", "video_edit", "--source", str(video), "--prompt", "make it night",
        "--edit-strength", "flex_1", "--edit-control", "depth.enabled=true",
        "--edit-control", "depth.blur=0.5", "--no-edit-auto-controls", "--wait",
    )  # fmt: skip
    assert edit.code == 0, edit.err
    sent = json.loads(stored_jobs()[-1].request_json)
    # Every local video is uploaded through the Files API and sent as its file id.
    assert set(sent["source"]) == {"file_id"}
    assert sent["video"]["edit"] == {
        "strength": "flex_1",
        "auto_controls": False,
        "controls": {"depth": {"enabled": True, "blur": 0.5}},
    }
    png = tmp_path / "still.png"
    Image.new("RGB", (8, 8)).save(png)
    refused = on_sim("submit", "--type", "video_edit", "--source", str(png), "--prompt", "x")
    assert refused.code == 2
    assert "a video is needed" in refused.err and "still.png" in refused.err
