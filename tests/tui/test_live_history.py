"""The workstation among other processes: their changes on screen, a lock that never blocks
keys, cancel, remove and marks.

"Another process" is another JobStore on the same file (its own connections, as a process
would have); a job it owns stays its own because a lock file it holds says it is alive.
Ordering is by events: the change feed is ticked by hand, workers are awaited.
"""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from textual.widgets import TextArea

from lumatui.api.schema import Generation, GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.owners import take_owner_lock
from lumatui.engine.store import JobStore
from lumatui.tui.screens.confirm import ConfirmScreen
from tests.tui.conftest import generation_id, seed_job, settle, wait_until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from textual.pilot import Pilot

    from lumatui.config import AppPaths
    from lumatui.tui.app import LumaApp
    from lumatui.tui.screens.main import MainScreen


@asynccontextmanager
async def workstation(
    make_app: Callable[..., LumaApp],
) -> AsyncIterator[tuple[LumaApp, MainScreen, Pilot[None]]]:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await settle(pilot)
        yield app, app.main_screen, pilot


async def test_another_process_jobs_appear_change_and_go_on_the_next_tick(
    make_app: Callable[..., LumaApp], paths: AppPaths
) -> None:
    async with workstation(make_app) as (_app, screen, pilot):
        table = screen.job_list.table
        assert await screen.live.refresh_from_store() is False, "no job changed"
        # The screen's own tick may be pulling when the test asks for one (then the test's
        # call does nothing and that tick, or the next, shows the change): wait for the rows.
        with JobStore.open(paths.database) as other:
            job = seed_job(other, 1, "written by another process", state=JobState.QUEUED)
            assert not table.has_row(job.id)
            await screen.live.refresh_from_store()  # the next tick after the write
            await wait_until(pilot, lambda: table.has_row(job.id))
            await settle(pilot)
            assert "queued" in str(table.get_cell(job.id, "state"))
            assert "1 running" in str(screen.header.render())

            other.record_state(job.id, _generation(generation_id(1), "completed"))
            await screen.live.refresh_from_store()
            await wait_until(pilot, lambda: "completed" in str(table.get_cell(job.id, "state")))
            await settle(pilot)
            assert "0 running" in str(screen.header.render())

            other.remove(job.id)
            await screen.live.refresh_from_store()
            await wait_until(pilot, lambda: not table.has_row(job.id))


def _generation(gid: str, state: str) -> Generation:
    return Generation.model_validate(
        {
            "id": gid,
            "created_at": "2026-01-01T00:00:00Z",
            "model": "uni-1",
            "type": "image",
            "state": state,
            "output": [{"type": "image", "url": "https://cdn.example/0.png"}]
            if state == "completed"
            else None,
        }
    )


async def test_keys_land_in_the_prompt_while_another_process_holds_the_write_lock(
    make_app: Callable[..., LumaApp], paths: AppPaths
) -> None:
    async with workstation(make_app) as (app, screen, pilot):
        prompt = screen.composer.query_one("#prompt-text", TextArea)
        prompt.focus()
        await pilot.pause()
        blocker = sqlite3.connect(paths.database, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")  # another process's write lock, held
            await pilot.press(*"a heron", "ctrl+j")  # the submit's write waits for the lock
            await pilot.press(*" at dawn")  # typed while it waits
            await pilot.pause()
            assert prompt.text == "a heron at dawn", "every key landed before the lock went"
            assert screen.job_list.table.row_count == 0, "the job is not stored yet"
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await wait_until(pilot, lambda: screen.job_list.table.row_count == 1)
        assert app.engine is not None
        (job,) = app.engine.store.page(screen.job_list.job_query)
        assert job.prompt == "a heron"


async def test_cancel_a_job_another_process_holds_then_remove_marked_jobs(
    make_app: Callable[..., LumaApp], paths: AppPaths
) -> None:
    lock = take_owner_lock(paths.database, "script-1")  # a live process's jobs stay its own
    try:
        with JobStore.open(paths.database) as other:
            done = [seed_job(other, n, f"finished {n}") for n in (1, 2)]
            held = other.record_submission(
                GenerationRequest(prompt="held by a script"),
                state=JobState.WAITING,
                owner="script-1",
            )
        async with workstation(make_app) as (app, screen, pilot):
            assert app.engine is not None
            store = app.engine.store
            assert screen.job_list.select_job(screen.job_list.job(held.id) or held)
            await settle(pilot)
            await pilot.press("f3", "C")
            await wait_until(pilot, lambda: store.get(held.id).state is JobState.CANCELLED)
            assert "nothing was created" in (store.get(held.id).note or "")

            await pilot.press("g", "j", "space", "space")  # mark the two finished jobs below
            await settle(pilot)
            marked = set(screen.job_list.marks.ids)
            assert marked == {done[0].id, done[1].id}
            assert str(screen.job_list.table.get_cell(done[0].id, "id")).strip().startswith("● ")
            await pilot.press("d")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("k")  # remove, keep the files
            await wait_until(pilot, lambda: screen.job_list.table.row_count == 1)
            assert all(store.find(job_id) is None for job_id in marked)
            assert len(screen.job_list.marks) == 0
    finally:
        lock.release(unlink=True)


async def test_a_second_workstation_says_it_is_a_viewer_and_names_the_primary(
    make_app: Callable[..., LumaApp], paths: AppPaths
) -> None:
    import socket
    import time

    from lumatui.engine.claims import ProcessRow
    from lumatui.engine.owners import HeldLock, primary_lock_path

    primary = HeldLock.try_take(primary_lock_path(paths.database))  # the first workstation
    alive = take_owner_lock(paths.database, "first-workstation")
    assert primary is not None
    try:
        with JobStore.open(paths.database) as first:
            row = ProcessRow(
                "first-workstation",
                4242,
                socket.gethostname(),
                time.time(),
                "workstation",
                "primary",
                time.time(),
            )
            first.register_process(row)
        async with workstation(make_app) as (app, screen, pilot):
            assert app.engine is not None and not app.engine.is_primary
            await wait_until(pilot, lambda: "viewer" in str(screen.header.render()))
            assert "primary: workstation (pid 4242)" in str(screen.header.render())
            said = [str(n.message) for n in app._notifications]
            assert any("Another lumatui is the primary" in text for text in said)
    finally:
        primary.release()
        alive.release(unlink=True)
