"""`R` in the workstation: the plan is shown first, then the chain is made again on the change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.queries import JobQuery
from lumatui.tui.screens.confirm import ConfirmScreen
from tests.tui.conftest import settle, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp


async def completed(pilot: Pilot[None], app: LumaApp, job: Job) -> Job:
    assert app.engine is not None
    store = app.engine.store
    await wait_until(pilot, lambda: store.get(job.id).state is JobState.COMPLETED, rounds=20_000)
    return store.get(job.id)


async def test_r_replays_a_chain_on_the_changed_request(make_app: Callable[..., LumaApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        engine = app.engine
        assert engine is not None
        image = await engine.submit(GenerationRequest.model_validate({"prompt": "a lighthouse"}))
        image = await completed(pilot, app, image)
        edit_body = {
            "type": "image_edit",
            "prompt": "at night",
            "source": {"generation_id": image.generation_id},
        }
        edit = await engine.submit(GenerationRequest.model_validate(edit_body))
        await completed(pilot, app, edit)
        screen = app.main_screen
        await settle(pilot)
        screen.job_list.select_job(image)
        await settle(pilot)
        assert screen.selected_job_id == image.id

        # Without a ready request in the composer, R says what to do and sends nothing.
        screen.composer.load_body({"prompt": ""})
        await pilot.press("f3", "R")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)

        screen.composer.load_body({"prompt": "a lighthouse at dawn"})
        await pilot.press("f3", "R")
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question  # type: ignore[attr-defined]
        assert "2 new job(s)" in question and "a lighthouse at dawn" in question
        assert "Total: $" in question
        await pilot.press("y")
        await settle(pilot)
        store = engine.store
        await wait_until(
            pilot,
            lambda: sum(j.state is JobState.COMPLETED for j in store.page(JobQuery())) == 4,
            rounds=20_000,
        )
        new = [j for j in store.page(JobQuery()) if j.id not in {image.id, edit.id}]
        new_image = next(j for j in new if j.type == "image")
        new_edit = next(j for j in new if j.type == "image_edit")
        assert new_image.prompt == "a lighthouse at dawn"
        source = json.loads(new_edit.request_json)["source"]
        assert source == {"generation_id": new_image.generation_id}
