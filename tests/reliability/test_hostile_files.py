"""Hostile local files given as references: each refused with a sentence naming the path.

A directory, a device, a FIFO (which must not block the reader), a missing file, a symlink
loop, a 200 MB sparse file and a text file called `.png`: `load_local_ref` (the loader the
composer and the CLI share) refuses each with one clean sentence that names the path, and
`lumatui submit --image-ref PATH` (run in-process) exits 2 with that sentence and sends
nothing (its key and base URL point at a port where nothing listens, and no job is stored).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import TYPE_CHECKING

import pytest

from lumatui.cli import main
from lumatui.engine.local_refs import LocalRefError, load_local_ref
from tests.reliability.conftest import assert_clean

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


def directory(root: Path) -> Path:
    """A folder."""
    (root / "photos").mkdir()
    return root / "photos"


def device(_: Path) -> Path:
    """A character device."""
    from pathlib import Path

    return Path("/dev/null")


def fifo(root: Path) -> Path:
    """A named pipe nobody writes to: opening it for reading would block forever."""
    os.mkfifo(root / "pipe.png")
    return root / "pipe.png"


def missing(root: Path) -> Path:
    """A path to nothing."""
    return root / "gone.png"


def symlink_loop(root: Path) -> Path:
    """A link to itself."""
    (root / "loop.png").symlink_to(root / "loop.png")
    return root / "loop.png"


def sparse_200_mb(root: Path) -> Path:
    """A 200 MB file that takes no disk space."""
    path = root / "huge.png"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    return path


def text_called_png(root: Path) -> Path:
    """Plain text with an image's name."""
    path = root / "notes.png"
    path.write_text("not a picture\n")
    return path


def hostile_name(root: Path) -> Path:
    """A missing file whose name carries markup and an escape sequence."""
    return root / "[bold red]x[/]\x1b[2J.png"


FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "directory": (directory, "is a directory"),
    "device": (device, "is a device"),
    "fifo": (fifo, "FIFO"),
    "missing": (missing, "does not exist"),
    "symlink-loop": (symlink_loop, "symlink loop"),
    "sparse-200-mb": (sparse_200_mb, "200 MB"),
    "text-called-png": (text_called_png, "looks like text"),
    "markup-and-escape-in-the-name": (hostile_name, "does not exist"),
}


@pytest.mark.parametrize("name", list(FILES))
def test_the_loader_refuses_with_a_sentence_naming_the_path(name: str, tmp_path: Path) -> None:
    make, fragment = FILES[name]
    path = make(tmp_path)
    with pytest.raises(LocalRefError) as refused:
        load_local_ref(path)
    message = str(refused.value)
    assert fragment in message
    assert path.name.replace("\x1b[2J", "") in message  # named, literally, markup and all
    assert_clean(message, name)


def test_the_cli_refuses_each_and_sends_nothing(
    tmp_path: Path,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In-process: what is under test is the command's refusal, not the interpreter's start
    # (tests/test_cli.py runs `python -m lumatui`); a FIFO that blocked would hang the
    # loader test above too.
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", "test-key")
    paths = {name: make(tmp_path) for name, (make, _) in FILES.items() if name != "device"}
    paths["device"] = FILES["device"][0](tmp_path)
    for name, path in paths.items():
        capsys.readouterr()
        command = ["submit", "--prompt", "x", "--image-ref", str(path), "--base-url", NOWHERE]
        try:
            code = main(command)
        except SystemExit as exited:
            code = int(exited.code or 0)
        captured = capsys.readouterr()
        assert code == 2, (name, captured.err)
        assert FILES[name][1] in captured.err, (name, captured.err)
        assert path.name.replace("\x1b[2J", "") in captured.err
        assert "\x1b" not in captured.err and not captured.out
    database = isolated_home / "data" / "lumatui.db"
    if database.exists():
        with contextlib.closing(sqlite3.connect(database)) as db, db:
            assert db.execute("SELECT COUNT(*) FROM jobs").fetchone() == (0,)
