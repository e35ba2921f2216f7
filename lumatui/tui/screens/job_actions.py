"""What the one-key actions do to the selected job: chain it, re-run it, copy it, open it.

The main screen owns one `JobActions` and calls `run(name)` from its bindings and from the
command palette. Chaining actions (edit, animate, extend, reframe, branch) fill the
composer and put the cursor in its prompt before the next key is handled; over an unsent
draft they ask first: replace it, stash it (restore it from the palette), or cancel (see
`DraftKeeper`). A re-run asks first (it is a paid job) and shows the price.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any, Protocol

from lumatui.api.enums import GenerationType
from lumatui.api.pricing import price_of
from lumatui.engine import actions
from lumatui.engine.actions import ActionNotPossible
from lumatui.tui.deferred import deferred
from lumatui.tui.screens.confirm import YES_NO, ConfirmScreen

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App

    from lumatui.api.schema import GenerationRequest
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.tui.screens.draft_keeper import DraftKeeper
    from lumatui.tui.widgets.composer import Composer

JOB_ACTIONS = (
    "edit",
    "animate",
    "extend",
    "reframe",
    "rerun",
    "branch",
    "copy_id",
    "copy_curl",
    "open_output",
    "use_selected",
    "replay",
    "star",
)
"""Every action on the selected job done here, by the name its binding passes (cancel, remove,
poll_now and re-runs of marked jobs are in `job_bulk.py`)."""

CHAINS: dict[str, Callable[[Job], dict[str, Any]]] = {
    "edit": actions.edit_body,
    "animate": actions.animate_body,
    "extend": actions.extend_body,
    "reframe": actions.reframe_body,
    "branch": actions.branch_body,
}
CHAIN_WORDS = {
    "edit": "an edit of",
    "animate": "an animation of",
    "extend": "an extension of",
    "reframe": "a reframe of",
    "branch": "the request of",
}


class Host(Protocol):
    """What the actions need from the screen that hosts them."""

    @property
    def selected_job(self) -> Job | None:
        """The job selected in the list or the tree."""

    @property
    def composer(self) -> Composer:
        """The request form."""

    @property
    def drafts(self) -> DraftKeeper:
        """The composer's drafts: asks before replacing one, the stash."""

    def focus_prompt(self) -> None:
        """Show the composer and put the cursor in its prompt."""

    async def submit(self, request: GenerationRequest) -> Job:
        """Send a request through the engine, counting its price."""


