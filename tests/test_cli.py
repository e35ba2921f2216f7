"""The command line: the about text, `--help`, `python -m lumatui`, and `lumatui config`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lumatui.cli import ABOUT, build_parser, main
from lumatui.config import DEFAULT_BASE_URL, AppPaths, app_paths

REPO = Path(__file__).resolve().parents[1]
KEY = "luma-api-0123456789abcdefSECRETtail"


@pytest.fixture
def paths() -> AppPaths:
    """The LUMATUI_HOME layout the conftest set up, with its folders created."""
    found = app_paths()
    found.ensure_dirs()
    return found


def write_config(paths: AppPaths, text: str, mode: int = 0o600) -> Path:
    """Write config.toml with exactly `mode`."""
    paths.config_file.write_text(text, encoding="utf-8")
    os.chmod(paths.config_file, mode)
    return paths.config_file


def test_about_prints_what_lumatui_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--about"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == ABOUT.strip()
    assert "Luma's Agents API" in out


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "config" in out
    assert "usage: lumatui" in out


def test_every_registered_subcommand_is_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    out = capsys.readouterr().out
    actions = [a for a in parser._actions if a.dest == "command"]
    names = list(getattr(actions[0], "choices", None) or {})
    assert "config" in names
    for name in names:
        assert name in out


def test_config_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["config", "--help"])
    assert exited.value.code == 0
    assert "--json" in capsys.readouterr().out


def test_unknown_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["no-such-command"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lumatui", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "config" in done.stdout


def test_python_dash_m_config_json_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lumatui", "config", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"uses_simulator": true' in done.stdout


# --- lumatui config -----------------------------------------------------------------------


@pytest.fixture
def key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real-looking key in the process environment."""
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)


@pytest.mark.usefixtures("key_in_env")
def test_config_command_masks_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert KEY not in out
    assert "luma-api-…tail" in out
    assert "env LUMA_AGENTS_API_KEY" in out
    assert "simulator: not used" in out


@pytest.mark.usefixtures("key_in_env")
def test_config_command_json(paths: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(paths, "read_timeout = 30\n")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    assert KEY not in out
    report = json.loads(out)
    assert report["settings"]["api_key"] == {
        "value": "luma-api-…tail",
        "source": "env",
        "variable": "LUMA_AGENTS_API_KEY",
    }
    assert report["settings"]["read_timeout"] == {"value": 30.0, "source": "file"}
    assert report["settings"]["base_url"] == {"value": DEFAULT_BASE_URL, "source": "default"}
    assert report["settings"]["sim.speed"]["value"] == 1.0
    assert report["paths"]["config_file"] == str(paths.config_file)
    assert report["paths"]["database"] == str(paths.database)
    assert report["paths"]["outputs"] == str(paths.outputs_dir)
    assert report["uses_simulator"] is False


def test_config_command_without_key_says_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "simulator: used" in out
    assert "config file" in out
    assert "(not created yet)" in out


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_config_command_reports_config_error(
    paths: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(paths, f'api_key = "{KEY}"\n', 0o644)
    assert main(["config"]) == 3
    captured = capsys.readouterr()
    assert f"chmod 600 {path}" in captured.err
    assert KEY not in captured.err + captured.out
