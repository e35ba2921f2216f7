"""Many real processes on one history: no second paid POST, no lost output, clean hand-overs.

Small versions of `bench/processes.py`: one-shot submits in parallel against a simulator
with limits and faults, a primary hand-over while another process holds waiting jobs, a
hand-over in the middle of a download, and two `wait --all` at once.
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

import pytest

from lumatui.engine.jobs import JobState
from lumatui.sim import SimSettings, start_in_background
from tests.cli.multiprocess import (
    DownloadGate,
    History,
    created_by_prompt,
    read_until,
    run_in_batches,
    until,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from lumatui.sim import RunningSimulator

SPEED = 10_000.0


@pytest.fixture
def gate() -> Iterator[list[DownloadGate]]:
    """The download gates made for a test's simulators (released at the end)."""
    made: list[DownloadGate] = []
    yield made
    for each in made:
        each.release.set()


@pytest.fixture
def history(
    tmp_path: Path, gate: list[DownloadGate]
) -> Iterator[Callable[..., tuple[History, RunningSimulator]]]:
    """Start a simulator (with these settings) and a history of processes on it."""
    started: list[RunningSimulator] = []

    def make(*, stall_first: bool = False, **changes: object) -> tuple[History, RunningSimulator]:
        settings = SimSettings.for_tests(tmp_path / "simulator", **{"speed": SPEED, **changes})

        def wrap(app: object) -> DownloadGate:
            made = DownloadGate(app, stall_first=stall_first)  # type: ignore[arg-type]
            gate.append(made)
            return made

        sim = start_in_background(settings, wrap=wrap)
        started.append(sim)
        return History(tmp_path / "home", sim, SPEED), sim

    yield make
    for each in gate:
        each.release.set()  # a stalled download lets its server thread go
    for sim in started:
        sim.stop()


def check_nothing_twice_nothing_lost(history: History, sim: RunningSimulator) -> None:
    """The figures of the issue: created once, none lost, no uncertain job never created."""
    created = created_by_prompt(sim)
    assert all(n == 1 for n in created.values()), f"created twice: {created.most_common(3)}"
    jobs = history.jobs()
    for job in jobs:
        if job.state is JobState.UNCERTAIN:
            assert job.prompt in created, f"uncertain but never created: {job.note}"
        elif job.state is JobState.CANCELLED:
            assert job.prompt not in created, "cancelled, yet created"
        else:
            assert job.state is JobState.COMPLETED, (job.prompt, job.state, job.note)
            assert job.generation_id is not None
    recorded = {job.prompt for job in jobs}
    assert set(created) <= recorded, "a generation no job knows about"
    assert history.outputs_missing() == []
    assert history.partial_files() == []


def test_parallel_one_shot_submits_send_each_job_once(
    history: Callable[..., tuple[History, RunningSimulator]],
) -> None:
    """8 `lumatui submit` processes, 4 at a time, through a concurrency limit of 3 and faults
    (the full size, 300 processes 16 at a time, is bench/processes.py)."""
    home, sim = history(concurrent_jobs=3, faults="429=0.08,503=0.05,reset=0.05", seed=11)
    commands = [["submit", "--prompt", f"parallel job {i}"] for i in range(8)]
    codes = run_in_batches(home, commands, width=4)
    assert set(codes) <= {0, 1, 4}, codes  # 1: uncertain after a reset; 4: 503 four times
    finished = home.run("wait", "--all")
    assert finished.returncode in (0, 1), finished.stderr
    assert len(home.jobs()) == 8
    check_nothing_twice_nothing_lost(home, sim)


def test_a_primary_leaves_another_process_waiting_jobs_alone_and_adopts_them_when_it_dies(
    history: Callable[..., tuple[History, RunningSimulator]],
) -> None:
    """A holds jobs waiting on a 429; a primary starts; A is killed; the primary sends them."""
    # The first job runs for seconds (speed 4), so however loaded the machine, the others
    # still wait behind it when the primary has started; then the simulator speeds up.
    home, sim = history(concurrent_jobs=1, speed=4.0)
    holder = home.start("submit", "--count", "3", "--prompt", "held job", "--queue", "--wait")
    read_until(holder, "waiting:")  # its second job waits behind the concurrency limit
    primary = home.start("wait", "--all", "--timeout", "100")
    read_until(primary, "waiting for")  # started, primary: A's jobs are A's
    waiting = [job for job in home.jobs() if job.state is JobState.WAITING]
    assert waiting and all(job.owner is not None for job in waiting)
    sim.simulator.settings = sim.simulator.settings.with_changes(speed=SPEED)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    _out, err = primary.communicate(timeout=120)
    assert primary.returncode in (0, 1), err
    jobs = home.jobs()
    assert len(jobs) == 3
    created = created_by_prompt(sim)
    assert created["held job"] <= 3
    done = [j for j in jobs if j.state is JobState.COMPLETED]
    uncertain = [j for j in jobs if j.state is JobState.UNCERTAIN]
    assert len(done) + len(uncertain) == 3, [(j.state, j.note) for j in jobs]
    assert created["held job"] >= len(done), "every completed job was created once"
    assert home.outputs_missing() == [] and home.partial_files() == []


def test_a_download_is_handed_over_when_its_process_dies_mid_file(
    history: Callable[..., tuple[History, RunningSimulator]],
    gate: list[DownloadGate],
) -> None:
    """The first `wait --all` dies half-way through a file; the next one fetches it whole."""
    home, sim = history(stall_first=True)
    assert home.run_here("submit", "--prompt", "handed over mid-download") == 0
    first = home.start("wait", "--all")
    assert gate[0].started.wait(60), "the download never started"
    until(lambda: bool(home.partial_files()))  # the first process writes its .part
    (part,) = home.partial_files()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    second = home.run("wait", "--all")
    assert second.returncode == 0, second.stderr
    (job,) = home.jobs()
    assert job.state is JobState.COMPLETED and job.owner is None
    check_nothing_twice_nothing_lost(home, sim)
    assert sum(gate[0].downloads.values()) == 2, "fetched again once, after the hand-over"
    assert not part.exists(), "the dead writer's partial file was swept"


def test_two_wait_all_at_once_download_each_output_once(
    history: Callable[..., tuple[History, RunningSimulator]],
    gate: list[DownloadGate],
) -> None:
    home, sim = history()
    for i in range(4):  # sent from here: the two `wait --all` processes are under test
        assert home.run_here("submit", "--prompt", f"waited for twice {i}") == 0
    one, two = home.start("wait", "--all"), home.start("wait", "--all")
    results = [one.communicate(timeout=120), two.communicate(timeout=120)]
    assert (one.returncode, two.returncode) == (0, 0), results
    # Each waits for what was unfinished when it started: on a busy machine a job may be
    # done (even by its own `submit`, polling before it exits) before either starts. What
    # they report is completed; every job is completed with its output, fetched once.
    reported = [line for out, _ in results for line in out.splitlines()]
    assert all(line.startswith("completed") for line in reported), reported
    assert all(job.state is JobState.COMPLETED for job in home.jobs())
    assert list(gate[0].downloads.values()) == [1, 1, 1, 1], gate[0].downloads
    check_nothing_twice_nothing_lost(home, sim)
