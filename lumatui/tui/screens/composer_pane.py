"""The composer's pane: drawn in the first frame, its form mounted right after that frame.

The form (about ninety widgets, with the request schema and pydantic behind its checks)
took more than half of the time from the app's start to its first frame. The pane is there
at once, bordered and titled like the others; `MainScreen` builds the form into it once the
first frame is out, and keys typed meanwhile wait (a `KeyHold`) and then land in the
prompt, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Container

if TYPE_CHECKING:
    from lumatui.tui.widgets.composer import Composer


class ComposerPane(Container, can_focus=False):
    """The pane that holds the composer once its form is mounted."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.composer: Composer | None = None
        """The form, once `hold` has mounted it."""

    async def hold(self, composer: Composer) -> None:
        """Mount `composer` in the pane (once)."""
        if self.composer is None:
            self.composer = composer
            await self.mount(composer)
