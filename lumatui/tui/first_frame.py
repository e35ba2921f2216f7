"""Work that waits for the workstation's first full frame (the job list's estimates).

`LumaApp` draws its first frame, then mounts the composer's form, and only then lets the
job list work out its estimates (a CPU-bound moment) and starts the engine;
`after_first_frame` queues such work until then. In an app that does not track its first
frame (a test hosting one widget) the work follows the widget's next refresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.dom import DOMNode


class FirstFrame:
    """The app's queue of work waiting for its first full frame."""

    def __init__(self) -> None:
        self._waiting: list[Callable[[], object]] | None = []

    @property
    def drawn(self) -> bool:
        """True once the first full frame was drawn (the queue has run)."""
        return self._waiting is None

    def defer(self, callback: Callable[[], object]) -> bool:
        """Queue `callback`; False when the frame is already drawn (nothing queued)."""
        if self._waiting is None:
            return False
        self._waiting.append(callback)
        return True

    def drawn_now(self) -> None:
        """The first full frame is on screen: run what waited for it, in order."""
        waiting, self._waiting = self._waiting or [], None
        for callback in waiting:
            callback()


def after_first_frame(node: DOMNode, callback: Callable[..., object], *args: Any) -> None:
    """Run `callback(*args)` after the app's first full frame (after the next refresh once
    that frame is drawn, or when the app does not track it)."""
    first: FirstFrame | None = getattr(node.app, "first_frame", None)
    if first is None or not first.defer(lambda: node.call_after_refresh(callback, *args)):
        node.call_after_refresh(callback, *args)
