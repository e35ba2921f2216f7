"""`submit`'s progress lines: each accepted job is counted once, however its news arrives."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lumatui.commands.submit_cmd import _Progress
from lumatui.engine.events import JobChanged
from lumatui.engine.jobs import JobState
from tests.job_values import job_value as job

if TYPE_CHECKING:
    import pytest


def test_a_job_finished_before_its_first_news_is_still_counted_as_submitted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = _Progress({"job-1", "job-2"}, 2, wait_for_balance=False)
    progress(JobChanged(job(1, JobState.SUBMITTING)))
    progress(JobChanged(job(1, JobState.QUEUED, "gen-1")))
    progress(JobChanged(job(2, JobState.COMPLETED, "gen-2")))  # queued and done in between
    progress(JobChanged(job(1, JobState.PROCESSING, "gen-1")))
    err = capsys.readouterr().err
    assert "submitted 1/2: gen-1 queued" in err
    assert "submitted 2/2: gen-2 completed" in err
    assert progress.sent == 2 and err.count("submitted") == 2


def test_jobs_the_history_shows_accepted_are_told_when_their_news_is_late(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = _Progress({"job-1", "job-2"}, 2, wait_for_balance=False)
    first = job(1, JobState.QUEUED, "gen-1")
    progress(JobChanged(first))
    second = job(2, JobState.QUEUED, "gen-2")  # its event not handed over yet
    progress.catch_up([replace(first, state=JobState.PROCESSING), second])
    progress(JobChanged(second))  # the late event tells nothing new
    err = capsys.readouterr().err
    assert "submitted 2/2: gen-2 queued" in err
    assert progress.sent == 2 and err.count("submitted") == 2


def test_a_refused_or_uncertain_job_is_never_counted_as_submitted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = _Progress({"job-1", "job-2"}, 2, wait_for_balance=False)
    progress(JobChanged(job(1, JobState.REJECTED)))
    progress(JobChanged(job(2, JobState.UNCERTAIN)))
    progress.catch_up([job(1, JobState.REJECTED), job(2, JobState.UNCERTAIN)])
    assert progress.sent == 0 and "submitted" not in capsys.readouterr().err
