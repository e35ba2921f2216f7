"""The main screen's care for the composer's draft: never lost, never replaced unasked.

- Putting a new body in the composer (`e a x f b`, restoring from the stash) asks first when
  the composer holds an unsent draft: replace it, stash it first, or cancel.
- The unsent draft is kept on disk (`lumatui.tui.drafts`): every few seconds while it
  changes, and when the workstation quits; the next start puts it back.
- The stash keeps the last 10 drafts; the palette's "Restore a stashed draft" picks one.

Loading is atomic for the keyboard: the body is in place and focus is in the prompt when
`replace` (or the answer to its question) returns, so the keys typed next land there.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from lumatui.tui.commands import ActionEntry
from lumatui.tui.drafts import DraftStore
from lumatui.tui.screens.confirm import REPLACE_STASH_CANCEL, ConfirmScreen
from lumatui.tui.screens.stash_picker import StashPicker

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.config import AppPaths
    from lumatui.tui.drafts import Draft
    from lumatui.tui.widgets.composer import Composer

AUTOSAVE_S = 5.0


class Host(Protocol):
    """What the keeper needs from the screen."""

    @property
    def composer(self) -> Composer:
        """The request form."""

    @property
    def app(self) -> Any:
        """The running app."""

    def focus_prompt(self) -> None:
        """Show the composer and put the cursor in its prompt."""


class DraftKeeper:
    """Asks before a draft is replaced, stashes, restores, and keeps the draft on disk."""

    def __init__(
        self, host: Host, paths: AppPaths, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.host = host
        self.clock = clock
        self.store = DraftStore(paths.data_dir / "drafts", clock=clock)
        self._saved_revision = -1

    # -- replacing what the composer holds ------------------------------------------------

    def replace(
        self, body: dict[str, Any], *, title: str, what: str, as_draft: bool = False
    ) -> None:
        """Put `body` in the composer, asking first if that would lose an unsent draft
        (`as_draft`: the body exists nowhere else, e.g. pasted, and is kept like typing)."""
        composer = self.host.composer
        if not composer.holds_unsent_draft():
            self.load(body, as_draft=as_draft)
            return
        current = composer.draft_body()

        def answered(answer: str | None) -> None:
            if answer == "stash":
                self.store.stash(current)
                self.host.app.notify(
                    "Your draft is in the stash: the palette's 'Restore a stashed draft' "
                    "brings it back (ctrl+p)."
                )
            if answer in ("replace", "stash"):
                self.load(body, as_draft=as_draft)

        question = (
            f"The composer holds a draft you have not sent. Replace it with {what}, "
            "stash it first (the palette brings it back), or cancel?"
        )
        self.host.app.push_screen(
            ConfirmScreen(title, question, REPLACE_STASH_CANCEL), callback=answered
        )

    def load(self, body: dict[str, Any], *, as_draft: bool = False) -> None:
        """Load `body` and put the cursor in the prompt, both before the next key."""
        self.host.composer.load_body(body, as_draft=as_draft)
        self.host.focus_prompt()

    # -- the stash ------------------------------------------------------------------------

    def pick_from_stash(self) -> None:
        """Show the stashed drafts; the one chosen goes into the composer."""
        drafts = self.store.stashed()
        if not drafts:
            self.host.app.notify("The stash is empty.", severity="warning")
            return

        def chosen(draft: Draft | None) -> None:
            if draft is None:
                return
            body = self.store.take(draft)
            if body is None:
                self.host.app.notify("Another workstation took that draft.", severity="warning")
                return
            composer = self.host.composer
            if composer.holds_unsent_draft():
                self.store.stash(composer.draft_body())
                self.host.app.notify("The draft you had is in the stash now.")
            self.load(body, as_draft=True)

        self.host.app.push_screen(StashPicker(drafts, self.clock()), callback=chosen)

    def palette_entry(self) -> ActionEntry:
        """The palette's way to the stash."""
        return ActionEntry(
            key="",
            description="Restore a stashed draft",
            help="Choose one of the last 10 stashed drafts and put it back in the composer",
            where="palette",
            binding_id=None,
            run=self.pick_from_stash,
        )

    # -- across restarts ------------------------------------------------------------------

    def restore_left_over(self) -> None:
        """At start: the draft the last workstation to quit left, back in the composer."""
        try:
            body = self.store.take_left_over()
        except OSError:
            return
        if body:
            self.load(body, as_draft=True)
            self.host.app.notify("Your unsent draft from last time is back in the composer.")

    def autosave(self) -> None:
        """Keep the draft on disk when it changed since it was last kept (a timer calls it)."""
        composer = self.host.composer
        if composer.revision == self._saved_revision:
            return
        self._saved_revision = composer.revision
        body = composer.draft_body() if composer.holds_unsent_draft() else None
        self.host.app.run_worker(
            lambda: self.store.save_current(body, closed=False),
            thread=True,
            group="draft-save",
            exclusive=True,
            exit_on_error=False,
        )

    def save_on_exit(self) -> None:
        """The workstation quits: its unsent draft is the one the next start takes back."""
        composer = self.host.composer
        try:
            body = composer.draft_body() if composer.holds_unsent_draft() else None
            self.store.save_current(body, closed=True)
        except OSError:
            pass  # a full disk must not stop the quit
