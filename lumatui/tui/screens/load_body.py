"""ctrl+l in the composer: load a request body from a JSON file, or from pasted JSON.

The dialog has a path box (enter loads that file) and a text area for pasted JSON (ctrl+s
loads it). A paste arrives in one of two ways and neither may lose or reorder a byte: as
one bracketed paste (a single event, inserted whole), or, over SSH or from a terminal
without bracketed paste, as a stream of keys, each handled in order; a raw line feed then
arrives as ctrl+j and a tab as tab, and both are typed into the text, never taken as
commands. Whatever is wrong is said in plain words under the boxes and the dialog stays
open; a loaded body goes through the draft keeper (an unsent draft is never replaced
unasked), known fields into the form, unknown ones kept and warned about.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea
from textual.worker import Worker, WorkerState

from lumatui.tui.body_source import BodyError, parse_body_text, read_body_file
from lumatui.tui.frame_pacer import PacedFrames
from lumatui.tui.key_order import hold_keys

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult

    from lumatui.tui.key_order import KeyHold
    from lumatui.tui.widgets.composer import Composer

Loaded = tuple[dict[str, Any], str]
"""A body read, and where from ("clip.json", "the pasted JSON")."""

PASTED = "The pasted JSON"
PASTED_WHERE = "the pasted JSON"


class PasteArea(TextArea):
    """A text area for pasted JSON: every key of a paste that arrives as keys is text."""

    def __init__(self, **options: Any) -> None:
        super().__init__(tab_behavior="indent", soft_wrap=False, **options)

    async def _on_key(self, event: events.Key) -> None:
        # Runs before TextArea's own handler (Textual calls each class's in turn unless
        # the default is prevented), which does the rest.
        if event.key == "ctrl+j":  # a raw line feed: a newline of a paste sent as keys
            event.stop()
            event.prevent_default()
            self._replace_via_keyboard("\n", *self.selection)
        elif event.key == "escape":
            event.prevent_default()  # the dialog's escape (cancel), not "focus next"


class LoadBodyScreen(PacedFrames, ModalScreen[Loaded | None]):
    """Asks for a path or pasted JSON; dismisses with the body read, or None (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="load_body.cancel"),
        Binding("ctrl+s", "load", "Load", id="load_body.load"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._reading: KeyHold | None = None
        self._handed_over = False

    def compose(self) -> ComposeResult:
        """The path box, the paste area and the line that says what is wrong."""
        with Vertical(id="load-body-box") as box:
            box.border_title = "Load a request body"
            yield Static("A JSON file (enter loads it):", markup=False)
            yield Input(placeholder="path, e.g. ~/bodies/edit.json", id="body-path")
            yield Static("or paste JSON here (ctrl+s loads it; esc cancels):", markup=False)
            yield PasteArea(id="body-paste")
            yield Static("", id="body-problem", markup=False)

    def on_mount(self) -> None:
        """Focus starts in the path box."""
        self.query_one("#body-path", Input).focus()

    @property
    def pasted(self) -> PasteArea:
        """The text area for pasted JSON."""
        return self.query_one("#body-paste", PasteArea)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """enter in the path box: read that file."""
        event.stop()
        self._read_file(event.value)

    def action_load(self) -> None:
        """ctrl+s: the pasted JSON when there is any, else the file named in the path box."""
        if self.pasted.text.strip() or not self.query_one("#body-path", Input).value.strip():
            self._parse_pasted()
        else:
            self._read_file(self.query_one("#body-path", Input).value)

    def action_cancel(self) -> None:
        """Nothing is loaded."""
        self.dismiss(None)

    def _parse_pasted(self) -> None:
        try:
            self.dismiss((parse_body_text(self.pasted.text, PASTED), PASTED_WHERE))
        except BodyError as exc:
            self._problem(str(exc))

    def _read_file(self, typed: str) -> None:
        self._problem("reading the file…")
        # Keys typed meanwhile wait: for the form the body fills (they land in it once it
        # is loaded), or for this dialog again when the file cannot be used.
        if self._reading is None:
            self._reading = hold_keys(self.app, "a request body is being read")
        # A thread: a large file (or a slow disk) never stalls the screen.
        self.run_worker(partial(_read, typed), thread=True, exclusive=True, group="load-body")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The file was read: load it, or say what is wrong with it."""
        if event.worker.group != "load-body":
            return
        event.stop()
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.release_keys()
        if event.state is not WorkerState.SUCCESS:
            return
        outcome = event.worker.result
        if isinstance(outcome, str):
            self._problem(outcome)
            self.release_keys()
        else:
            self._handed_over = True  # the callback releases the keys once it filled the form
            self.dismiss(outcome)

    def release_keys(self) -> None:
        """The keys held while a file was read go on (the read failed, or its body is in
        the form)."""
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.release()

    def on_unmount(self) -> None:
        """A dialog closed without handing a body over holds no key."""
        if not self._handed_over:
            self.release_keys()

    def _problem(self, text: str) -> None:
        self.query_one("#body-problem", Static).update(text)


def _read(typed: str) -> Loaded | str:
    """Thread worker: the body and its file's name, or the sentence saying what is wrong."""
    try:
        return read_body_file(typed), typed.strip()
    except BodyError as exc:
        return str(exc)


def open_load_body(composer: Composer) -> None:
    """Show the dialog; a body read goes into the composer (asking first over an unsent
    draft, through the screen's draft keeper when it has one)."""

    dialog = LoadBodyScreen()

    def loaded(result: Loaded | None) -> None:
        try:
            fill(result)
        finally:
            dialog.release_keys()  # in the form now (or not loaded): the held keys go on

    def fill(result: Loaded | None) -> None:
        if result is None:
            return
        body, where = result
        # Pasted JSON exists nowhere else: it is kept like typing (across quit, stash).
        pasted = where == PASTED_WHERE
        keeper = getattr(composer.screen, "drafts", None)
        if keeper is not None:
            what = f"the body from {where}"
            keeper.replace(body, title="Load a request body", what=what, as_draft=pasted)
        else:
            composer.load_body(body, as_draft=pasted)

    composer.app.push_screen(dialog, callback=loaded)
