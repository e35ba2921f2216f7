"""The one helper for private files (clipboard spill-over, crash reports): 0600, never clobbered."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest

from lumatui.paths import write_private_file

if TYPE_CHECKING:
    from pathlib import Path


def test_a_private_file_is_new_and_readable_only_by_the_user(tmp_path: Path) -> None:
    folder = tmp_path / "private"
    first = write_private_file(folder, lambda n: f"note-{n}.txt", "one")
    second = write_private_file(folder, lambda n: f"note-{n}.txt", "two")
    assert (first.name, second.name) == ("note-0.txt", "note-1.txt")
    assert first.read_text() == "one" and second.read_text() == "two"  # nothing overwritten
    for path in (first, second):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_when_every_name_is_taken_it_says_so(tmp_path: Path) -> None:
    write_private_file(tmp_path, lambda n: "same.txt", "kept")
    with pytest.raises(FileExistsError):
        write_private_file(tmp_path, lambda n: "same.txt", "lost", attempts=3)
    assert (tmp_path / "same.txt").read_text() == "kept"
