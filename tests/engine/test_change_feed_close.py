"""The change feed is polled on a reader thread while the screen that owns it may close it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lumatui.engine.changes import ChangeFeed
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.engine.claims import Changes


def test_close_waits_for_a_poll_under_way_and_later_polls_read_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lumatui.db"
    JobStore.open(path).close()
    feed = ChangeFeed(path)
    entered, release = threading.Event(), threading.Event()
    real_poll = feed._poll

    def slow_poll() -> Changes | None:
        entered.set()
        release.wait(5)
        return real_poll()

    feed._poll = slow_poll  # type: ignore[method-assign]
    results: list[Changes | None] = []
    poller = threading.Thread(target=lambda: results.append(feed.poll()))
    poller.start()
    assert entered.wait(5)
    closer = threading.Thread(target=feed.close)
    closer.start()
    closer.join(0.05)
    assert closer.is_alive(), "the connection was closed under a running poll"
    release.set()
    poller.join(5)
    closer.join(5)
    assert not closer.is_alive() and len(results) == 1
    assert feed.poll() is None
