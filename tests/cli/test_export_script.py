"""`lumatui export ID --as script`: the script, run with `sh`, re-creates the chain."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lumatui.config import app_paths
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.engine.jobs import Job
    from tests.cli.conftest import Ran

SCRIPT_TIMEOUT_S = 300.0
PROMPT = "a fox named 'Rusty' at $HOME `date`"


@pytest.fixture
def fast_builtin_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key: every command (and the script's) uses the built-in simulator, sped up."""
    monkeypatch.setenv("LUMATUI_SIM__SPEED", "10000")


def small_png(path: Path) -> Path:
    """A real 32x24 PNG."""
    from PIL import Image

    Image.new("RGB", (32, 24), (200, 90, 40)).save(path, format="PNG")
    return path


def submit(cli: Callable[..., Ran], *args: str) -> str:
    """Submit and wait; the new server id."""
    ran = cli("submit", "--wait", "--print-id", *args)
    assert ran.code == 0, ran.err
    return ran.out.strip()


def jobs_by_generation() -> dict[str, Job]:
    """Every stored job by server id."""
    with JobStore.open(app_paths().database) as store:
        return {j.generation_id: j for j in _all(store) if j.generation_id}


def _all(store: JobStore) -> list[Job]:
    from lumatui.engine.queries import JobQuery

    return store.page(JobQuery(), limit=1000)


def body(job: Job) -> dict[str, object]:
    """The request a job was sent with."""
    result: dict[str, object] = json.loads(job.request_json)
    return result


@pytest.mark.usefixtures("fast_builtin_sim")
def test_the_exported_script_recreates_the_chain(cli: Callable[..., Ran], tmp_path: Path) -> None:
    reference = small_png(tmp_path / "fox.png")
    image = submit(cli, "--prompt", PROMPT, "--aspect-ratio", "16:9")
    edit = submit(
        cli,
        "--type",
        "image_edit",
        "--prompt",
        "make it night",
        "--source",
        image,
        "--image-ref",
        str(reference),
    )
    video = submit(cli, "--type", "video", "--prompt", "it runs", "--keyframe", f"{edit}@0")

    ran = cli("export", video, "--as", "script")
    assert ran.code == 0, ran.err
    script = ran.out
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script
    assert script.count("lumatui submit --wait --print-id") == 3
    assert '--source="$step1"' in script and '--keyframe="$step2@0"' in script
    assert "WARNING image_ref[0]: a local file was sent inline" in script
    assert "LUMA_AGENTS_API_KEY" in script and "data" not in script.replace("$", "")
    path = tmp_path / "chain.sh"
    path.write_text(script)
    workdir = tmp_path / "run"
    workdir.mkdir()
    shutil.copy(reference, workdir / "step2-image_ref0.png")  # where the warning says

    before = set(jobs_by_generation())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["sh", str(path)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    jobs = jobs_by_generation()
    new = {gid: job for gid, job in jobs.items() if gid not in before}
    assert len(new) == 3
    last = done.stdout.strip().splitlines()[-1]
    new_video = new[last]
    assert body(new_video)["prompt"] == "it runs"
    (keyframe,) = body(new_video)["video"]["keyframes"]  # type: ignore[index]
    new_edit = new[keyframe["generation_id"]]
    assert body(new_edit)["prompt"] == "make it night"
    assert body(new_edit)["image_ref"] == body(jobs[edit])["image_ref"]  # the same bytes
    new_image = new[body(new_edit)["source"]["generation_id"]]  # type: ignore[index]
    assert body(new_image) == body(jobs[image])  # quotes, $ and backquotes kept as written
    assert all(job.state == "completed" for job in new.values())
