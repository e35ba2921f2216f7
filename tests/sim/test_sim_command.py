"""`lumatui sim`: argument handling, the loopback guard and the default state dir."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from lumatui import cli
from lumatui.api.hosts import is_loopback

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.sim import SimSettings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, SimSettings]]:
    """Capture what `serve` would have been called with, instead of serving."""
    calls: list[tuple[str, int, SimSettings]] = []

    def fake_serve(host: str, port: int, settings: SimSettings, **_: Any) -> None:
        calls.append((host, port, settings))

    monkeypatch.setattr("lumatui.sim.server.serve", fake_serve)
    return calls


def test_defaults_serve_loopback_8765_under_lumatui_home(
    served: list[tuple[str, int, SimSettings]], isolated_home: Path
) -> None:
    assert cli.main(["sim"]) == 0
    [(host, port, settings)] = served
    assert (host, port) == ("127.0.0.1", 8765)
    assert settings.state_dir == isolated_home / "data" / "simulator"
    assert settings.speed == 1.0 and settings.faults == ""


def test_options_reach_the_settings(
    served: list[tuple[str, int, SimSettings]], tmp_path: Path
) -> None:
    argv = [
        "sim", "--port", "9000", "--speed", "100", "--faults", "500=0.1", "--seed", "3",
        "--rpm", "5", "--concurrency", "2", "--balance", "1.5", "--budget", "1",
        "--state-dir", str(tmp_path / "s"),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    [(_, port, settings)] = served
    assert port == 9000
    assert (settings.speed, settings.faults, settings.seed) == (100.0, "500=0.1", 3)
    assert (settings.requests_per_minute, settings.concurrent_jobs) == (5, 2)
    assert (settings.balance_usd, settings.budget_usd) == (1.5, 1.0)
    assert settings.state_dir == tmp_path / "s"


def test_remote_bind_needs_allow_remote_and_warns(
    served: list[tuple[str, int, SimSettings]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sim", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert not served
    assert cli.main(["sim", "--host", "0.0.0.0", "--allow-remote"]) == 0
    assert "WARNING" in capsys.readouterr().err
    assert served[0][0] == "0.0.0.0"


def test_bad_fault_profile_is_a_usage_error(
    served: list[tuple[str, int, SimSettings]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sim", "--faults", "404=0.1"]) == 2
    assert "not a fault" in capsys.readouterr().err
    assert not served


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
