"""The job list alone in an app, over a seeded store (shared by the job-list test modules)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App

from lumatui.resources import stylesheets
from lumatui.tui.widgets.jobs.job_list import JobList
from tests.tui.conftest import FIXED_NOW, settle

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from textual._path import CSSPathType
    from textual.pilot import Pilot

    from lumatui.engine.store import JobStore


class ListHost(App[None]):
    """One JobList over a store, with the real stylesheets and a clock the test moves."""

    CSS_PATH: ClassVar[CSSPathType | None] = [str(p) for p in stylesheets()]

    def __init__(self, store: JobStore, page_size: int) -> None:
        super().__init__()
        self.store = store
        self.page_size = page_size
        self.now = FIXED_NOW
        self.selected: list[str] = []

    def compose(self) -> Any:
        yield JobList(self.store, clock=lambda: self.now, page_size=self.page_size)

    def on_job_list_job_selected(self, message: JobList.JobSelected) -> None:
        self.selected.append(message.job_id)


@asynccontextmanager
async def listing(
    store: JobStore, *, page_size: int = 300, size: tuple[int, int] = (140, 30)
) -> AsyncIterator[tuple[ListHost, JobList, Pilot[None]]]:
    """The list running over `store`, its table focused, the first page shown."""
    app = ListHost(store, page_size)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        job_list = app.query_one(JobList)
        job_list.table.focus()
        await settle(pilot)
        yield app, job_list, pilot
