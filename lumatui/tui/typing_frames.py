"""While someone types, what changed by itself is drawn between keys, after a key's frame.

Textual draws at most 60 frames a second, on the slots of the screen's update timer: a
frame drawn just before a key makes that key's frame wait for the next free slot (up to
1/60 s later), and a frame that draws the job list's rows together with a key's character
spans both (Textual redraws every widget inside the rectangle around what changed: with
a row on the left and the prompt on the right, most of the screen, 2-3 times the widgets
of the prompt's own frame). With a hundred jobs polled the job list draws rows on its own
about six times a second (a second turning over in a running row, a poll's new state).

So while keys come (one was handed over less than `TYPING_S` ago), such repaints are held
(the data is new at once, only the drawing waits) and go out right after a key's own frame
is drawn, at most `PER_KEY` of them, oldest first: the time furthest from the next key,
whose frame then finds its slot free. Keys typed ahead (waiting their turn) keep them held.
A repaint held `HOLD_S` goes out then, key or not, less than the job list's tick: nothing
is shown later than a tick after it changed. Without typing, a repaint is done at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from textual.app import App
    from textual.timer import Timer

TYPING_S = 0.5
"""Someone is typing while the last key was handed over less than this long ago."""
HOLD_S = 0.2
"""A held repaint goes out at the latest this long after it was asked for."""
PER_KEY = 5
"""At most this many held repaints go out with one key (each a row of the job list)."""


class TypingFrames:
    """Repaints held while someone types, drawn after a key's frame (or within `HOLD_S`)."""

    def __init__(self, app: App[Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self._clock = clock
        self._last_key = float("-inf")
        self._held: dict[Hashable, tuple[float, Callable[[], object]]] = {}
        """What waits, oldest first: when it was first held, and its newest paint."""
        self._deadline: Timer | None = None

    @property
    def typing(self) -> bool:
        """Whether a key was handed over less than `TYPING_S` ago."""
        return self._clock() - self._last_key < TYPING_S

    @property
    def held(self) -> int:
        """How many repaints wait for the next key (or the deadline)."""
        return len(self._held)

    def repaint(self, key: Hashable, paint: Callable[[], object]) -> None:
        """Call `paint` (a widget's refresh) now, or after a key's frame while someone types.

        A newer repaint under the same `key` replaces the one held, in its place (the paint
        works out what to draw when it runs, so the last one is enough).
        """
        if not self.typing:
            paint()
            return
        since = self._held[key][0] if key in self._held else self._clock()
        self._held[key] = (since, paint)
        if self._deadline is None:
            self._deadline = self._app.set_timer(HOLD_S, self._overdue, name="typing-frames")

    def key_handed(self) -> None:
        """A key is being handed over: someone types (repaints from now on are held)."""
        self._last_key = self._clock()

    def key_drawn(self) -> bool:
        """A key's frame is out and no key waits: the oldest `PER_KEY` held repaints go out
        now (into a frame of their own). True when some did."""
        return self._paint(list(self._held)[:PER_KEY])

    def flush(self) -> bool:
        """Do every held repaint now; True when there was one."""
        return self._paint(list(self._held))

    def _overdue(self) -> None:
        """The deadline: what was held `HOLD_S` goes out; wait again for the rest."""
        self._deadline = None
        due = self._clock() - HOLD_S
        self._paint([key for key, (since, _) in self._held.items() if since <= due])

    def _paint(self, keys: list[Hashable]) -> bool:
        for key in keys:
            _, paint = self._held.pop(key)
            paint()
        if self._deadline is not None and not self._held:
            self._deadline.stop()
            self._deadline = None
        elif self._held and self._deadline is None:
            oldest = min(since for since, _ in self._held.values())
            wait = max(oldest + HOLD_S - self._clock(), 0.0)
            self._deadline = self._app.set_timer(wait, self._overdue, name="typing-frames")
        return bool(keys)


def repaint_between_keys(app: object, key: Hashable, paint: Callable[[], object]) -> None:
    """`paint` now, or with the next key where the app holds repaints while keys come."""
    frames = getattr(app, "typing_frames", None)
    if isinstance(frames, TypingFrames):
        frames.repaint(key, paint)
    else:
        paint()
