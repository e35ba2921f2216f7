"""CLI fixtures: `main()` run in-process against a fast loopback simulator, output captured.

No real key and no real network: the simulator stands in. `KEY` is a fake key the local
simulator accepts; tests check it never appears in any output.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.cli import main
from lumatui.config import app_paths
from lumatui.engine.store import JobStore
from lumatui.sim import SimSettings, start_in_background

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from lumatui.sim import RunningSimulator

KEY = "luma-api-cli-test-key-0123456789"
SPEED = 10_000


@dataclass(frozen=True)
class Ran:
    """What one command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def fast_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    """One fast, small-media simulator on loopback for the whole session.

    Its limits are lifted: every test of a worker shares it, and at the real 60 requests a
    minute a worker's later tests would wait out 429s their neighbours caused (tests of the
    limits start simulators of their own).
    """
    settings = SimSettings.for_tests(
        tmp_path_factory.mktemp("cli-sim"), requests_per_minute=100_000, concurrent_jobs=1000
    )
    running = start_in_background(settings)
    yield running
    running.stop()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """Run `lumatui ARGS...` in-process; `stdin` feeds standard input."""

    def run(*argv: str, stdin: str | None = None) -> Ran:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exited:
            code = int(exited.code or 0)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def on_sim(
    fast_sim: RunningSimulator, cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Ran]:
    """Run a network command against the fast simulator, with the fake key in the env."""
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    network = ("submit", "get", "wait")

    def run(*argv: str, stdin: str | None = None) -> Ran:
        extra: tuple[str, ...] = ()
        if argv and argv[0] in network:
            extra = ("--base-url", fast_sim.base_url, "--sim-speed", str(SPEED))
        ran = cli(*argv, *extra, stdin=stdin)
        assert KEY not in ran.out and KEY not in ran.err
        return ran

    return run


def stored_jobs() -> list[Any]:
    """Every job in this test's store, oldest first."""
    from lumatui.engine.queries import JobQuery

    paths = app_paths()
    if not paths.database.exists():
        return []
    with JobStore.open(paths.database) as store:
        return list(reversed(store.page(JobQuery(), limit=1000)))
