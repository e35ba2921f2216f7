"""`lumatui wait`: usage, nothing to wait for, timeouts, and waiting for given jobs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.cli.conftest import KEY, Ran, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

    from lumatui.sim import RunningSimulator


def test_wait_needs_ids_or_all(cli: Callable[..., Ran]) -> None:
    assert cli("wait").code == 2
    assert cli("wait", "abcd1234", "--all").code == 2
    ran = cli("wait", "abcd1234")
    assert ran.code == 2 and "no stored job" in ran.err


def test_wait_all_with_nothing_unfinished(on_sim: Callable[..., Ran]) -> None:
    ran = on_sim("wait", "--all", "--json")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out) == []
    assert "no unfinished jobs" in ran.err


def test_wait_all_finishes_jobs_submitted_without_wait(on_sim: Callable[..., Ran]) -> None:
    for prompt in ("one", "two", "three"):
        assert on_sim("submit", "--prompt", prompt).code == 0
    ran = on_sim("wait", "--all")
    assert ran.code == 0, ran.err
    # Each submit's engine also follows the earlier jobs, so some may be done already.
    lines = ran.out.splitlines()
    assert 1 <= len(lines) <= 3 and all(line.startswith("completed") for line in lines)
    listed = json.loads(on_sim("list", "--json").out)
    assert [r["state"] for r in listed] == ["completed"] * 3
    assert all(len(r["outputs"]) == 1 for r in listed)


def test_wait_times_out_with_exit_5(
    cli: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from lumatui.sim import SimSettings, start_in_background

    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    slow: RunningSimulator
    with start_in_background(SimSettings.for_tests(tmp_path / "slow-sim", speed=1.0)) as slow:
        net = ("--base-url", slow.base_url)
        sent = cli("submit", "--prompt", "slow", *net)
        assert sent.code == 0, sent.err
        ran = cli("wait", "--all", "--timeout", "0.2", "--json", *net)
        assert ran.code == 5
        assert "timed out" in ran.err
        (record,) = json.loads(ran.out)
        assert record["state"] in ("queued", "processing")


def test_submit_wait_times_out_with_exit_5(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lumatui.sim import SimSettings, start_in_background

    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    with start_in_background(SimSettings.for_tests(tmp_path / "slow-sim", speed=1.0)) as slow:
        # 3 s: the POST is answered long before, even on a busy machine (a deadline that
        # cuts the POST leaves the job uncertain, by the money rule); the job takes 30 s+.
        ran = cli(
            "submit", "--prompt", "slow", "--wait", "--timeout", "3", "--base-url", slow.base_url
        )
        created = slow.simulator.store.count()
    assert ran.code == 5 and "timed out" in ran.err
    (job,) = stored_jobs()
    if created:  # sent within 0.2 s: still followed next time
        assert job.state in ("queued", "processing")
    else:  # stopped before a byte of it left: cancelled, never sent later
        assert job.state == "cancelled" and "cancelled 1 unsent job(s)" in ran.err


def test_submit_exits_4_when_the_api_is_unreachable(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ran = cli("submit", "--prompt", "x", "--base-url", f"http://127.0.0.1:{port}/v1")
    assert ran.code == 4, ran.err
    (job,) = stored_jobs()
    assert job.state == "cancelled" and "not sent" in (job.note or "")
    assert "cancelled 1 unsent job(s), nothing was created" in ran.err
