"""What the bench scripts share: a simulator, an engine on it, the `lumatui` CLI, and checks.

Only the standard library and the project. The checks read the stores directly (SQLite) so
they judge what is on disk, not what a running process believes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.api.client import AgentsClient
from lumatui.engine.media import MediaError, verify_file
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore
from lumatui.engine.thumbnails import file_sha256
from lumatui.sim import SimSettings, start_in_background

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    import httpx

    from lumatui.sim import RunningSimulator

BENCH_KEY = "test-key"
"""A fake key: the local simulator accepts any key."""


def start_simulator(state_dir: Path, *, wrap: Any = None, **changes: Any) -> RunningSimulator:
    """A simulator on 127.0.0.1 and a free port, in a background thread (`wrap`: middleware)."""
    return start_in_background(SimSettings(state_dir=state_dir, **changes), wrap=wrap)


def scaled_sleep(scale: float) -> Callable[[float], Awaitable[None]]:
    """The client's retry sleep, `scale` times as long (the simulator is sped up)."""

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds * scale)

    return sleep


def build_engine(
    base_url: str,
    root: Path,
    *,
    time_scale: float,
    transport: httpx.AsyncBaseTransport | None = None,
    download_transport: httpx.AsyncBaseTransport | None = None,
    **client_options: Any,
) -> Engine:
    """An engine (not started) with its store and outputs under `root`."""
    client = AgentsClient(
        BENCH_KEY,
        base_url,
        transport=transport,
        download_transport=download_transport,
        sleep=scaled_sleep(time_scale),
        **client_options,
    )
    store = JobStore.open(root / "data" / "lumatui.db")
    options = EngineOptions(rate_limit=200.0, max_in_flight=8, time_scale=time_scale)
    return Engine(store, client, root / "data" / "outputs", options=options)


def cli(
    home: Path, base_url: str, args: list[str], *, speed: float, logs: Path
) -> subprocess.Popen[bytes]:
    """Start `python -m lumatui ARGS` on the API at `base_url`; output goes to `logs`."""
    env = {
        **os.environ,
        "LUMATUI_HOME": str(home),
        "LUMA_AGENTS_API_KEY": BENCH_KEY,
        "LUMA_BASE_URL": base_url,
    }
    logs.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "lumatui", *args, "--sim-speed", str(speed)]
    with logs.with_suffix(".out").open("wb") as out, logs.with_suffix(".err").open("wb") as err:
        return subprocess.Popen(command, env=env, stdout=out, stderr=err)


def connect(path: Path) -> sqlite3.Connection:
    """A connection to a SQLite file (another process may be writing it)."""
    db = sqlite3.connect(str(path), timeout=10.0)
    db.row_factory = sqlite3.Row
    return db


def integrity(path: Path) -> str:
    """SQLite's `PRAGMA integrity_check` of a database: "ok" when it is sound."""
    db = connect(path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows of one query; no rows when the database or its tables do not exist yet."""
    if not path.exists():
        return []
    db = connect(path)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


@dataclass
class OutputCheck:
    """What is on disk for the outputs: verified files, and every problem found."""

    verified: int = 0
    partial_files: int = 0
    problems: list[str] = field(default_factory=list)


def check_outputs(db_path: Path, outputs_dir: Path) -> OutputCheck:
    """Each stored output path is a final name that verifies and matches its hash."""
    result = OutputCheck()
    rows = query(db_path, "SELECT job_id, n, local_path, sha256 FROM outputs")
    for row in rows:
        if row["local_path"] is None:
            continue
        path = Path(row["local_path"])
        if path.name.endswith(".part") or path.name.startswith("."):
            result.problems.append(f"a partial file was taken for an output: {path}")
            continue
        try:
            verify_file(path)
        except (MediaError, OSError) as exc:
            result.problems.append(f"{path}: {exc}")
            continue
        if file_sha256(path) != row["sha256"]:
            result.problems.append(f"{path}: content differs from the stored hash")
            continue
        result.verified += 1
    if outputs_dir.is_dir():
        result.partial_files = len(list(outputs_dir.glob("*/.*.part")))
        for final in outputs_dir.glob("*/[!.]*"):
            try:  # a file under its final name was verified before it was renamed
                verify_file(final)
            except MediaError as exc:
                result.problems.append(f"{final}: under a final name but {exc}")
    return result


def sim_prompts(state_dir: Path) -> Counter[str]:
    """How many generations the simulator created for each prompt."""
    rows = query(state_dir / "simulator.db", "SELECT plan FROM generations")
    return Counter(json.loads(row["plan"])["prompt"] for row in rows)


@dataclass
class Ledger:
    """Local jobs against the simulator's generations: what was created, lost or sent twice."""

    jobs: int
    created: int
    uncertain: int
    uncertain_created: int
    duplicates: int
    at_simulator: int


def ledger(db_path: Path, sim_state: Path) -> Ledger:
    """Compare the local store with the simulator's, prompt by prompt."""
    rows = query(db_path, "SELECT prompt, state, generation_id FROM jobs")
    seen = sim_prompts(sim_state)
    created: Counter[str] = Counter()
    uncertain: Counter[str] = Counter()
    for row in rows:
        if row["generation_id"] is not None:
            created[row["prompt"]] += 1
        elif row["state"] in ("uncertain", "submitting"):  # submitting: uncertain at restart
            uncertain[row["prompt"]] += 1
    duplicates = 0
    uncertain_created = 0
    for prompt, count in seen.items():
        extra = count - created[prompt]
        duplicates += max(0, extra - uncertain[prompt])
        uncertain_created += max(0, min(extra, uncertain[prompt]))
    return Ledger(
        jobs=len(rows),
        created=sum(created.values()),
        uncertain=sum(uncertain.values()),
        uncertain_created=uncertain_created,
        duplicates=duplicates,
        at_simulator=sum(seen.values()),
    )


def states(db_path: Path) -> Counter[str]:
    """How many local jobs are in each state."""
    return Counter(row["state"] for row in query(db_path, "SELECT state FROM jobs"))


def print_counts(title: str, counts: Mapping[str, object]) -> None:
    """One aligned `name  value` line per count, under a title."""
    print(title)
    width = max((len(name) for name in counts), default=0)
    for name, value in counts.items():
        print(f"  {name:<{width}}  {value}")
