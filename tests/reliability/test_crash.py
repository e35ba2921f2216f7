"""kill -9 of the real CLI during polling and downloads, three times in a row, then a restart.

The simulator runs in this process (sped up 100 times, so jobs are in flight for a while);
each cycle is a child `python -m lumatui ...` with a fake key, killed with SIGKILL the moment
its database shows a job being polled (or an output being fetched). No sleeps: the child is
watched with bounded `proc.wait(timeout=...)` between looks at its database. After every
kill the database passes `PRAGMA integrity_check`, every stored output path is a final name
that verifies, and no request reached the simulator twice; after the last restart every job
is finished and every output on disk. `bench/crash.py` does ten cycles and prints counts.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.engine.media import verify_file
from lumatui.engine.thumbnails import file_sha256
from lumatui.sim import SimSettings, start_in_background
from tests.reliability.conftest import sim_prompts

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lumatui.sim import RunningSimulator

SPEED = 100.0
POLLING = (
    "SELECT 1 FROM jobs WHERE state IN ('queued', 'processing') AND updated_at > ?"
    " AND NOT EXISTS (SELECT 1 FROM jobs WHERE state IN ('submitting', 'waiting'))"
)
DOWNLOADING = (
    "SELECT 1 FROM outputs WHERE local_path IS NULL AND error IS NULL AND url_fetched_at > ?"
)


def rows(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows of one query on the child's database (none before it exists)."""
    if not db_path.exists():
        return []
    db = sqlite3.connect(str(db_path), timeout=10.0)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        db.close()


class Cli:
    """Runs `python -m lumatui` on the simulator with a fake key, in LUMATUI_HOME `home`."""

    def __init__(self, home: Path, sim: RunningSimulator) -> None:
        self.home, self.db = home, home / "data" / "lumatui.db"
        self.env = {
            **os.environ,
            "LUMATUI_HOME": str(home),
            "LUMA_AGENTS_API_KEY": "test-key",
            "LUMA_BASE_URL": sim.base_url,
        }

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """The child process, its output discarded (it is checked through its database)."""
        command = [sys.executable, "-m", "lumatui", *args, "--sim-speed", str(SPEED)]
        return subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def kill_when(self, proc: subprocess.Popen[bytes], sql: str, timeout: float = 30.0) -> bool:
        """SIGKILL the child once `sql` finds a row changed since now; False if it ended first."""
        since, deadline = time.time(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            if rows(self.db, sql, (since,)):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                return True
            try:
                proc.wait(timeout=0.003)
            except subprocess.TimeoutExpired:
                continue
            return False
        raise AssertionError("the child neither reached the moment nor ended")


def stored_outputs(db_path: Path) -> Iterator[sqlite3.Row]:
    """Every output the store says is on disk."""
    yield from rows(db_path, "SELECT * FROM outputs WHERE local_path IS NOT NULL")


def check_after_kill(cli: Cli, sim_state: Path) -> int:
    """The database is sound, outputs are final files that verify, nothing was sent twice."""
    (result,) = rows(cli.db, "PRAGMA integrity_check")[0]
    assert result == "ok"
    for output in stored_outputs(cli.db):
        path = Path(output["local_path"])
        assert not path.name.startswith(".") and not path.name.endswith(".part"), path
        verify_file(path)
        assert file_sha256(path) == output["sha256"]
    local: Counter[str] = Counter(
        r["prompt"] for r in rows(cli.db, "SELECT prompt FROM jobs WHERE state != 'rejected'")
    )
    for prompt, count in sim_prompts(sim_state).items():
        assert count <= local[prompt], f"{prompt!r} created {count} times"
    return len(list((cli.home / "data" / "outputs").glob("*/.*.part")))


def test_three_kill_nine_cycles_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    sim_state = tmp_path / "simulator"
    settings = SimSettings.for_tests(sim_state, speed=SPEED, image_long_side=256, seed=3)
    sim = start_in_background(settings)
    cli = Cli(tmp_path / "home", sim)
    try:
        cycles = [
            (("submit", "--prompt", "crash test one", "--count", "3", "--wait"), POLLING),
            (("wait", "--all"), DOWNLOADING),
            (("submit", "--prompt", "crash test two", "--count", "2", "--wait"), POLLING),
        ]
        for args, moment in cycles:
            proc = cli.start(*args)
            assert cli.kill_when(proc, moment) or proc.returncode == 0
            check_after_kill(cli, sim_state)
        final = cli.start("wait", "--all")
        assert final.wait(timeout=60) == 0
    finally:
        sim.stop()

    assert check_after_kill(cli, sim_state) == 0, "a .part file survived the restart"
    jobs = rows(cli.db, "SELECT * FROM jobs")
    assert len(jobs) == 5
    assert {j["state"] for j in jobs} <= {"completed", "uncertain"}
    for job in jobs:
        if job["state"] == "completed":
            outputs = rows(cli.db, "SELECT * FROM outputs WHERE job_id = ?", (job["id"],))
            assert outputs and all(o["local_path"] and not o["error"] for o in outputs)
    created = [j for j in jobs if j["generation_id"]]
    uncertain = len(jobs) - len(created)
    generations = sim_prompts(sim_state)
    # No POST re-sent: the simulator holds the created jobs, plus at most the uncertain ones.
    assert len(created) <= sum(generations.values()) <= len(created) + uncertain
    at_sim = {r["id"] for r in rows(sim_state / "simulator.db", "SELECT id FROM generations")}
    assert {j["generation_id"] for j in created} <= at_sim
