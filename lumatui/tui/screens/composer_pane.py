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
    """The pane the composer's form is mounted into (`MainScreen.mount_composer`)."""


def drop_unknown_fields(composer: Composer) -> None:
    """The palette's "Drop the fields lumatui does not know": a loaded body's unknown
    fields leave the form (they would otherwise be sent as they are)."""
    if composer.unknown.drop():
        composer.revision += 1  # the draft kept on disk follows
        composer.view.show()
        composer.notify("The unknown fields were dropped: they will not be sent.", markup=False)
    else:
        composer.notify("The composer holds no field lumatui does not know.", markup=False)
