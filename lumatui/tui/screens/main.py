"""The workstation: composer, live job list, lineage tree and preview, with header and footer.

Wide terminals show the four panes at once; narrow or short ones (under 110x28) one at a time
with a pane bar on top; every pane is one key away (F2..F5, alt+1..4, ctrl+up/down). The
screen hands the bridge's messages and the change feed's (`live.py`) to the widgets that draw
them; it keeps the selected job and the session's spend.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.containers import Container
from textual.reactive import reactive

from lumatui.tui.bridge import EngineBridge, dispatch
from lumatui.tui.commands import ActionEntry
from lumatui.tui.deferred import deferred
from lumatui.tui.screens.composer_pane import ComposerPane, drop_unknown_fields
from lumatui.tui.screens.draft_keeper import AUTOSAVE_S, DraftKeeper
from lumatui.tui.screens.keys import (
    GUARDED_ACTIONS,
    PANE_TITLES,
    PANES,
    job_bindings,
    pane_bindings,
)
from lumatui.tui.screens.live import REFRESH_S, LiveView
from lumatui.tui.screens.maximize import PreviewMaximizer
from lumatui.tui.screens.notices import Notices
from lumatui.tui.screens.pane_bar import PaneBar
from lumatui.tui.screens.panes import first_focusable
from lumatui.tui.screens.session import SessionStatus
from lumatui.tui.widgets.header import StatusHeader
from lumatui.tui.widgets.jobs.job_list import JobList
from lumatui.tui.widgets.key_bar import KeyBar
from lumatui.tui.widgets.lineage.lineage_tree import LineageTree
from lumatui.tui.widgets.preview.preview import Preview

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from textual import events
    from textual.app import ComposeResult
    from textual.binding import BindingType
    from textual.widget import Widget

    from lumatui.api.pricing import Price
    from lumatui.api.schema import GenerationRequest
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.engine.thumbnails import ThumbnailCache
    from lumatui.tui.screens.job_actions import JobActions
    from lumatui.tui.screens.job_bulk import BulkActions
    from lumatui.tui.widgets.composer import Composer

STACK_BELOW = (110, 28)
"""Under this width or height the panes are shown one at a time."""
WIDE_FROM = 150


class MainScreen(PreviewMaximizer):
    """The four panes, the header and the footer; the selected job lives here."""

    BINDINGS: ClassVar[list[BindingType]] = [*pane_bindings(), *job_bindings()]
    # Focus starts in the prompt once the form is mounted (`mount_composer`); Textual's
    # default (None: the app's "*") would first focus the job list's hidden filter.
    AUTO_FOCUS = ""

    active_pane: reactive[str] = reactive("composer")
    """The pane shown when the screen is too small for all four."""

    def __init__(
        self,
        db: AsyncJobStore,
        settings: Settings,
        paths: AppPaths,
        *,
        backend_label: str,
        thumbnails: ThumbnailCache,
        clock: Callable[[], float] = time.time,
        image_renderer: str | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self._engine: Engine | None = None
        self.settings = settings
        self.paths = paths
        self.backend_label = backend_label
        self.clock = clock
        self.thumbnails = thumbnails
        self.image_renderer = image_renderer
        self.bridge = EngineBridge(self)
        self.job_actions: JobActions  # these two with the engine (`attach_engine`)
        self.bulk: BulkActions
        self.live = LiveView(self, db)
        self.drafts = DraftKeeper(self, paths)
        self._composer: Composer | None = None  # kept: its draft is saved after it is unmounted
        self.selected_job_id: str | None = None
        self.selected: Job | None = None  # as last read: the list, tree and feed keep it
        self.last_submitted: str | None = None
        self._last_focus: dict[str, Widget] = {}
        self._resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Textual styles every widget of a screen again when it is shown; the first time,
        each was styled as it was mounted, with this same stylesheet, a moment before (all
        ~120 of them again was about a tenth of the time to the first frame)."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        super()._on_screen_resume(event)

    def compose(self) -> ComposeResult:
        """Header, the pane bar (narrow screens), the panes, the footer."""
        store, clock = self.db, self.clock
        yield StatusHeader(id="status-header")
        yield PaneBar(id="pane-bar")
        with Container(id="panes"):
            yield ComposerPane(id="pane-composer", classes="pane")  # the form: after frame 1
            prices = self.settings.prices
            yield JobList(store, clock=clock, prices=prices, id="pane-jobs", classes="pane")
            yield LineageTree(store, id="pane-lineage", classes="pane")
            options = {"renderer": self.image_renderer, "id": "pane-preview", "classes": "pane"}
            yield Preview(store, self.thumbnails, clock=clock, **options)
        yield KeyBar(compact=True)

    def on_mount(self) -> None:
        """Titles, the header's first facts, and the layout for this size."""
        for index, pane in enumerate(PANES):
            self.pane(pane).border_title = f"{PANE_TITLES[pane]} F{index + 2}"
        header = self.header
        header.backend = self.backend_label
        self.notices = Notices(self.app, in_line=self.notices_in_line, show_line=self.show_notice)
        self.session = SessionStatus(header, self.notices, self.settings)
        self.run_worker(deferred(self.live.load_running), group="session", exit_on_error=False)
        self.set_interval(REFRESH_S, self.live.refresh_from_store, name="history-feed")
        self._apply_layout(self.size.width, self.size.height)
        self.watch_active_pane(self.active_pane)
        self.preview.show(None)  # until the list selects a job

    async def attach_engine(self, engine: Engine, base_url: str) -> None:
        """The engine is open (after the first frame): its news, the job keys, and the
        composer's form (keys typed meanwhile wait for it: the app holds them)."""
        from lumatui.tui.screens import job_actions, job_bulk

        self._engine = engine
        self.job_actions = job_actions.JobActions(self, engine, self.settings, self.paths, base_url)
        self.bulk = job_bulk.BulkActions(self, engine, self.settings, self.paths)
        self.header.polling_paused = engine.poller.paused
        self.header.queue_paused = engine.submitter.paused_reason
        self.bridge.attach(engine)
        if self.selected_job_id is not None:
            engine.select(self.selected_job_id)
        await self.mount_composer()

    async def mount_composer(self) -> None:
        """Build the form into its pane (after the first frame), the cursor in its prompt,
        the left-over draft back in it."""
        from lumatui.tui.screens.job_actions import history_kind
        from lumatui.tui.widgets.composer import Composer

        if self._composer is not None:
            return
        kinds = history_kind(self.engine)  # what the history says a referenced id made
        self._composer = Composer(price_overrides=self.settings.prices, kind_lookup=kinds)
        await self.query_one(ComposerPane).mount(self._composer)
        if self.active_pane == "composer":
            self.focus_prompt()
        self.drafts.restore_left_over()
        self.set_interval(AUTOSAVE_S, self.drafts.autosave, name="draft-autosave")

    def on_unmount(self) -> None:
        """Stop receiving engine events and changes; keep the composer's unsent draft."""
        self.bridge.detach()
        self.live.close()
        if self._composer is not None:
            self.drafts.save_on_exit()

    # -- widgets --------------------------------------------------------------------------

    def pane(self, name: str) -> Widget:
        """The pane widget called `name` (composer, jobs, lineage, preview)."""
        return self.query_one(f"#pane-{name}")

    @property
    def engine(self) -> Engine:
        """The engine (opened right after the first frame, before any key is handled)."""
        if self._engine is None:
            raise LookupError("the engine is not open yet")
        return self._engine

    @property
    def header(self) -> StatusHeader:
        """The status line."""
        return self.query_one(StatusHeader)

    @property
    def composer(self) -> Composer:
        """The request form (mounted right after the first frame, before any key is handled)."""
        if self._composer is None:
            raise LookupError("the composer's form is not mounted yet")
        return self._composer

    @property
    def job_list(self) -> JobList:
        """The live job list."""
        return self.query_one(JobList)

    @property
    def lineage(self) -> LineageTree:
        """The lineage tree."""
        return self.query_one(LineageTree)

    @property
    def preview(self) -> Preview:
        """The preview of the selected job."""
        return self.query_one(Preview)

    @property
    def selected_job(self) -> Job | None:
        """The job selected in the list or the tree (as last read; never a store read)."""
        job = self.selected
        return job if job is not None and job.id == self.selected_job_id else None

    # -- layout and focus -----------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """Stack the panes on small screens, spread them on large ones."""
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        stacked = width < STACK_BELOW[0] or height < STACK_BELOW[1]
        self.set_class(stacked, "-stacked")
        self.set_class(not stacked and width >= WIDE_FROM, "-wide")
        if self.is_mounted:
            self._draw_panes()
            self.line_mode_changed()

    @property
    def stacked(self) -> bool:
        """True when one pane is shown at a time."""
        return self.has_class("-stacked")

    def watch_active_pane(self, active: str) -> None:
        """Show and highlight the active pane, and draw the pane bar."""
        self._draw_panes()
        self.query_one(PaneBar).active = active

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The pane holding focus is the active one; remember where focus was in it."""
        pane = self._pane_of(event.widget)
        if pane is not None:
            self._last_focus[pane] = event.widget
            self.active_pane = pane

    def _pane_of(self, widget: Widget) -> str | None:
        for pane in PANES:
            holder = self.pane(pane)
            if widget is holder or holder in widget.ancestors:
                return pane
        return None

    def action_focus_pane(self, pane: str) -> None:
        """Go to a pane (the composer: its prompt), focus moved before the next key."""
        if pane == "composer":
            self.focus_prompt()
            return
        self.active_pane = pane
        remembered = self._last_focus.get(pane)
        if remembered is not None and remembered.is_attached and remembered.focusable:
            self.set_focus(remembered)
        elif (target := first_focusable(self.pane(pane))) is not None:
            self.set_focus(target)

    def focus_prompt(self) -> None:
        """Show the composer and put the cursor in its prompt (now: the next key lands there)."""
        self.active_pane = "composer"
        if self._composer is not None:
            self._composer.focus_prompt()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Job and engine keys apply outside the composer (there they are typed text)."""
        if action in GUARDED_ACTIONS:
            focused = self.focused
            return focused is None or self._pane_of(focused) != "composer"
        return True

    # -- actions --------------------------------------------------------------------------

    def action_job(self, name: str) -> None:
        """Run an action on the selected job (or on the marked ones)."""
        if self.bulk.handles(name):
            self.bulk.run(name)
        else:
            self.job_actions.run(name)

    def action_toggle_polling(self) -> None:
        """Pause or resume polling."""
        poller = self.engine.poller
        if poller.paused:
            poller.resume()
        else:
            poller.pause()
        self.header.polling_paused = poller.paused

    def action_resume_queue(self) -> None:
        """Send the waiting jobs now: cut the wait after a 429, a 402 or a refused key."""
        self.engine.submitter.resume()
        self.notify("Trying the submission queue again now.")

    def action_files(self) -> None:
        """The files view; a file picked there becomes the composer's reference."""
        from lumatui.tui.screens.files import open_files_view

        open_files_view(self.app, self.composer)

    def action_compare(self) -> None:
        """Compare the marked jobs side by side (= ; 2 to 4 of them)."""
        from lumatui.tui.screens.compare import open_compare

        open_compare(self)

    def palette_extras(self) -> Iterable[ActionEntry]:
        """Commands only the palette offers."""
        yield self.drafts.palette_entry()
        yield ActionEntry(
            key="",
            description="Drop the fields lumatui does not know",
            help="Remove the unknown fields a loaded body brought into the composer",
            where="palette",
            binding_id=None,
            run=lambda: drop_unknown_fields(self.composer),
        )
        yield from self.bulk.palette_entries()

    async def submit(self, request: GenerationRequest, price: Price | None = None) -> Job:
        """Send a request through the engine, select it, and count its price."""
        from lumatui.api.pricing import price_of

        job = await self.engine.submit(request)
        self.session.submitted(job, price or price_of(request, self.settings.prices))
        self.last_submitted = job.id
        self.live.jobs_changed([job])
        self.job_list.select_job(job)
        self._select(job)
        return job

    # -- messages from the widgets --------------------------------------------------------

    def on_composer_submit_requested(self, message: Composer.SubmitRequested) -> None:
        """ctrl+j on a valid form: send it (`composer_send`)."""
        from lumatui.tui.screens.composer_send import send_from_composer

        message.stop()
        send_from_composer(self, message)

    def on_job_list_job_selected(self, message: JobList.JobSelected) -> None:
        """The list's cursor moved: the tree and the preview follow."""
        message.stop()
        job = self.job_list.job(message.job_id)
        if job is not None and message.job_id != self.selected_job_id:
            self._select(job)

    def on_lineage_tree_job_selected(self, message: LineageTree.JobSelected) -> None:
        """The tree's cursor moved (or enter): the list and the preview follow."""
        message.stop()
        # Only a move the person made: the tree also highlights nodes while it is redrawn.
        same = message.job_id == self.selected_job_id and not message.chosen
        if not self.lineage.has_focus or same:
            return
        job = self.lineage.job(message.job_id) or self.job_list.job(message.job_id)
        self.selected_job_id, self.selected = message.job_id, job
        if self._engine is not None:  # the engine learns it when it is open
            self._engine.select(message.job_id)  # its GETs go first when the rate cap is reached
        self.preview.show(job)
        if job is None or not self.job_list.select_job(job):
            self.notify("That job is hidden by the list's filter.", severity="information")

    def _select(self, job: Job) -> None:
        self.selected_job_id, self.selected = job.id, job
        if self._engine is not None:  # the engine learns it when it is open
            self._engine.select(job.id)  # its GETs go first when the rate cap is reached
        self.preview.show(job)
        self.lineage.show_family(job)

    # -- messages from the engine ---------------------------------------------------------

    def on_engine_bridge_engine_event(self, message: EngineBridge.EngineEvent) -> None:
        """News from the engine: `dispatch` hands it to the live view's method for it."""
        dispatch(self.live, message.event)

    def restyle(self, _theme: Any = None) -> None:
        """The theme changed: redraw colours drawn into cells and pane borders."""
        self.job_list.restyle()
        self._draw_panes()
