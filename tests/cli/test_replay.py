"""`lumatui replay`: a chain replayed on a changed step from a shell, and `submit --print-id`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.cli.conftest import KEY, SPEED, Ran, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from lumatui.sim import RunningSimulator


def on(fast_sim: RunningSimulator) -> tuple[str, ...]:
    """The options that point a network command at the fast simulator."""
    return ("--base-url", fast_sim.base_url, "--sim-speed", str(SPEED))


def make_chain(on_sim: Callable[..., Ran]) -> list[str]:
    """image -> edit -> animate, each waited for; their server ids (via --print-id)."""
    ids: list[str] = []
    for args in (
        ("--prompt", "a red fox in snow", "--aspect-ratio", "16:9"),
        ("--type", "image_edit", "--prompt", "make it night", "--source", "{0}"),
        ("--type", "video", "--prompt", "the fox runs", "--keyframe", "{1}@0"),
    ):
        filled = [a.format(*ids) for a in args]
        ran = on_sim("submit", "--wait", "--print-id", *filled)
        assert ran.code == 0, ran.err
        (new_id,) = ran.out.split()
        ids.append(new_id)
    return ids


def test_submit_print_id_with_wait_prints_only_the_id(on_sim: Callable[..., Ran]) -> None:
    ran = on_sim("submit", "--wait", "--print-id", "--prompt", "a fox")
    assert ran.code == 0, ran.err
    (job,) = stored_jobs()
    assert ran.out == f"{job.generation_id}\n"
    assert job.state == "completed"


def test_replay_dry_run_json_shows_the_plan_and_sends_nothing(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    image, edit, _video = make_chain(on_sim)
    before = fast_sim.simulator.store.count()
    ran = on_sim("replay", image, "--prompt", "a blue fox", "--dry-run", "--json", *on(fast_sim))
    assert ran.code == 0, ran.err
    plan = json.loads(ran.out)
    first, second, third = plan["requests"]
    assert first["prompt"] == "a blue fox" and first["aspect_ratio"] == "16:9"
    assert second["source"]["generation_id"] == "$step1"
    assert third["video"]["keyframes"][0]["generation_id"] == "$step2"
    assert isinstance(plan["total_usd"], float) and plan["total_usd"] > 0
    assert [s["waits_for"] for s in plan["steps"]] == [[], [1], [2]]
    assert plan["steps"][1]["replaces"] == edit
    assert fast_sim.simulator.store.count() == before
    assert len(stored_jobs()) == 3


def test_replay_without_yes_and_without_a_terminal_sends_nothing(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    image, _edit, _video = make_chain(on_sim)
    before = fast_sim.simulator.store.count()
    ran = on_sim("replay", image, "--model", "uni-1-max", *on(fast_sim), stdin="")
    assert ran.code == 2
    assert "Pass --yes" in ran.err
    assert "step 2: image_edit" in ran.err  # the plan was shown
    assert fast_sim.simulator.store.count() == before


def test_replay_yes_wait_makes_the_new_branch(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    image, edit, video = make_chain(on_sim)
    before = fast_sim.simulator.store.count()
    ran = on_sim(
        "replay", edit, "--prompt", "make it foggy", "--yes", "--wait", "--json", *on(fast_sim)
    )
    assert ran.code == 0, ran.err
    record = json.loads(ran.out)
    assert record["state"] == "done"
    new_edit, new_video = (step["job"] for step in record["steps"])
    assert [step["replaces"] for step in record["steps"]] == [edit, video]
    assert new_edit["prompt"] == "make it foggy" and new_edit["state"] == "completed"
    assert new_edit["parents"] == [image]  # beside the old edit, under the same image
    assert new_video["parents"] == [new_edit["generation_id"]]
    assert new_video["outputs"] and new_video["state"] == "completed"
    assert fast_sim.simulator.store.count() == before + 2
    tree = on_sim("lineage", new_video["id"])
    assert tree.code == 0, tree.err
    assert f"(replay of {edit[:8]})" in tree.out and f"(replay of {video[:8]})" in tree.out


def test_replay_resume_with_nothing_saved_says_so(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    ran = on_sim("replay", "--resume", *on(fast_sim))
    assert ran.code == 0, ran.err
    assert "no saved plan" in ran.err


def test_a_replay_left_running_is_resumed_later_without_a_second_post(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    image, _edit, _video = make_chain(on_sim)
    before = fast_sim.simulator.store.count()
    ran = on_sim("replay", image, "--prompt", "a grey fox", "--yes", *on(fast_sim))
    assert ran.code == 0, ran.err
    plan_id = ran.out.strip()
    assert "goes on without this command" in ran.err  # only step 1 was sent
    resumed = on_sim("replay", "--resume", plan_id[:8], "--wait", "--json", *on(fast_sim))
    assert resumed.code == 0, resumed.err
    record = json.loads(resumed.out)
    assert record["plan"] == plan_id and record["state"] == "done"
    assert [s["job"]["state"] for s in record["steps"]] == ["completed"] * 3
    assert fast_sim.simulator.store.count() == before + 3


def test_cancel_a_saved_replay_sends_nothing_more(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    image, _edit, _video = make_chain(on_sim)
    before = fast_sim.simulator.store.count()
    ran = on_sim("replay", image, "--prompt", "a black fox", "--yes", *on(fast_sim))
    assert ran.code == 0, ran.err
    plan_id = ran.out.strip()
    cancelled = on_sim("replay", "--cancel", plan_id, "--json", *on(fast_sim))
    assert cancelled.code == 1  # the plan did not run to its end
    record = json.loads(cancelled.out)
    assert record["state"] == "cancelled"
    assert [s["job"] is None for s in record["steps"]] == [False, True, True]
    nothing = on_sim("replay", "--resume", *on(fast_sim))
    assert "no saved plan" in nothing.err
    listed = on_sim("replay", "--list")
    assert listed.code == 0
    assert f"{plan_id[:8]}  cancelled  1/3 step(s) sent  replay of {image[:8]}" in listed.out
    assert fast_sim.simulator.store.count() == before + 1


def test_a_step_of_unknown_price_makes_the_total_unknown(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    image, _edit, _video = make_chain(on_sim)
    ran = on_sim("replay", image, "--web-search", "--dry-run", "--json", *on(fast_sim))
    assert ran.code == 0, ran.err
    plan = json.loads(ran.out)
    assert plan["total_usd"] is None
    assert plan["steps"][0]["price_usd"] is None and plan["steps"][1]["price_usd"] > 0
    text = on_sim("replay", image, "--web-search", *on(fast_sim), stdin="")
    assert text.code == 2 and "for an unknown price" in text.err
