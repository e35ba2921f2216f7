"""The CLI and today's API: files, file:ID, uploads of local media, layering, web search,
unknown fields and unknown prices."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.conftest import KEY, SPEED, Ran, stored_jobs
from tests.sim.fakes import mp4_bytes, png_bytes, write_padded_mp4

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.sim import RunningSimulator


@pytest.fixture
def api(
    fast_sim: RunningSimulator, cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Ran]:
    """Run `lumatui ...` against the fast simulator with the fake key; `files` verbs too."""
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    where = ("--base-url", fast_sim.base_url)

    def run(*argv: str, stdin: str | None = None) -> Ran:
        if argv[0] == "files":
            ran = cli("files", *where, *argv[1:], stdin=stdin)
        elif argv[0] in ("submit", "get", "wait"):
            ran = cli(*argv, *where, "--sim-speed", str(SPEED), stdin=stdin)
        else:
            ran = cli(*argv, stdin=stdin)
        assert KEY not in ran.out and KEY not in ran.err
        return ran

    return run


def sim_files(fast_sim: RunningSimulator) -> int:
    """How many files the simulator holds, for every caller."""
    return int(fast_sim.simulator.store.query("SELECT COUNT(*) FROM files")[0][0])


def test_files_upload_list_get_rm(api: Callable[..., Ran], tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(png_bytes())
    uploaded = api("files", "upload", str(still), "--purpose", "reference")
    assert uploaded.code == 0, uploaded.err
    (file_id,) = uploaded.out.split()
    listed = api("files", "list", "--json")
    assert file_id in [f["id"] for f in json.loads(listed.out)]
    shown = json.loads(api("files", "get", file_id, "--json").out)
    assert (shown["state"], shown["purpose"], shown["filename"]) == (
        "ready",
        "reference",
        "still.png",
    )
    assert "still.png" in api("files", "list").out
    assert api("files", "rm", f"file:{file_id}").code == 0
    assert file_id not in api("files", "list").out
    assert json.loads(api("files", "get", file_id, "--json").out)["state"] == "deleted"
    assert api("files", "get", "nope").code == 2
    assert api("files", "get", "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e").code == 4


def test_layering_from_a_file_shows_every_layer(api: Callable[..., Ran], tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(png_bytes(48, 32))
    file_id = api("files", "upload", str(still)).out.strip()
    ran = api(
        "submit",
        "--type",
        "layering",
        "--source",
        f"file:{file_id}",
        "--prompt",
        "split the kite",
        "--layering-resolution",
        "2k",
        "--yes",
        "--wait",
        "--json",
    )
    assert ran.code == 0, ran.err
    (record,) = json.loads(ran.out)
    files = record["output_files"]
    assert len(files) >= 3 and len(record["outputs"]) == len(files)
    assert [f["layer"]["index"] for f in files] == list(range(len(files)))
    assert files[0]["layer"]["label"] == "kite"
    assert files[-1]["layer"]["alpha_hint"] == "none"
    details = json.loads(api("get", record["id"], "--json").out)
    assert details["output_files"] == files
    text = api("get", record["id"]).out
    assert "layer 0 (front): kite" in text and "(background)" in text


def test_unknown_price_asks_first(
    api: Callable[..., Ran], fast_sim: RunningSimulator, tmp_path: Path
) -> None:
    before = fast_sim.simulator.store.count()
    refused = api("submit", "--prompt", "today's headlines as a poster", "--web-search", stdin="")
    assert refused.code == 2
    assert "price of this job is unknown" in refused.err and "--yes" in refused.err
    assert fast_sim.simulator.store.count() == before and stored_jobs() == []
    sent = api("submit", "--prompt", "today's headlines", "--web-search", "--yes", "--wait")
    assert sent.code == 0, sent.err
    (job,) = stored_jobs()
    assert json.loads(job.request_json)["web_search"] is True


def test_unknown_fields_warn_and_need_a_flag(api: Callable[..., Ran], tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"prompt": "a fox", "guide_frame": {"index": 3}}))
    refused = api("submit", "--json", str(body))
    assert refused.code == 2
    assert "guide_frame: not known to lumatui" in refused.err and "sent as is" in refused.err
    assert "--allow-unknown-fields" in refused.err
    assert stored_jobs() == []
    sent = api("submit", "--json", str(body), "--allow-unknown-fields")
    (job,) = stored_jobs()
    # Sent exactly as given: this simulator does not know the field either, and says so.
    assert json.loads(job.request_json)["guide_frame"] == {"index": 3}
    assert sent.code == 1 and job.state == "rejected"
    assert "guide_frame" in (job.note or "")


def test_a_local_video_is_uploaded_once_and_sent_as_file_id(
    api: Callable[..., Ran], fast_sim: RunningSimulator, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4_bytes(3))
    before = sim_files(fast_sim)
    for _ in range(2):
        ran = api(
            "submit", "--type", "video_edit", "--source", str(clip), "--prompt", "snow", "--wait"
        )
        assert ran.code == 0, ran.err
        assert "will upload" in ran.err and "as a file" in ran.err
    assert sim_files(fast_sim) == before + 1
    first, second = stored_jobs()
    for job in (first, second):
        source: dict[str, Any] = json.loads(job.request_json)["source"]
        assert set(source) == {"file_id"}
    assert json.loads(first.request_json) == json.loads(second.request_json)


def test_a_large_image_goes_as_a_file_small_one_inline(
    api: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LUMATUI_INLINE_CAP_BYTES", "100")
    small, large = tmp_path / "s.png", tmp_path / "l.png"
    small.write_bytes(png_bytes())
    large.write_bytes(png_bytes(200, 200, (10, 200, 30)) + b"")
    assert small.stat().st_size <= 100 < large.stat().st_size
    ran = api(
        "submit", "--prompt", "x", "--image-ref", str(small), "--image-ref", str(large), "--wait"
    )
    assert ran.code == 0, ran.err
    (job,) = stored_jobs()
    refs = json.loads(job.request_json)["image_ref"]
    assert set(refs[0]) == {"data", "media_type"} and set(refs[1]) == {"file_id"}


def test_a_180_mb_video_goes_through_as_an_upload_and_a_video_edit(
    api: Callable[..., Ran], fast_sim: RunningSimulator, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    size = 180 * 1024 * 1024
    write_padded_mp4(big, 4, size)
    ran = api(
        "submit",
        "--type",
        "video_edit",
        "--source",
        str(big),
        "--prompt",
        "rain",
        "--wait",
        "--json",
    )
    assert ran.code == 0, ran.err
    assert "will upload 180 MB as a file" in ran.err
    (record,) = json.loads(ran.out)
    assert record["state"] == "completed" and record["outputs"]
    (job,) = stored_jobs()
    assert len(job.request_json) < 500  # the body sent: a file id, not a byte of base64
    file_id = json.loads(job.request_json)["source"]["file_id"]
    row = fast_sim.simulator.files.table.get(file_id)
    assert row is not None and row.size_bytes == size and row.presigned
    assert fast_sim.simulator.files.bytes_path(file_id).stat().st_size == size
    generation = fast_sim.simulator.store.get(record["generation_id"])
    assert generation is not None and f"uploads/{file_id}.bin" in generation.plan
