"""A screen's frames at most 60 a second, each as soon as that allows.

Textual draws a screen's changes on the ticks of a repeating timer, paused while nothing
changed. Its ticks sit on a fixed grid, and after a tick it skips to the grid point *after*
the next one whenever the next has already passed, which is the case after every paused
stretch and after every frame that ends past a grid point: the next frame then waits
16.7-33.3 ms instead of at most 16.7. A key that comes just after a frame of something else
(a tick of the job list, a preview's progress) waited for that second slot: in bench/keys.py
it was the slowest keys' wait, 20-30 ms of nothing running between the key's handling and
its frame.

`PacedFrames` gives a screen a pacer in that timer's place: resumed, it draws at once if the
last frame began at least `PERIOD` ago, else when it is that old; paused, it draws nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import constants
from textual.screen import Screen
from textual.timer import Timer

if TYPE_CHECKING:
    from collections.abc import Callable

PERIOD = 1 / constants.MAX_FPS
"""The least time from one frame's start to the next (Textual's own limit, 60 a second)."""


class FramePacer(Timer):
    """Calls `callback` (the screen's frame) when resumed, at most once per `PERIOD`."""

    def __init__(self, screen: Screen[Any], callback: Callable[[], None]) -> None:
        super().__init__(screen, PERIOD, name="screen_update", callback=callback, pause=True)
        self._screen = screen
        self._frame = callback
        self._last_frame = float("-inf")
        self._due: asyncio.TimerHandle | None = None
        self._stopped = False

    def resume(self) -> None:
        """Draw as soon as the last frame is `PERIOD` old (now, if it is)."""
        if self._due is not None or self._stopped:
            return
        loop = asyncio.get_running_loop()
        self._due = loop.call_at(max(self._last_frame + PERIOD, loop.time()), self._draw)

    def pause(self) -> None:
        """Draw nothing until resumed."""
        if self._due is not None:
            self._due.cancel()
            self._due = None

    def reset(self) -> None:
        """Nothing to reset: there is no grid (resumes, as Textual's timer does)."""
        self.resume()

    def stop(self) -> None:
        """Never draw again (the screen is gone)."""
        self.pause()
        self._stopped = True

    def _draw(self) -> None:
        self._due = None
        screen = self._screen
        if screen._closing or screen._closed:
            return
        app = screen.app
        if app._exit:
            return
        self._last_frame = asyncio.get_running_loop().time()
        with screen._context():
            try:
                self._frame()
            except Exception as error:  # as Textual's timer hands a tick's error to the app
                app._handle_exception(error)


class PacedFrames(Screen[Any]):
    """A screen drawn by a `FramePacer` instead of Textual's grid timer."""

    _pacer: FramePacer | None = None

    @property
    def _update_timer(self) -> Timer:
        if self._pacer is None:
            self._pacer = FramePacer(self, self._on_timer_update)
        return self._pacer

    async def _message_loop_exit(self) -> None:
        if self._pacer is not None:
            self._pacer.stop()
        await super()._message_loop_exit()