class JobActions:
    """The actions on the selected job."""

    def __init__(
        self, host: Host, engine: Engine, settings: Settings, paths: AppPaths, base_url: str
    ) -> None:
        self.host = host
        self.engine = engine
        self.settings = settings
        self.paths = paths
        self.base_url = base_url
        self._star_lock = asyncio.Lock()

    @property
    def app(self) -> App[Any]:
        """The running app (notify, push_screen, clipboard)."""
        composer = self.host.composer
        return composer.app

    def run(self, name: str) -> None:
        """Run the action `name` on the selected job, or say why it does not apply."""
        job = self.host.selected_job
        if job is None:
            self.app.notify("Select a job first (F3: the job list).", severity="warning")
            return
        try:
            if name in CHAINS:
                self._chain(job, CHAINS[name](job), name)
            else:
                DIRECT[name](self, job)
        except ActionNotPossible as exc:
            self.app.notify(str(exc), severity="warning", markup=False)

    # -- chaining -------------------------------------------------------------------------

    def _chain(self, job: Job, body: dict[str, Any], name: str) -> None:
        """Load the new request into the composer, cursor in the prompt (asking over a draft)."""
        composer = self.host.composer
        for generation_id, kind in known_kinds(job):
            composer.know_reference(generation_id, kind)
        title = name.capitalize()
        what = f"{CHAIN_WORDS[name]} {job.short_id}"
        self.host.drafts.replace(body, title=title, what=what)

    # -- paid again -----------------------------------------------------------------------

    def _rerun(self, job: Job) -> None:
        request = actions.rerun_request(job)
        price = price_of(request, self.settings.prices)
        lines = [f"Run {job.short_id}'s request again as a new job? It is paid: {price}."]
        if warning := actions.rerun_warning(job):
            lines.append(warning)

        async def answered(answer: str | None) -> None:
            if answer == "yes":
                new = await self.host.submit(request)
                self.app.notify(f"Re-run sent as {new.short_id}.", markup=False)

        self.app.push_screen(ConfirmScreen("Re-run", "\n".join(lines), YES_NO), callback=answered)

    def _replay(self, job: Job) -> None:
        from lumatui.tui.screens.replay_action import start_replay

        start_replay(self.app, self.engine, self.settings, self.host.composer, job)

    # -- copying and looking --------------------------------------------------------------

    def _copy_id(self, job: Job) -> None:
        self._copy(job.generation_id or job.id, "Id")

    def _copy_curl(self, job: Job) -> None:
        from lumatui.engine.export import export_job

        # The configured URL, as `lumatui export` names it, never the simulator's port.
        self._copy(export_job(job, self.settings.base_url, as_="curl"), "Curl command")

    def _copy(self, text: str, what: str) -> None:
        from lumatui.tui.clipboard import copy_text

        where = copy_text(self.app, text, self.paths)
        self.app.notify(f"{what}: {where}", markup=False)

    def _open_output(self, job: Job) -> None:
        # The history is read in a worker: never SQLite on the event loop.
        self.app.run_worker(self._open_first_output(job), group="open", exit_on_error=False)

    async def _open_first_output(self, job: Job) -> None:
        stored = await self.engine.db.read(lambda s: s.outputs(job.id))
        outputs = [o for o in stored if o.is_downloaded]
        if not outputs or outputs[0].local_path is None:
            self.app.notify(f"{job.short_id} has no downloaded output yet.", severity="warning")
            return
        path = outputs[0].local_path
        opener = system_opener()
        if opener is None:
            self.app.notify(f"No display to open it on; the file is {path}", markup=False)
            return
        try:
            subprocess.Popen(
                [opener, path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            self.app.notify(f"Could not open {path}: {exc}", severity="warning", markup=False)
            return
        self.app.notify(f"Opening {path}", markup=False)

    def _use_selected(self, job: Job) -> None:
        if job.generation_id is None:
            raise ActionNotPossible(f"{job.short_id} has no server id yet; wait for it to be sent.")
        kind = "video" if job_makes_video(job) else "image"
        self.host.composer.know_reference(job.generation_id, kind)
        self.host.composer.use_selected(job.generation_id)
        self.app.notify(f"{job.short_id} is in the composer's reference.", markup=False)

    def _star(self, job: Job) -> None:
        """Star the job, or unstar it: a lasting mark in the history (`star:yes` filters)."""

        async def toggle() -> None:
            # One toggle at a time, each from the stored mark: `**` typed fast stars and unstars.
            async with self._star_lock:
                current = await self.engine.db.read(lambda s: s.get(job.id))
                stored = await self.engine.set_star(job.id, not current.starred)
            word = "Starred" if stored.starred else "Unstarred"
            self.app.notify(f"{word} {stored.short_id}.", markup=False)

        self.app.run_worker(deferred(toggle), group="job-star")


def job_makes_video(job: Job) -> bool:
    """Whether the job's output is a video."""
    try:
        return GenerationType(job.type).makes_video
    except ValueError:
        return False


DIRECT: dict[str, Callable[[JobActions, Job], None]] = {
    "rerun": JobActions._rerun,
    "copy_id": JobActions._copy_id,
    "copy_curl": JobActions._copy_curl,
    "open_output": JobActions._open_output,
    "use_selected": JobActions._use_selected,
    "replay": JobActions._replay,
    "star": JobActions._star,
}
"""The actions that do not fill the composer from the job, by name: with `CHAINS`, the table
`JobActions.run` dispatches through (`JOB_ACTIONS` lists both)."""


def history_kind(engine: Engine) -> Callable[[str], str | None]:
    """What the history knows a generation made ("image", "video"): the composer's lookup,
    called from a thread worker."""

    def kind(generation_id: str) -> str | None:
        job = engine.store.find(generation_id)
        return None if job is None else ("video" if job_makes_video(job) else "image")

    return kind


def known_kinds(job: Job) -> list[tuple[str, str]]:
    """(generation id, "image"/"video") of the job, as far as it has a server id."""
    if job.generation_id is None:
        return []
    return [(job.generation_id, "video" if job_makes_video(job) else "image")]


def system_opener() -> str | None:
    """The command that opens a file with the system viewer, when there is a display."""
    if sys.platform == "darwin":
        return shutil.which("open")
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return shutil.which("xdg-open")
    return None
