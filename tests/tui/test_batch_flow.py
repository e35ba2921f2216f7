"""Issue 15 end to end, from the keyboard: one image, four priced variations sent as one
batch, compared side by side, one starred, and the earlier chain of edits replayed on it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.queries import JobQuery
from lumatui.tui.screens.compare import CompareScreen
from lumatui.tui.screens.confirm import ConfirmScreen
from lumatui.tui.widgets.jobs.groups import group_key
from tests.tui.conftest import settle, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore
    from lumatui.tui.app import LumaApp


def source_of(job: Job) -> str | None:
    source = json.loads(job.request_json).get("source") or {}
    return source.get("generation_id")


async def all_completed(pilot: Pilot[None], store: JobStore, count: int) -> list[Job]:
    """Wait until `count` jobs are stored and every one completed; newest first."""

    def done() -> bool:
        jobs = store.page(JobQuery(), limit=100)
        return len(jobs) == count and all(j.state is JobState.COMPLETED for j in jobs)

    await wait_until(pilot, done, rounds=20_000)
    return store.page(JobQuery(), limit=100)


async def test_variations_compare_star_and_replay_from_the_keyboard(
    make_app: Callable[..., LumaApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        engine = app.engine
        assert engine is not None
        store = engine.store
        # The earlier work: an image and a chain of two edits on it.
        image = await engine.submit(GenerationRequest.model_validate({"prompt": "a lighthouse"}))
        await all_completed(pilot, store, 1)
        image = store.get(image.id)
        night = await engine.submit(
            GenerationRequest.model_validate(
                {
                    "type": "image_edit",
                    "prompt": "at night",
                    "source": {"generation_id": image.generation_id},
                }
            )
        )
        await all_completed(pilot, store, 2)
        night = store.get(night.id)
        snow = await engine.submit(
            GenerationRequest.model_validate(
                {
                    "type": "image_edit",
                    "prompt": "in the snow",
                    "source": {"generation_id": night.generation_id},
                }
            )
        )
        await all_completed(pilot, store, 3)
        screen = app.main_screen
        await settle(pilot)

        # One image -> four variations, priced before anything is sent, sent as one batch.
        view = screen.composer.view
        await pilot.press("f3", "G", "e", *"make it {red|blue}")
        await pilot.press(
            "shift+tab", "shift+tab", "shift+tab", "shift+tab", "end", "backspace", "2"
        )
        await settle(pilot)
        assert "4 jobs, $0.1736" in view.bar.plain  # 4 edits at $0.0434, shown before sending
        await pilot.press("ctrl+j")
        jobs = await all_completed(pilot, store, 7)
        batch = [job for job in jobs if job.batch_id is not None]
        assert len(batch) == 4 and len({job.batch_id for job in batch}) == 1
        assert {job.batch_label for job in batch} == {"make it {red|blue}"}
        assert sorted(job.prompt for job in batch) == ["make it blue"] * 2 + ["make it red"] * 2
        assert {source_of(job) for job in batch} == {image.generation_id}
        batch_id = batch[0].batch_id or ""
        await settle(pilot)

        # The batch is one row; space on it marks its four jobs and = compares them.
        job_list = screen.job_list
        await pilot.press("f3")
        await settle(pilot)
        assert job_list.table.key_at_cursor() == group_key(batch_id)
        assert str(job_list.table.get_cell(group_key(batch_id), "progress")).strip() == (
            "4 of 4 done"
        )
        await pilot.press("space", "equals_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        compared = app.screen
        assert isinstance(compared, CompareScreen)
        assert {job.id for job in compared.jobs} == {job.id for job in batch}

        # Star the newest variation: open the group, onto its first job, *.
        await pilot.press("escape", "k", "right", "j", "asterisk")
        await wait_until(pilot, lambda: any(j.starred for j in store.page(JobQuery())))
        starred = [j for j in store.page(JobQuery()) if j.starred]
        assert [j.id for j in starred] == [batch[0].id]  # the newest first in the list
        chosen = starred[0]

        # Replay the chain of edits on it: e on the starred one, the first edit's prompt,
        # then R on that first edit (its chain made again on the chosen variation).
        await pilot.press("e", *"at night", "f3", "G", "k")
        await settle(pilot)
        assert screen.selected_job_id == night.id
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question  # type: ignore[attr-defined]
        assert "2 new job(s)" in question and "Total: $" in question
        await pilot.press("y")
        jobs = await all_completed(pilot, store, 9)
        old = {image.id, night.id, snow.id, *(job.id for job in batch)}
        new_night, new_snow = sorted((j for j in jobs if j.id not in old), key=lambda j: j.seq)
        assert (new_night.prompt, source_of(new_night)) == ("at night", chosen.generation_id)
        assert (new_snow.prompt, source_of(new_snow)) == ("in the snow", new_night.generation_id)
        assert new_night.batch_id is None and new_snow.batch_id is None
