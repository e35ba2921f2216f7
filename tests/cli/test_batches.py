"""`lumatui submit` with alternatives and --runs, --dry-run, the confirm threshold; stars."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest

from tests.cli.conftest import Ran, stored_jobs
from tests.sim.fakes import mp4_bytes, png_bytes

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

FOX = "a {red|blue} fox at {dawn|dusk}"


class _Terminal(io.StringIO):
    """Standard input that says it is a terminal (a person answers)."""

    def isatty(self) -> bool:
        return True


def test_dry_run_prints_the_requests_and_total_and_sends_nothing(cli: Callable[..., Ran]) -> None:
    ran = cli("submit", "--prompt", FOX, "--runs", "2", "--dry-run")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "job 1 of 8  $0.0404 (uni-1 text to image)"
    assert lines[1] == '  { "prompt": "a red fox at dawn" }'
    assert lines[3] == '  { "prompt": "a red fox at dawn" }'
    assert lines[5] == '  { "prompt": "a red fox at dusk" }'
    assert lines[-1] == "total: 8 jobs (4 prompts x 2 runs), $0.3232; nothing was sent (--dry-run)"
    assert "simulator" not in ran.err  # no backend was even started
    assert stored_jobs() == []


def test_dry_run_json(cli: Callable[..., Ran]) -> None:
    ran = cli("submit", "--prompt", FOX, "--aspect-ratio", "16:9", "--dry-run", "--json")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert [r["prompt"] for r in data["requests"]] == [
        "a red fox at dawn",
        "a red fox at dusk",
        "a blue fox at dawn",
        "a blue fox at dusk",
    ]
    assert all(r["aspect_ratio"] == "16:9" for r in data["requests"])
    assert data["total_usd"] == 0.1616
    assert stored_jobs() == []


def test_dry_run_json_of_an_unknown_price_is_null(cli: Callable[..., Ran]) -> None:
    ran = cli("submit", "--prompt", "{a|b}", "--web-search", "--dry-run", "--json")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["total_usd"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--prompt", "a {red|blue fox"], "prompt: the `{` at column 3 is never closed"),
        (["--prompt", "a {red|blue} fox}"], "prompt: the `}` at column 17 closes nothing"),
        (["--prompt", "{a|b}{c|d}{e|f}", "--runs", "9"], "8 prompt(s) x 9 run(s) = 72 jobs"),
        (["--prompt", "{|}"], "empty"),
    ],
)
def test_bad_alternatives_exit_2_naming_the_field(
    cli: Callable[..., Ran], argv: list[str], message: str
) -> None:
    ran = cli("submit", *argv)
    assert ran.code == 2
    assert "nothing was sent" in ran.err
    assert message in ran.err
    assert stored_jobs() == []


def test_a_body_from_a_file_is_sent_as_written(cli: Callable[..., Ran], tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"prompt": "a sign reading {OPEN|CLOSED}"}))
    ran = cli("submit", "--body", str(body), "--runs", "2", "--dry-run", "--json")
    assert ran.code == 0, ran.err
    prompts = [r["prompt"] for r in json.loads(ran.out)["requests"]]
    assert prompts == ["a sign reading {OPEN|CLOSED}"] * 2
    ran = cli("submit", "--body", str(body), "--prompt", "{a|b} c", "--dry-run", "--json")
    assert [r["prompt"] for r in json.loads(ran.out)["requests"]] == ["a c", "b c"]


def test_above_the_threshold_without_a_terminal_refuses(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = cli("submit", "--prompt", "x", "--type", "video", "--video-resolution", "1080p")
    assert ran.code == 2
    assert "this job costs ~$1.2000, above the confirm threshold $1.00" in ran.err
    assert "Pass --yes" in ran.err
    monkeypatch.setenv("LUMATUI_CONFIRM_ABOVE_USD", "0.1")
    ran = cli("submit", "--prompt", FOX)
    assert ran.code == 2
    assert "these 4 jobs cost $0.1616, above the confirm threshold $0.10" in ran.err
    assert stored_jobs() == []


def test_a_person_declines_or_agrees(
    on_sim: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUMATUI_CONFIRM_ABOVE_USD", "0.1")
    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    ran = on_sim("submit", "--prompt", FOX)
    assert ran.code == 2 and "not sent" in ran.err
    assert stored_jobs() == []
    monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
    ran = on_sim("submit", "--prompt", "a {red|blue} fox", "--runs", "2")
    assert ran.code == 0, ran.err
    assert "Send? [y/N]" in ran.err
    assert len(stored_jobs()) == 4


def test_a_batch_is_sent_as_one_batch(on_sim: Callable[..., Ran]) -> None:
    ran = on_sim("submit", "--prompt", "a {red|blue} fox", "--runs", "2", "--wait", "--json")
    assert ran.code == 0, ran.err
    records = json.loads(ran.out)
    assert [r["prompt"] for r in records] == ["a red fox"] * 2 + ["a blue fox"] * 2
    assert all(r["state"] == "completed" and r["outputs"] for r in records)
    assert len({r["batch_id"] for r in records}) == 1 and records[0]["batch_id"]
    assert {r["batch_label"] for r in records} == {"a {red|blue} fox"}
    assert "submitted 4/4" in ran.err
    # A plain submit is no batch.
    ran = on_sim("submit", "--prompt", "a lone fox", "--json")
    (record,) = json.loads(ran.out)
    assert record["batch_id"] is None and record["starred"] is False


def test_star_unstar_and_the_starred_list(
    on_sim: Callable[..., Ran], cli: Callable[..., Ran]
) -> None:
    ran = on_sim("submit", "--prompt", "a {red|blue|green} fox")
    assert ran.code == 0, ran.err
    red, blue, green = ran.out.split()
    ran = cli("star", red[:8], green)
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        f"starred    {red[:8]}  image",
        f"starred    {green[:8]}  image",
    ]
    listed = json.loads(cli("list", "--starred", "--json").out)
    assert [r["id"] for r in listed] == [green, red]
    assert all(r["starred"] for r in listed)
    assert [r["id"] for r in json.loads(cli("list", "--unstarred", "--json").out)] == [blue]
    table = cli("list", "--starred").out
    assert "* a green fox" in table and "blue" not in table
    details = on_sim("get", red).out
    assert "starred    yes" in details
    assert "batch" in details and "a {red|blue|green} fox" in details
    ran = cli("unstar", red, "--json")
    assert ran.code == 0 and json.loads(ran.out)[0]["starred"] is False
    assert [r["id"] for r in json.loads(cli("list", "--starred", "--json").out)] == [green]
    assert cli("star", "ffffffff").code == 2


def test_dry_run_with_local_files(cli: Callable[..., Ran], tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(png_bytes(48, 32))
    ran = cli("submit", "--prompt", "{a|b} fox", "--image-ref", str(still), "--dry-run")
    assert ran.code == 0, ran.err
    assert "characters of base64>" in ran.out  # inline data abbreviated for a person
    ran = cli("submit", "--prompt", "{a|b} fox", "--image-ref", str(still), "--dry-run", "--json")
    refs = [r["image_ref"][0] for r in json.loads(ran.out)["requests"]]
    assert refs[0] == refs[1] and len(refs[0]["data"]) > 100  # the full body in JSON
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4_bytes(3))
    argv = ("--type", "video_edit", "--source", str(clip), "--prompt", "{snow|rain}")
    ran = cli("submit", *argv, "--dry-run", "--json")
    assert ran.code == 0, ran.err
    assert "1 local file(s) (--source) would be uploaded first" in ran.err
    assert stored_jobs() == []


def test_a_batch_uploads_a_local_file_once_for_all_its_jobs(
    on_sim: Callable[..., Ran], tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4_bytes(3))
    argv = ("--type", "video_edit", "--source", str(clip), "--prompt", "make it {snow|rain}")
    ran = on_sim("submit", *argv, "--runs", "2", "--yes", "--wait", "--json")
    assert ran.code == 0, ran.err
    assert ran.err.count("will upload") == 1
    records = json.loads(ran.out)
    assert [r["prompt"] for r in records] == ["make it snow"] * 2 + ["make it rain"] * 2
    sources = [json.loads(job.request_json)["source"] for job in stored_jobs()]
    assert len({json.dumps(s) for s in sources}) == 1 and set(sources[0]) == {"file_id"}
