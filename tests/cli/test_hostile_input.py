"""Every subcommand, given hostile arguments and hostile surroundings, says one clear line.

No traceback and no "internal error", ever: an absurd number, a FIFO or a device where a
file should be, JSON nested too deep, a history that is garbage or cut in half, a home
folder that is a file, a read-only or full disk. The exit code is the documented one:
2 for usage, 3 for configuration or the local store, 4 for the API or the network.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lumatui.config import app_paths
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.cli.conftest import Ran

DOCUMENTED = {0, 1, 2, 3, 4, 5}
SOME_ID = "2a31b73f-0000-4000-8000-000000000000"

# Arguments refused before anything is read, sent or stored: exit 2.
USAGE: list[tuple[str, ...]] = [
    ("list", "--limit", "1e22"),
    ("list", "--limit", "100000000000000000000000"),
    ("list", "--offset", "-1"),
    ("submit", "--prompt", "x", "--timeout", "0"),
    ("submit", "--prompt", "x", "--timeout", "-1"),
    ("submit", "--prompt", "x", "--timeout", "nan"),
    ("submit", "--prompt", "x", "--timeout", "inf"),
    ("wait", "--all", "--timeout", "0"),
    ("wait", "--all", "--timeout", "-5"),
    ("submit", "--prompt", "x", "--sim-speed", "inf"),
    ("submit", "--prompt", "x", "--count", "100000000000000000000000"),
    ("submit", "--prompt", "x", "--source-position", "nan,0,1,1"),
    ("submit", "--type", "video_edit", "--edit-control", "depth.blur=inf"),
    ("submit", "--type", "video", "--keyframe", "x@99999999999999999999999"),
    ("get", "\x1b]52;c;aGk=\x07"),
    ("get", "../../etc/passwd"),
    ("get", "0" * 5000),
    ("lineage", "\u202eevil"),
    ("export", SOME_ID, "--as", "bogus"),
    ("sim", "--port", "99999"),
    ("sim", "--speed", "nan"),
    ("sim", "--rpm", "-1"),
    ("sim", "--balance", "inf"),
]


def check(ran: Ran, *allowed: int) -> None:
    """One of the allowed codes, no traceback, and stderr says what is wrong, as lumatui."""
    text = ran.out + ran.err
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]
    assert ran.code in DOCUMENTED and ran.code in allowed, (ran.code, text[-2000:])
    if ran.code not in (0, 1):
        said = [line for line in ran.err.splitlines() if line.startswith("lumatui")]
        assert said, ran.err[-2000:]  # field errors may follow, indented
        assert "\x1b" not in ran.err and "\u202e" not in ran.err


@pytest.mark.parametrize("argv", USAGE, ids=lambda argv: " ".join(argv)[:40])
def test_absurd_arguments_are_usage_errors(cli: Callable[..., Ran], argv: tuple[str, ...]) -> None:
    ran = cli(*argv)
    check(ran, 2)
    database = app_paths().database
    if database.exists():  # nothing was stored: no phantom job
        with contextlib.closing(sqlite3.connect(database)) as db, db:
            assert db.execute("SELECT count(*) FROM jobs").fetchone() == (0,)


@pytest.fixture
def awkward_files(tmp_path: Path) -> dict[str, str]:
    """A FIFO nobody writes to, a device, a folder and JSON nested 100,000 deep."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    nested = tmp_path / "nested.json"
    nested.write_text('{"prompt": "x", "extra": ' + "[" * 200 + "]" * 200 + "}")
    return {
        "fifo": str(fifo),
        "device": "/dev/zero",
        "folder": str(tmp_path),
        "deep": str(deep),
        "nested": str(nested),
    }


@pytest.mark.parametrize("which", ["fifo", "device", "folder", "deep", "nested"])
@pytest.mark.parametrize("flag", ["--json", "--image-ref"])
def test_files_that_are_not_files_are_refused_without_hanging(
    cli: Callable[..., Ran], awkward_files: dict[str, str], which: str, flag: str
) -> None:
    ran = cli("submit", "--prompt", "x", flag, awkward_files[which])
    check(ran, 2)


def garbage_history(home: Path) -> None:
    database = app_paths().database
    database.parent.mkdir(parents=True, exist_ok=True)
    database.write_bytes(b"\x00garbage, not SQLite" * 50)


