"""The composer's unsent draft across quit and restart, and the stash of the last 10 drafts.

Several workstations may run on one history, so no file is ever written by two processes:

- `drafts/current-<pid>-<n>.json` is one workstation's draft, written only by that one
  (on quit, and every few seconds while it changes, so a crash loses little). At start, a
  workstation takes the newest draft left by a workstation that is gone (it quit, or died)
  and puts it in its composer: the last one to quit wins. The older ones left behind go to
  the stash, so no typed draft is ever thrown away. A running workstation's file is left
  alone.
- `drafts/stash-<time>-<pid>-<n>.json` is one stashed draft each; the newest
  `STASH_LIMIT` are kept.

Writes go to a temporary file first and are renamed into place, so a crash never leaves
half a draft. Nothing here imports Textual; the screen calls it from thread workers.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

STASH_LIMIT = 10
_counter = itertools.count()


@dataclass(frozen=True)
class Draft:
    """One kept draft: the JSON body the composer held, when it was saved, by which process."""

    body: dict[str, Any]
    saved_at: float
    pid: int
    closed: bool
    path: Path
    owner: str = ""
    """The workstation that wrote it (its pid and a number unique in that process)."""

    @property
    def summary(self) -> str:
        """One line a person recognises the draft by: its type and the start of its prompt."""
        kind = str(self.body.get("type") or "image").replace("_", " ")
        prompt = " ".join(str(self.body.get("prompt") or "").split())
        if len(prompt) > 60:
            prompt = prompt[:59] + "…"
        return f"{kind}: {prompt}" if prompt else f"{kind} (no prompt yet)"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class DraftStore:
    """The drafts folder of one history, seen from one process."""

    def __init__(
        self,
        folder: Path,
        *,
        pid: int | None = None,
        clock: Callable[[], float] = time.time,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.folder = folder
        self.pid = os.getpid() if pid is None else pid
        self.owner = f"{self.pid}-{next(_counter)}"
        self.clock = clock
        self.alive = alive
        self._lock = threading.Lock()  # autosaves run in a thread; the quit's save does not
        self._closed = False

    @property
    def current_file(self) -> Path:
        """This workstation's draft file."""
        return self.folder / f"current-{self.owner}.json"

    def save_current(self, body: dict[str, Any] | None, *, closed: bool) -> None:
        """Keep this process's draft (None or an empty body removes it).

        Once the draft was kept at quit (`closed`), a later autosave is ignored: one still
        running in its thread when the workstation quit would otherwise put back the
        draft as it was a few seconds before.
        """
        with self._lock:
            if self._closed and not closed:
                return
            self._closed = self._closed or closed
            if not body:
                with contextlib.suppress(OSError):
                    self.current_file.unlink(missing_ok=True)
                return
            self._write(self.current_file, body, closed=closed)

    def take_left_over(self) -> dict[str, Any] | None:
        """The newest draft of a workstation that is gone; older left-overs go to the stash."""
        gone = [
            draft
            for draft in self._read_all("current-*.json")
            if draft.owner != self.owner and (draft.closed or not self.alive(draft.pid))
        ]
        if not gone:
            return None
        gone.sort(key=lambda draft: draft.saved_at, reverse=True)
        for older in gone[1:]:
            self._write(self._stash_name(older.saved_at), older.body, closed=True)
            older.path.unlink(missing_ok=True)
        newest = gone[0]
        newest.path.unlink(missing_ok=True)
        self._prune()
        return newest.body

    def stash(self, body: dict[str, Any]) -> None:
        """Add a draft to the stash (the oldest beyond `STASH_LIMIT` are dropped)."""
        self._write(self._stash_name(self.clock()), body, closed=True)
        self._prune()

    def stashed(self) -> list[Draft]:
        """The stashed drafts, newest first."""
        drafts = self._read_all("stash-*.json")
        drafts.sort(key=lambda draft: (draft.saved_at, draft.path.name), reverse=True)
        return drafts

    def take(self, draft: Draft) -> dict[str, Any] | None:
        """Remove a stashed draft and return its body (None when another process took it)."""
        try:
            draft.path.unlink()
        except FileNotFoundError:
            return None
        return draft.body

    def _stash_name(self, saved_at: float) -> Path:
        return self.folder / f"stash-{saved_at:017.6f}-{self.owner}-{next(_counter)}.json"

    def _prune(self) -> None:
        for old in self.stashed()[STASH_LIMIT:]:
            old.path.unlink(missing_ok=True)

    def _write(self, path: Path, body: dict[str, Any], *, closed: bool) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        record = {
            "body": body,
            "saved_at": self.clock(),
            "pid": self.pid,
            "owner": self.owner,
            "closed": closed,
        }
        part = path.with_name(f".{path.name}.{self.pid}.part")
        part.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.chmod(part, 0o600)
        os.replace(part, path)

    def _read_all(self, pattern: str) -> list[Draft]:
        found: list[Draft] = []
        if not self.folder.is_dir():
            return found
        for path in self.folder.glob(pattern):
            draft = _read(path)
            if draft is not None:
                found.append(draft)
        return found


def _read(path: Path) -> Draft | None:
    """A draft file, or None when it is unreadable (a damaged file is not a draft)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        body = record["body"]
        if not isinstance(body, dict):
            return None
        return Draft(
            body,
            float(record["saved_at"]),
            int(record["pid"]),
            bool(record["closed"]),
            path,
            str(record.get("owner", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
