"""Replaying a chain on a changed step, on the simulator: plan, references, restart, cancel."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.schema import GenerationRequest
from lumatui.engine.actions import ActionNotPossible
from lumatui.engine.jobs import JobState
from lumatui.engine.lineage import Lineage
from lumatui.engine.replay import display_body, plan_prices, plan_replay, total_usd
from lumatui.engine.replay_plan import PlanState

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

WAIT_S = 60.0


def request(**body: Any) -> GenerationRequest:
    """A request with a default prompt."""
    return GenerationRequest.model_validate({"prompt": "a red fox in snow", **body})


def body_of(job: Job) -> dict[str, Any]:
    """The request the job was sent with."""
    body: dict[str, Any] = json.loads(job.request_json)
    return body


async def make(engine: Engine, **body: Any) -> Job:
    """Submit a request and wait until it completed."""
    job = await engine.submit(request(**body))
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S, downloads=False)
    assert done.state is JobState.COMPLETED, done.failure_reason
    return done


async def chain(engine: Engine) -> dict[str, Job]:
    """image A -> edit B -> animate C, plus D built on A and B (and an outside image X)."""
    x = await make(engine, prompt="a lighthouse")
    a = await make(engine)
    b = await make(
        engine, type="image_edit", prompt="make it night", source={"generation_id": a.generation_id}
    )
    c = await make(
        engine,
        type="video",
        video={"keyframes": [{"generation_id": b.generation_id}], "keyframe_indexes": [0]},
    )
    d = await make(
        engine,
        prompt="the fox and the lighthouse",
        image_ref=[
            {"generation_id": a.generation_id},
            {"generation_id": b.generation_id},
            {"generation_id": x.generation_id},
        ],
    )
    return {"X": x, "A": a, "B": b, "C": c, "D": d}


def new_jobs(engine: Engine, plan_id: str) -> dict[str, Job]:
    """The replay's new jobs by the old job they re-made."""
    plan = engine.store.plan(plan_id)
    return {s.replaces_job_id: engine.store.get(s.job_id) for s in plan.steps if s.job_id}


