"""Every refusal said at once: 401/403 and 402 end `submit` with exit 4 and the API's reason,
after one POST; the job was never sent, so it is cancelled (or, with --queue, queued)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.engine.jobs import JobState
from lumatui.sim import SimSettings, start_in_background
from tests.cli.conftest import KEY, SPEED, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from starlette.types import ASGIApp, Receive, Scope, Send

    from lumatui.sim import RunningSimulator
    from tests.cli.conftest import Ran


class Posts:
    """ASGI middleware counting POSTs; `refuse` answers them itself (401) when set."""

    def __init__(self, app: ASGIApp, refuse: bool) -> None:
        self.app = app
        self.refuse = refuse
        self.count: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            self.count["POST"] += 1
            if self.refuse:
                body = json.dumps({"detail": "Invalid API key: rotated on 2026-11-30"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[Callable[..., tuple[RunningSimulator, Posts]]]:
    """A simulator with these settings, its POSTs counted (and refused with 401 if asked)."""
    started: list[RunningSimulator] = []

    def start(*, refuse: bool = False, **changes: Any) -> tuple[RunningSimulator, Posts]:
        posts: list[Posts] = []

        def wrap(app: ASGIApp) -> ASGIApp:
            posts.append(Posts(app, refuse))
            return posts[0]

        settings = SimSettings.for_tests(tmp_path / f"sim-{len(started)}", **changes)
        sim = start_in_background(settings, wrap=wrap)
        started.append(sim)
        return sim, posts[0]

    yield start
    for sim in started:
        sim.stop()


def submit(cli: Callable[..., Ran], sim: RunningSimulator, *args: str, fast: bool = True) -> Ran:
    speed = ("--sim-speed", str(SPEED)) if fast else ()
    return cli("submit", "--prompt", "refused", *args, "--base-url", sim.base_url, *speed)


def test_a_refused_key_exits_4_at_once_with_the_apis_reason(
    cli: Callable[..., Ran],
    refusing: Callable[..., tuple[RunningSimulator, Posts]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    sim, posts = refusing(refuse=True)
    ran = submit(cli, sim)
    assert ran.code == 4, ran.err
    assert "rotated on 2026-11-30" in ran.err and "HTTP 401" in ran.err
    assert posts.count["POST"] == 1, "said after the first refusal, not after retries"
    (job,) = stored_jobs()
    assert job.state is JobState.CANCELLED and "nothing was created" in (job.note or "")
    assert "cancelled 1 unsent job(s)" in ran.err
    assert KEY not in ran.err


def test_a_suspended_client_exits_4_with_the_apis_reason(
    cli: Callable[..., Ran],
    refusing: Callable[..., tuple[RunningSimulator, Posts]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", "luma-api-suspended-client")
    sim, posts = refusing()
    ran = submit(cli, sim)
    assert ran.code == 4, ran.err
    assert "HTTP 403" in ran.err and "suspended" in ran.err
    assert posts.count["POST"] == 1


def test_no_balance_says_balance_at_once_and_exits_4(
    cli: Callable[..., Ran],
    refusing: Callable[..., tuple[RunningSimulator, Posts]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    sim, posts = refusing(balance_usd=0.0)
    ran = submit(cli, sim)
    assert ran.code == 4, ran.err
    assert "balance" in ran.err and "HTTP 402" in ran.err
    assert "rate" not in ran.err.lower(), "a 402 is not a rate or concurrency limit"
    assert posts.count["POST"] == 1
    (job,) = stored_jobs()
    assert job.state is JobState.CANCELLED


def test_no_balance_with_queue_hands_the_job_to_the_historys_queue(
    cli: Callable[..., Ran],
    refusing: Callable[..., tuple[RunningSimulator, Posts]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    sim, _ = refusing(balance_usd=0.0)
    ran = submit(cli, sim, "--queue")
    assert ran.code == 4, ran.err
    assert "handed to the history's queue" in ran.err
    (job,) = stored_jobs()
    assert job.state is JobState.WAITING and job.owner is None, "the primary sends it later"
    listed = cli("queue")
    assert listed.code == 0 and "the history's queue" in listed.out and "402" in listed.out
    sim.simulator.settings = sim.simulator.settings.with_changes(balance_usd=1000.0)
    drained = cli("queue", "run", "--wait", "--base-url", sim.base_url, "--sim-speed", str(SPEED))
    assert drained.code == 0, drained.err
    (job,) = stored_jobs()
    assert job.state is JobState.COMPLETED, drained.err


def test_waiting_for_balance_keeps_trying_until_the_timeout(
    cli: Callable[..., Ran],
    refusing: Callable[..., tuple[RunningSimulator, Posts]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    sim, posts = refusing(balance_usd=0.0)
    # Real time: the next try after a 402 is 30 s away, so the timeout ends the wait.
    ran = submit(cli, sim, "--wait-for-balance", "--timeout", "2", fast=False)
    assert ran.code == 5, ran.err
    assert "waiting for funds" in ran.err and "timed out" in ran.err
    assert posts.count["POST"] == 1
    (job,) = stored_jobs()
    assert job.state is JobState.CANCELLED and "timed out" in (job.note or "")
