"""The garbage collector rests while the workstation starts; what start-up made is set aside.

Start-up makes a few hundred thousand objects that live as long as the app (Textual's
widgets and styles, the composer's form, the first page of the history, the request
schema). Collected as they are made, the collector walked the growing heap again and
again: about a fifth of the time to the first frame. `pause_for_start_up` (called before
the workstation's imports) turns collection off until `start_up_over` (the first frame
drawn, the composer's form mounted after it) turns it on.

Once the engine runs, `freeze_start_up` freezes what start-up made (`gc.freeze`, no
collection first: every full collection walked it again, about 170,000 objects, a pause of
80 ms idle and 300 ms on a loaded machine while jobs were polled, in the middle of a key's
frame), so later passes walk only what was made since; `thaw` gives them back to the
collector when the app ends, with any garbage that was among them (a process that runs
several apps, as the tests and benchmarks do, would otherwise keep each one's widgets,
which refer to each other, forever).
"""

from __future__ import annotations

import gc

_paused = [False]


def pause_for_start_up() -> None:
    """No collection until `start_up_over` (nothing happens if it is already off)."""
    if gc.isenabled():
        gc.disable()
        _paused[0] = True


def start_up_over() -> None:
    """Collect again, if `pause_for_start_up` turned collection off."""
    if _paused[0]:
        _paused[0] = False
        gc.enable()


def freeze_start_up() -> None:
    """Keep every object made so far out of later collections (until `thaw`)."""
    gc.freeze()


def thaw() -> None:
    """Hand the frozen objects back to the collector (and collect again, if start-up
    ended before its first frame)."""
    start_up_over()
    gc.unfreeze()