async def test_a_four_step_chain_replays_with_references_into_the_new_branch(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    old = await chain(engine)
    posts_before = sim.simulator.store.count()

    changed = request(prompt="a blue fox at dusk", aspect_ratio="16:9")
    plan = plan_replay(engine.store, old["A"], changed)
    assert [s.replaces_job_id for s in plan.steps][:2] == [old["A"].id, old["B"].id]
    assert {s.replaces_job_id for s in plan.steps[2:]} == {old["C"].id, old["D"].id}
    by_old = {s.replaces_job_id: s for s in plan.steps}
    assert by_old[old["D"].id].parents == (0, 1)  # D waits for both new A and new B
    shown = display_body(by_old[old["D"].id])
    assert [r["generation_id"] for r in shown["image_ref"]] == [
        "$step1",
        "$step2",
        old["X"].generation_id,
    ]
    prices = plan_prices(plan)
    assert len(prices) == 4 and total_usd(prices) is not None

    started = await engine.replays.start(plan, total_usd=total_usd(prices))
    assert len(started.job_ids) == 1  # only step 1 can go before anything completed
    done = await engine.replays.wait(plan.id, timeout=WAIT_S)
    assert done.state is PlanState.DONE, done.note
    assert sim.simulator.store.count() == posts_before + 4

    new = new_jobs(engine, plan.id)
    a2, b2, c2, d2 = (new[old[k].id] for k in "ABCD")
    assert all(j.state is JobState.COMPLETED for j in (a2, b2, c2, d2))
    assert body_of(a2)["prompt"] == "a blue fox at dusk"
    assert body_of(b2)["source"]["generation_id"] == a2.generation_id
    assert body_of(b2)["prompt"] == "make it night"
    assert body_of(c2)["video"]["keyframes"][0]["generation_id"] == b2.generation_id
    assert [r["generation_id"] for r in body_of(d2)["image_ref"]] == [
        a2.generation_id,
        b2.generation_id,
        old["X"].generation_id,  # a reference outside the subtree is kept
    ]
    # Each step was sent only after its parents completed.
    assert b2.submitted_at is not None and a2.finished_at is not None
    assert b2.submitted_at >= a2.finished_at
    assert d2.submitted_at is not None and b2.finished_at is not None
    assert d2.submitted_at >= b2.finished_at
    assert engine.store.replay_origin(b2.id) == (plan.id, old["B"].id)
    # The lineage draws the new root beside the old one (its own root first), each new
    # step marked with the step it re-made.
    a_key, a2_key = old["A"].generation_id, a2.generation_id
    assert a_key is not None and a2_key is not None
    for member, keys in ((old["C"], [a_key, a2_key]), (c2, [a2_key, a_key])):
        roots = {r.key: r for r in Lineage(engine.store).family(member)}
        assert list(roots) == keys
        assert roots[a2_key].replay_of == a_key and roots[a_key].replay_of is None
        assert roots[a2_key].children[0].replay_of == old["B"].generation_id


async def test_a_replay_from_the_middle_sits_beside_the_old_branch(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    old = await chain(engine)
    changed = request(
        type="image_edit",
        model="uni-1-max",
        prompt="make it foggy",
        source={"generation_id": old["A"].generation_id},
    )
    plan = plan_replay(engine.store, old["B"], changed)
    assert len(plan.steps) == 3  # B, C, D: A and X are outside
    await engine.replays.start(plan, total_usd=total_usd(plan_prices(plan)))
    done = await engine.replays.wait(plan.id, timeout=WAIT_S)
    assert done.state is PlanState.DONE, done.note
    new = new_jobs(engine, plan.id)
    b2, d2 = new[old["B"].id], new[old["D"].id]
    assert [r["generation_id"] for r in body_of(d2)["image_ref"]] == [
        old["A"].generation_id,
        b2.generation_id,
        old["X"].generation_id,
    ]
    children = {child.id for _, child in Lineage(engine.store).children(old["A"])}
    assert {old["B"].id, b2.id} <= children  # the new branch beside the old one


async def test_quit_mid_plan_and_restart_resumes_without_a_second_post(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    first = engine_factory(sim)
    await first.start()
    old = await chain(first)
    posts_before = sim.simulator.store.count()
    plan = plan_replay(first.store, old["A"], request(prompt="a grey fox"))
    # Quit right after step 2 was recorded, before it was sent: hold it back from the queue
    # (quitting while its POST is in flight would leave it uncertain, and the plan stopped).
    send = first.submitter.enqueue
    held: list[str] = []
    two_recorded = asyncio.Event()

    def enqueue(job_id: str) -> None:
        if held or first.store.replay_origin(job_id) is None or len(sent_steps) == 0:
            sent_steps.append(job_id)
            send(job_id)
            return
        held.append(job_id)
        two_recorded.set()

    sent_steps: list[str] = []
    first.submitter.enqueue = enqueue  # type: ignore[method-assign]
    await first.replays.start(plan)
    async with asyncio.timeout(WAIT_S):
        await two_recorded.wait()
    await first.stop()  # quit: the plan is released, its jobs too
    saved = first.store.plan(plan.id)
    assert saved.state is PlanState.RUNNING and saved.owner is None
    assert len(saved.job_ids) == 2
    assert first.store.get(held[0]).state is JobState.WAITING  # recorded, never sent
    first.close()

    second = engine_factory(sim)
    await second.start()  # the primary resumes the plan
    done = await second.replays.wait(plan.id, timeout=WAIT_S)
    assert done.state is PlanState.DONE, done.note
    assert len(done.job_ids) == 4
    jobs = second.store.get_many(done.job_ids)
    assert all(j.state is JobState.COMPLETED for j in jobs)
    assert sim.simulator.store.count() == posts_before + 4  # one POST per step, no more


async def test_cancel_mid_plan_sends_nothing_more(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    old = await chain(engine)
    posts_before = sim.simulator.store.count()
    plan = plan_replay(engine.store, old["A"], request(prompt="a white fox"))
    started = await engine.replays.start(plan)
    cancelled = await engine.replays.cancel(started.id, timeout=WAIT_S)
    assert cancelled.state is PlanState.CANCELLED
    (step1,) = engine.store.get_many(cancelled.job_ids)
    assert step1.state is not JobState.SUBMITTING  # nothing half-sent
    if step1.state is not JobState.CANCELLED:  # it was sent before the cancel: it runs on
        await engine.wait_for([step1.id], timeout=WAIT_S, downloads=False)
        await engine.replays.advance(plan.id)  # what a completion would trigger
    after = engine.store.plan(plan.id)
    assert after.state is PlanState.CANCELLED
    assert len(after.job_ids) == 1  # no step after the cancel
    sent = 0 if step1.state is JobState.CANCELLED else 1
    assert sim.simulator.store.count() == posts_before + sent


async def test_a_failed_step_stops_the_steps_built_on_it(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    old = await chain(engine)
    # A step whose request the API refuses: an image_ref the simulator does not know.
    bad = request(image_ref=[{"generation_id": "00000000-0000-4000-8000-000000000000"}])
    plan = plan_replay(engine.store, old["A"], bad)
    await engine.replays.start(plan)
    done = await engine.replays.wait(plan.id, timeout=WAIT_S)
    assert done.state is PlanState.STOPPED
    assert len(done.job_ids) == 1
    assert done.note is not None and "step 1" in done.note and "not sent" in done.note


async def test_a_change_of_kind_that_would_break_the_chain_is_refused(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    old = await chain(engine)
    with pytest.raises(ActionNotPossible, match="makes a video"):
        plan_replay(engine.store, old["A"], request(type="video"))


@pytest.mark.parametrize("sending", [False, True])
async def test_a_plan_of_a_crashed_process_is_carried_on_by_the_next_primary(
    sim: RunningSimulator, engine_factory: Callable[..., Engine], sending: bool
) -> None:
    maker = engine_factory(sim)
    await maker.start()
    old = await chain(maker)
    await maker.stop()
    posts_before = sim.simulator.store.count()
    store = maker.store
    # A process (now gone, without a word) saved the plan and recorded step 1; if it was
    # sending it when it died, the POST may have reached the API.
    plan = plan_replay(store, old["A"], request(prompt="a red fox at noon"))
    store.save_plan(plan, owner="crashed-owner")
    step1 = store.record_step(plan.id, 0, plan.steps[0].request, owner="crashed-owner")
    assert step1 is not None
    if sending:
        store.mark_local(step1.id, JobState.SUBMITTING, "sending")
    maker.close()

    primary = engine_factory(sim)
    await primary.start()
    done = await primary.replays.wait(plan.id, timeout=WAIT_S)
    if sending:  # never re-sent: uncertain, and nothing built on it is sent
        assert done.state is PlanState.STOPPED
        assert primary.store.get(step1.id).state is JobState.UNCERTAIN
        assert len(done.job_ids) == 1
        assert sim.simulator.store.count() == posts_before
    else:
        assert done.state is PlanState.DONE, done.note
        assert done.job_ids[0] == step1.id  # the recorded step is sent, not recorded again
        assert sim.simulator.store.count() == posts_before + 4


async def test_a_step_removed_from_the_history_stops_the_plan(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    old = await chain(engine)
    plan = plan_replay(engine.store, old["A"], request(prompt="a brown fox"))
    engine.store.save_plan(plan, owner=engine.owner)
    step1 = engine.store.record_step(plan.id, 0, plan.steps[0].request, owner="someone else")
    assert step1 is None  # only the plan's owner records its steps
    step1 = engine.store.record_step(plan.id, 0, plan.steps[0].request, owner=engine.owner)
    assert step1 is not None
    await engine.cancel(step1.id)
    await engine.remove(step1.id)
    done = await engine.replays.advance(plan.id)
    assert done.state is PlanState.STOPPED
    assert done.note == "step 1 was removed from the history; 3 step(s) built on it not sent"
