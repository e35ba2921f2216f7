"""Notices stay out of the way: one per kind with a count, never over the preview or the
selected row, on the pane bar where panes are tabs; a long job's terminal notification;
what ctrl+q says about jobs still running."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from textual.widgets._toast import Toast

from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore
from lumatui.tui.app import quit_message
from lumatui.tui.screens.pane_bar import PaneBar
from lumatui.tui.terminal_alert import alert_method, alert_sequence
from tests.tui.conftest import seed_job, settle, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def finished_jobs(tmp_path: Path, count: int, state: JobState, took: float = 5.0) -> list[Job]:
    """Jobs as the engine reports them when they end (stored in a store of their own)."""
    with JobStore.open(tmp_path / "other" / "jobs.db") as store:
        return [
            seed_job(store, n, f"job {n}", state=state, took=took, failure_code="x")
            for n in range(count)
        ]


def run_to_end(app: LumaApp, jobs: list[Job]) -> None:
    """The session sees each job running, then finished (as the live feed reports it)."""
    session = app.main_screen.session
    session.jobs_changed([replace(job, state=JobState.PROCESSING) for job in jobs])
    for job in jobs:
        session.jobs_changed([job])


def toasts(app: LumaApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_completions_coalesce_into_one_toast_away_from_the_preview_and_rows(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    jobs = finished_jobs(tmp_path, 3, JobState.COMPLETED)
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        run_to_end(app, jobs[:1])
        await pilot.pause()
        assert toasts(app) == [f"✓ {jobs[0].short_id} completed (image, uni-1)"]
        run_to_end(app, jobs[1:])
        await settle(pilot)
        assert toasts(app) == [f"✓ 3 jobs completed · last {jobs[2].short_id}"]
        screen = app.main_screen
        await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 1)
        (toast,) = app.screen.query(Toast)
        assert not toast.region.overlaps(screen.preview.region)
        assert not toast.region.overlaps(screen.job_list.region)
        # Failures are another kind: a second toast, not a fourth line in the first.
        failed = finished_jobs(tmp_path / "f", 2, JobState.FAILED)
        run_to_end(app, failed)
        await settle(pilot)
        assert sorted(toasts(app)) == sorted(
            [
                f"✓ 3 jobs completed · last {jobs[2].short_id}",
                f"✗ 2 jobs failed · last {failed[1].short_id}: x",
            ]
        )


async def test_an_uncertain_job_and_a_repeated_refusal_each_raise_one_notice(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    from lumatui.engine.events import JobError, SendRefused
    from lumatui.tui.bridge import EngineBridge

    (job,) = finished_jobs(tmp_path, 1, JobState.UNCERTAIN)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen = app.main_screen
        run_to_end(app, [job])
        screen.post_message(EngineBridge.EngineEvent(JobError(job.id, "no answer in 60 s")))
        reason = "no balance for the next job (HTTP 402: insufficient credits): add funds"
        for _ in range(3):  # each try of the queue says it again
            screen.post_message(EngineBridge.EngineEvent(SendRefused(job, "balance", reason)))
        await settle(pilot)
        assert toasts(app) == [
            f"? {job.short_id} is uncertain: no answer came back",
            f"{reason}. Press u to try again.",
        ]


async def test_at_80x24_notices_go_on_the_pane_bar_not_over_the_pane(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    jobs = finished_jobs(tmp_path, 2, JobState.COMPLETED)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        run_to_end(app, jobs)
        await settle(pilot)
        assert toasts(app) == []
        bar = app.main_screen.query_one(PaneBar)
        text = str(bar.render())
        assert text.rstrip().endswith(f"✓ 2 jobs completed · last {jobs[1].short_id}")
        assert "F3 Jobs" in text or "F2 Composer" in text  # the active tab keeps its name
        app.notify("Trying the submission queue again now.")
        await pilot.pause()
        assert "Trying the submission queue again now." in str(bar.render())
        assert toasts(app) == []


async def test_a_long_job_raises_a_terminal_notification(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    short, long = finished_jobs(tmp_path, 2, JobState.COMPLETED, took=30.0)
    short = replace(short, finished_at=(short.submitted_at or 0) + 5)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        session = app.main_screen.session
        written: list[str] = []
        session.write, session.alert_method = written.append, "osc9"
        run_to_end(app, [short, long])
        assert session.alerts == [f"{long.short_id} completed after 30 s: job 1"]
        assert written == [f"\x1b]9;lumatui: {long.short_id} completed after 30 s: job 1\x1b\\"]
        session.alert_after_s = 0  # off by setting
        run_to_end(app, [replace(long, id="another")])
        assert len(session.alerts) == 1


@pytest.mark.parametrize(
    ("environ", "method"),
    [
        ({"TERM_PROGRAM": "iTerm.app"}, "osc9"),
        ({"TERM_PROGRAM": "WezTerm"}, "osc9"),
        ({"WT_SESSION": "x"}, "osc9"),
        ({"KITTY_WINDOW_ID": "1", "TERM": "xterm-kitty"}, "osc9"),
        ({"VTE_VERSION": "7600"}, "osc777"),
        ({"TERM": "foot"}, "osc777"),
        ({"TERM": "xterm-256color"}, "bell"),
        ({}, "bell"),
    ],
)
def test_auto_picks_what_the_terminal_takes(environ: dict[str, str], method: str) -> None:
    assert alert_method("auto", environ) == method
    assert alert_method("off", environ) == "off"


def test_alert_sequences_are_clean_and_wrapped_in_tmux() -> None:
    body = "done; \x1b]52;c;evil\x07 fox"
    assert alert_sequence("osc777", "lumatui", body, {}) == (
        "\x1b]777;notify;lumatui;done, fox\x1b\\"
    )
    wrapped = alert_sequence("osc9", "t", "b", {"TMUX": "/tmp/tmux"})
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;t: b\x1b\x1b\\\x1b\\"
    assert alert_sequence("bell", "t", "b", {}) == "\a"
    assert alert_sequence("off", "t", "b", {}) == ""


def test_quit_says_running_jobs_go_on() -> None:
    assert quit_message(0, 0, "primary") is None
    assert quit_message(1, 0, "primary") == (
        "1 job is still running at the API: they go on, and lumatui finishes them "
        "(fetches their outputs) on its next start."
    )
    viewer = quit_message(3, 2, "viewer · primary: pid 42 on host")
    assert viewer is not None
    assert "3 jobs are still running" in viewer and "primary workstation (pid 42 on host)" in viewer
    assert "2 jobs wait in the local queue, unsent: sent on the next start." in viewer


async def test_ctrl_q_with_a_job_running_says_it_goes_on(
    make_app: Callable[..., LumaApp], tmp_path: Path
) -> None:
    app = make_app()
    captured: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        app.main_screen.header.running = 2
        original = app.exit

        def exit_spy(*args: Any, **kwargs: Any) -> None:
            captured.update(kwargs)
            original(*args, **kwargs)

        app.exit = exit_spy  # type: ignore[method-assign]
        await pilot.press("ctrl+q")
    assert "2 jobs are still running at the API: they go on" in captured["message"]
