"""The objects made at start-up are set aside from the garbage collector's full passes.

What the workstation builds before its engine runs (Textual's widgets and styles, the
composer's form, the first page of the history, the request schema) lives as long as the
app, yet every full collection walked it again: about 170,000 objects, a pause of 80 ms
idle and 300 ms on a loaded machine while jobs were polled, in the middle of a key's
frame. `freeze_start_up` freezes them (`gc.freeze`, no collection first: that would be the
very pause avoided), so later passes walk only what was made since; `thaw` gives them back
to the collector when the app ends, with any garbage that was among them (a process that
runs several apps, as the tests and benchmarks do, would otherwise keep each one's widgets,
which refer to each other, forever).
"""

from __future__ import annotations

import gc


def freeze_start_up() -> None:
    """Keep every object made so far out of later collections (until `thaw`)."""
    gc.freeze()


def thaw() -> None:
    """Hand the frozen objects back to the collector."""
    gc.unfreeze()