def truncated_history(home: Path) -> None:
    from lumatui.api.schema import GenerationRequest

    database = app_paths().database
    with JobStore.open(database) as store:
        for n in range(30):
            store.record_submission(GenerationRequest(prompt=f"job {n} " + "x" * 3000))
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 3])


def home_is_a_file(home: Path) -> None:
    home.rmdir()
    home.write_text("a file where a folder should be")


def fail_writes(code: int) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """The disk refuses every new file and folder, and SQLite cannot write (EROFS, ENOSPC)."""

    def arrange(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        real_mkdir = Path.mkdir

        def mkdir(self: Path, *args: object, **kwargs: object) -> None:
            if not self.exists():
                raise OSError(code, os.strerror(code), str(self))
            real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

        def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
            message = "attempt to write a readonly database"
            if code == errno.ENOSPC:
                message = "database or disk is full"
            raise sqlite3.OperationalError(message)

        monkeypatch.setattr(Path, "mkdir", mkdir)
        monkeypatch.setattr("lumatui.engine.db.sqlite3.connect", connect)

    return arrange


ENVIRONMENTS: dict[str, Callable[..., None]] = {
    "garbage-history": lambda home, mp: garbage_history(home),
    "truncated-history": lambda home, mp: truncated_history(home),
    "home-is-a-file": lambda home, mp: home_is_a_file(home),
    "read-only-disk": fail_writes(errno.EROFS),
    "full-disk": fail_writes(errno.ENOSPC),
}

COMMANDS: list[tuple[str, ...]] = [
    ("list",),
    ("list", "--json"),
    ("get", "2a31b73f"),
    ("lineage", "2a31b73f"),
    ("export", "2a31b73f"),
    ("wait", "--all", "--timeout", "1"),
    ("submit", "--prompt", "a lighthouse", "--timeout", "1"),
    ("config",),
]


@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
def test_every_command_in_a_broken_home_says_one_line(
    cli: Callable[..., Ran],
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: str,
) -> None:
    ENVIRONMENTS[environment](isolated_home, monkeypatch)
    for argv in COMMANDS:
        ran = cli(*argv)
        # config describes the folders, whatever their state; the rest cannot work.
        allowed = (0, 3) if argv[0] == "config" else (2, 3) if argv[0] != "submit" else (3,)
        check(ran, *allowed)
        if ran.code == 3 and "history" in ran.err and "damaged" in ran.err:
            assert "lumatui doctor --repair" in ran.err
            assert str(app_paths().database) in ran.err


def test_a_damaged_history_names_the_file_and_the_repair(cli: Callable[..., Ran]) -> None:
    garbage_history(Path())
    ran = cli("list")
    check(ran, 3)
    assert f"the history {app_paths().database} is damaged" in ran.err
    assert "`lumatui doctor --repair`" in ran.err
    repaired = cli("doctor", "--repair")
    check(repaired, 0)
    assert "a copy of it as it was" in repaired.out
    check(cli("list"), 0)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://exa mple.com/v1",
        "http://127.0.0.1:99999/v1",
        "https://xn--/v1",
        "https://user@host/v1",
        "https://h/v1?x=1",
        "https://ho\x1bst/v1",
        "https://%41/v1",
        "ftp://x/v1",
        "https://:80/v1",
    ],
)
def test_odd_base_urls_are_configuration_errors(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", "luma-api-hostile-input-test")
    for argv in (("submit", "--prompt", "x", "--base-url", url), ("config",)):
        monkeypatch.setenv("LUMA_BASE_URL", url)
        ran = cli(*argv)
        check(ran, 3)


@pytest.mark.parametrize("environment", ["garbage-history", "read-only-disk", "full-disk"])
def test_the_workstation_says_one_line_before_taking_the_terminal(
    cli: Callable[..., Ran],
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: str,
) -> None:
    from lumatui.commands import tui_cmd

    monkeypatch.setattr(tui_cmd, "missing_terminals", list)  # as if on a terminal
    if environment == "read-only-disk" or environment == "full-disk":
        code = errno.EROFS if environment == "read-only-disk" else errno.ENOSPC
        message = "attempt to write a readonly database" if code == errno.EROFS else "disk is full"

        def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
            raise sqlite3.OperationalError(message)

        app_paths().ensure_dirs()
        monkeypatch.setattr("lumatui.engine.repair.sqlite3.connect", connect)
    else:
        ENVIRONMENTS[environment](isolated_home, monkeypatch)
    ran = cli()
    check(ran, 3)
    assert "the history" in ran.err
