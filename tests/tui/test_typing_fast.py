"""A fast typist never loses a key, never reorders one, never pays for a garbled prompt.

Every sequence here is typed as one burst (`tests.tui.keyboard.burst`: all keys queued at
once, as tmux send-keys or a fast typist delivers them) right after the key that loads
the composer, and the test asserts the exact body of the job that was sent.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest
from textual.widgets import Select

from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.tui.screens.confirm import ConfirmScreen
from tests.tui.conftest import wait_until
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from textual.pilot import Pilot

    from lumatui.engine.jobs import Job
    from lumatui.tui.app import LumaApp
    from lumatui.tui.screens.main import MainScreen

NEW = "slow dolly in, waves crashing"


class Session:
    """The running workstation, its pilot, and what was sent."""

    def __init__(self, app: LumaApp, pilot: Pilot[None]) -> None:
        self.app = app
        self.pilot = pilot
        self.said: list[str] = []
        """Every notification, kept (a toast expires after seconds: a slow machine's
        assertion would come too late to see it on screen)."""
        notify = app.notify

        def noted(message: str, *args: Any, **kwargs: Any) -> None:
            self.said.append(str(message))
            notify(message, *args, **kwargs)

        app.notify = noted  # type: ignore[method-assign]

    @property
    def screen(self) -> MainScreen:
        return self.app.main_screen

    def sent(self) -> list[dict[str, Any]]:
        """The body of every job stored, oldest first."""
        assert self.app.engine is not None
        jobs = self.app.engine.store.page(self.screen.job_list.job_query, limit=1000)
        return [json.loads(job.request_json) for job in reversed(jobs)]

    async def parent(self, body: dict[str, Any]) -> Job:
        """A completed job made from `body`, selected in the list."""
        engine = self.app.engine
        assert engine is not None
        job = await engine.submit(GenerationRequest.model_validate(body))
        [done] = await engine.wait_for([job.id], timeout=60, downloads=False)
        assert done.state is JobState.COMPLETED
        await wait_until(self.pilot, lambda: self.screen.job_list.select_job(job.id))
        await wait_until(self.pilot, lambda: self.screen.selected_job_id == job.id)
        # The list learns of the completion a moment after the engine (changes are
        # coalesced): a chaining key pressed on a job it still shows running is refused.
        await wait_until(self.pilot, lambda: self._listed_state(job.id) is JobState.COMPLETED)
        return done

    def _listed_state(self, job_id: str) -> JobState | None:
        job = self.screen.selected_job
        return job.state if job is not None and job.id == job_id else None

    async def until_sent(self, count: int) -> list[dict[str, Any]]:
        await wait_until(self.pilot, lambda: len(self.sent()) >= count)
        return self.sent()


@asynccontextmanager
async def running(make_app: Callable[..., LumaApp]) -> AsyncIterator[Session]:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        yield Session(app, pilot)


IMAGE = {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"}
VIDEO = {"prompt": "waves crash on the rocks", "type": "video", "video": {"resolution": "540p"}}


def expected(key: str, parent: Job) -> dict[str, Any]:
    gid = parent.generation_id
    if key == "e":
        return {
            "prompt": NEW,
            "type": "image_edit",
            "model": "uni-1",
            "aspect_ratio": "16:9",
            "source": {"generation_id": gid},
        }
    if key == "a":
        return {
            "prompt": NEW,
            "type": "video",
            "model": "ray-3.2",
            "aspect_ratio": "16:9",
            "video": {
                "duration": "5s",
                "keyframes": [{"generation_id": gid}],
                "keyframe_indexes": [0],
            },
        }
    if key == "x":
        return {
            "prompt": NEW,
            "type": "video",
            "model": "ray-3.2",
            "video": {"resolution": "540p", "start_frame": {"generation_id": gid}},
        }
    return {  # f
        "prompt": NEW,
        "type": "video_reframe",
        "model": "ray-3.2",
        "aspect_ratio": "9:16",
        "source": {"generation_id": gid},
        "video": {"resolution": "540p"},
    }


@pytest.mark.parametrize("key", ["e", "a", "x", "f"])
async def test_a_prompt_typed_right_after_a_chaining_key_is_sent_exactly(
    make_app: Callable[..., LumaApp], key: str
) -> None:
    """F3, the key, ctrl+u, the new prompt and ctrl+j in one burst: one job, that prompt."""
    async with running(make_app) as s:
        parent = await s.parent(VIDEO if key in "xf" else IMAGE)
        await burst(s.pilot, "f3", key, "ctrl+u", *NEW, "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1:] == [expected(key, parent)]
        focused = s.app.focused
        assert focused is not None and focused.id == "prompt-text"


async def test_letters_after_e_never_act_on_the_job_list(
    make_app: Callable[..., LumaApp],
) -> None:
    """'a' animates, 'r' re-runs, 'u' resumes in the list: typed after e they are text."""
    async with running(make_app) as s:
        parent = await s.parent(IMAGE)
        await burst(s.pilot, "f3", "e", *"a rural house", "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1] == {**expected("e", parent), "prompt": "a rural house"}
        assert not isinstance(s.app.screen, ConfirmScreen)  # no re-run question came up
        assert len(s.sent()) == 2


async def test_ctrl_j_right_after_typing_checks_the_form_as_it_is(
    make_app: Callable[..., LumaApp],
) -> None:
    async with running(make_app) as s:
        await burst(s.pilot, *"first try", "ctrl+u", *"retry 1", "ctrl+j")
        assert await s.until_sent(1) == [{"prompt": "retry 1", "type": "image"}]
        await burst(s.pilot, "ctrl+u", "ctrl+j", *"x", "ctrl+j")
        assert await s.until_sent(2) == [
            {"prompt": "retry 1", "type": "image"},
            {"prompt": "x", "type": "image"},
        ]
        [refusal] = [said for said in s.said if said.startswith("Not sent")]  # one ctrl+j refused
        assert refusal.startswith("Not sent: 1 problem. First: prompt: must not be")


async def test_branch_over_an_unsent_draft_asks_and_keys_after_the_answer_land_in_the_form(
    make_app: Callable[..., LumaApp],
) -> None:
    async with running(make_app) as s:
        parent = await s.parent(IMAGE)
        await burst(s.pilot, "f2", *"my unsent idea")
        await burst(s.pilot, "f3", "b", "s", "ctrl+u", *NEW, "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1] == {**json.loads(parent.request_json), "type": "image", "prompt": NEW}
        [stashed] = s.screen.drafts.store.stashed()
        assert stashed.body["prompt"] == "my unsent idea"


async def test_edit_over_an_unsent_draft_cancelled_keeps_the_draft(
    make_app: Callable[..., LumaApp],
) -> None:
    async with running(make_app) as s:
        await s.parent(IMAGE)
        await burst(s.pilot, "f2", *"keep me")
        await burst(s.pilot, "f3", "e", "n", "j", "f2", *" please", "ctrl+j")
        assert (await s.until_sent(2))[1] == {"prompt": "keep me please", "type": "image"}


async def test_rerun_then_typing_in_the_prompt(make_app: Callable[..., LumaApp]) -> None:
    async with running(make_app) as s:
        parent = await s.parent(IMAGE)
        await burst(s.pilot, "f3", "r", "y", "f2", "ctrl+u", *NEW, "ctrl+j")
        sent = await s.until_sent(3)
        assert sent[1] == json.loads(parent.request_json)
        assert sent[2] == {"prompt": NEW, "type": "image"}


async def test_use_selected_then_typing(make_app: Callable[..., LumaApp]) -> None:
    async with running(make_app) as s:
        parent = await s.parent(IMAGE)
        s.screen.composer.query_one("#type", Select).value = "image_edit"
        await burst(s.pilot, "f3", "s", "f2", "ctrl+u", *NEW, "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1] == {
            "prompt": NEW,
            "type": "image_edit",
            "source": {"generation_id": parent.generation_id},
        }


async def test_prompt_history_then_typing(make_app: Callable[..., LumaApp]) -> None:
    async with running(make_app) as s:
        await burst(s.pilot, *"an owl", "ctrl+j")
        await s.until_sent(1)
        await burst(s.pilot, "ctrl+u", *"a cat", "up", *" at night", "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1] == {"prompt": "an owl at night", "type": "image"}


async def test_a_type_switch_by_keyboard_then_its_new_fields(
    make_app: Callable[..., LumaApp],
) -> None:
    """enter, down, enter on Type makes an image edit; tab reaches the prompt and then the
    source field mounted for it, in the same burst."""
    async with running(make_app) as s:
        parent = await s.parent(IMAGE)
        gid = parent.generation_id
        assert gid is not None
        type_select = s.screen.composer.query_one("#type", Select)
        s.screen.set_focus(type_select)
        await burst(s.pilot, "enter", "down", "enter", "tab", "tab", *NEW, "tab", *gid, "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1] == {"prompt": NEW, "type": "image_edit", "source": {"generation_id": gid}}


async def test_f2_lands_in_the_prompt_wherever_focus_was(make_app: Callable[..., LumaApp]) -> None:
    async with running(make_app) as s:
        s.screen.set_focus(s.screen.composer.query_one("#model", Select))
        await burst(s.pilot, "f3", "f2", *"from the list", "ctrl+j")
        assert (await s.until_sent(1)) == [{"prompt": "from the list", "type": "image"}]
        s.screen.set_focus(s.screen.composer.query_one("#model", Select))
        await burst(s.pilot, "f2", "ctrl+u", *"and again", "ctrl+j")
        assert (await s.until_sent(2))[1] == {"prompt": "and again", "type": "image"}


async def test_animate_over_an_unsent_draft_replaced_at_the_question(
    make_app: Callable[..., LumaApp],
) -> None:
    async with running(make_app) as s:
        parent = await s.parent(IMAGE)
        await burst(s.pilot, "f2", *"an idea I drop")
        await burst(s.pilot, "f3", "a", "r", "ctrl+u", *NEW, "ctrl+j")
        sent = await s.until_sent(2)
        assert sent[1] == expected("a", parent)
        assert s.screen.drafts.store.stashed() == []  # replaced, not stashed
