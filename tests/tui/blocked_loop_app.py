"""A tiny Textual app guarded like lumatui's, whose event loop blocks for good on `b`.

`test_crash_signals.py` runs it under a pseudo-terminal: after `b`, no callback runs again,
so only a watchdog armed in the signal handler itself can end the process. Its
`emergency_close` writes the file named on the command line, to show it ran first.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.widgets import Static

from lumatui.tui.crash import ExitGuard

if TYPE_CHECKING:
    from textual.binding import BindingType

GRACE_S = 1.0


class BlockedLoopApp(App[None]):
    """Says READY, then blocks its own loop when `b` is pressed."""

    BINDINGS: ClassVar[list[BindingType]] = [("b", "block", "block the loop")]

    def __init__(self, marker: Path) -> None:
        super().__init__()
        self.marker = marker
        self.exit_signal: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("READY")

    def action_block(self) -> None:
        """Stand for a stuck callback: a wait that nothing will ever end."""
        self.marker.with_suffix(".blocked").write_text("blocked")
        threading.Event().wait()

    def emergency_close(self) -> None:
        """What lumatui does here is flush its store; this leaves a mark."""
        self.marker.write_text("flushed")


def main() -> None:
    """Run the app with the guard installed, as `lumatui` does."""
    app = BlockedLoopApp(Path(sys.argv[1]))
    guard = ExitGuard(app, grace=GRACE_S)
    guard.install()
    app.run()


if __name__ == "__main__":
    main()
