"""`repair_history`: a damaged history is copied aside and rebuilt from what still reads."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lumatui.api.schema import GenerationRequest
from lumatui.engine.repair import check_history, repair_history
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from pathlib import Path

MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def history(path: Path, jobs: int) -> list[str]:
    """A history with `jobs` jobs (long prompts, so they span many pages); their prompts."""
    prompts = [f"job {n} " + "x" * 3000 for n in range(jobs)]
    with JobStore.open(path) as store:
        for prompt in prompts:
            store.record_submission(GenerationRequest(prompt=prompt, type="image"))
    return prompts


def stored_prompts(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        return [row[0] for row in db.execute("SELECT prompt FROM jobs ORDER BY seq")]


def test_a_healthy_history_is_left_alone(tmp_path: Path) -> None:
    database = tmp_path / "lumatui.db"
    history(database, 3)
    before = database.read_bytes()
    report = repair_history(database, now=MOMENT)
    assert report.healthy and report.backup is None
    assert database.read_bytes() == before
    assert list(tmp_path.glob("*.damaged-*")) == []


def test_a_damaged_page_is_skipped_and_the_rest_rebuilt(tmp_path: Path) -> None:
    database = tmp_path / "lumatui.db"
    prompts = history(database, 40)
    damaged = bytearray(database.read_bytes())
    page = 4096
    hit = damaged.index(b"job 20 xxx") // page  # the page holding one job in the middle
    damaged[page * hit : page * (hit + 1)] = b"\xff" * page
    database.write_bytes(bytes(damaged))
    assert check_history(database) is not None

    report = repair_history(database, now=MOMENT)

    assert not report.healthy and report.problem
    assert report.backup == tmp_path / "lumatui.db.damaged-20260102T030405Z"
    assert report.backup.read_bytes() == bytes(damaged)  # the copy is the file as it was
    assert check_history(database) is None
    kept = stored_prompts(database)
    assert 0 < len(kept) < len(prompts)
    assert set(kept) <= set(prompts)
    assert report.copied["jobs"] == len(kept)
    JobStore.open(database).close()  # the engine opens the rebuilt history


def test_garbage_gives_an_empty_history_and_keeps_the_garbage(tmp_path: Path) -> None:
    database = tmp_path / "lumatui.db"
    database.write_bytes(b"this is not a database" * 100)
    report = repair_history(database, now=MOMENT)
    assert report.problem == "file is not a database"
    assert report.backup is not None and report.backup.read_bytes().startswith(b"this is not")
    assert sorted(report.unreadable_tables) == ["edges", "jobs", "outputs", "state_changes"]
    assert check_history(database) is None and stored_prompts(database) == []


def test_a_truncated_history_keeps_the_jobs_before_the_cut(tmp_path: Path) -> None:
    database = tmp_path / "lumatui.db"
    prompts = history(database, 40)
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 2])
    report = repair_history(database, now=MOMENT)
    assert not report.healthy
    kept = stored_prompts(database)
    assert set(kept) <= set(prompts) and check_history(database) is None
