"""kill -9 in the middle of `lumatui submit --wait`, then `lumatui wait --all` in a new process.

Real subprocesses against a standalone simulator on loopback, slowed down so the jobs are
still in flight when the first process dies. Every job must finish, none may be sent twice,
and the database must pass SQLite's integrity check.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lumatui.config import app_paths
from lumatui.engine.media import verify_file
from lumatui.sim import SimSettings, start_in_background
from tests.cli.conftest import KEY

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[2]
JOBS = 4
SPEED = 20.0  # a uni-1 image takes about 1.5-3 s: long enough to be killed mid-flight
DEADLINE_S = 60.0


def lumatui(*argv: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`python -m lumatui ARGV...` in a new process, stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "lumatui", *argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_stderr_until(
    proc: subprocess.Popen[str], done: Callable[[list[str]], bool], timeout: float
) -> list[str]:
    """Lines of the process's stderr, read (without sleeping) until `done(lines)` or timeout."""
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stderr, selectors.EVENT_READ)
        while not done(lines):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; stderr so far: {lines}"
            if selector.select(timeout=remaining):
                line = proc.stderr.readline()
                assert line, f"the process ended early ({proc.wait()}); stderr: {lines}"
                lines.append(line.rstrip("\n"))
    return lines


def test_kill_9_mid_flight_then_wait_all_finishes_every_job_once(tmp_path: Path) -> None:
    paths = app_paths()  # LUMATUI_HOME from the autouse fixture
    settings = SimSettings.for_tests(tmp_path / "standalone-sim", speed=SPEED)
    with start_in_background(settings) as running:
        env = {**os.environ, "LUMA_AGENTS_API_KEY": KEY, "LUMATUI_HOME": os.environ["LUMATUI_HOME"]}
        net = ("--base-url", running.base_url, "--sim-speed", str(SPEED))
        first = lumatui(
            "submit", "--prompt", "crash test", "--count", str(JOBS), "--wait", *net, env=env
        )
        try:
            read_stderr_until(
                first, lambda lines: sum("submitted" in line for line in lines) == JOBS, DEADLINE_S
            )
        finally:
            first.kill()  # SIGKILL: no cleanup of any kind
            first.communicate(timeout=DEADLINE_S)
        assert first.returncode == -9

        with contextlib.closing(sqlite3.connect(paths.database)) as db, db:
            states = [state for (state,) in db.execute("SELECT state FROM jobs")]
        assert len(states) == JOBS
        assert any(state in ("queued", "processing") for state in states), states

        second = lumatui("wait", "--all", "--json", *net, env=env)
        out, err = second.communicate(timeout=DEADLINE_S)
        assert second.returncode == 0, err
        assert KEY not in out and KEY not in err

        records = json.loads(out)
        assert len(records) == JOBS
        assert {record["state"] for record in records} == {"completed"}
        assert len({record["id"] for record in records}) == JOBS
        for record in records:
            (output,) = record["outputs"]
            assert verify_file(Path(output)).kind == "image"
        assert running.simulator.store.count() == JOBS  # nothing was sent twice

    with contextlib.closing(sqlite3.connect(paths.database)) as db, db:
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
        (unfinished,) = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE state != 'completed'"
        ).fetchone()
    assert integrity == "ok"
    assert unfinished == 0
