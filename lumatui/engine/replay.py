"""Replaying a chain on a changed step: the plan, before anything is sent.

From any job of a chain, a changed request for that job makes a plan: step 0 sends the
changed request; then each job of its subtree of descendants is made again, in an order
where every step comes after the steps it builds on, with the same request except its
references into the subtree, which point at the new branch's outputs (`links`). References
outside the subtree are kept as they are, so the new branch sits beside the old one in the
lineage (same outside parents). A step with several parents in the subtree waits for all.

The plan is data: `plan_replay` reads the history and builds it (nothing is written),
`plan_prices` prices it, `step_request` fills a step's links with its parents' new ids once
they completed. `replays.Replays` (in the engine) saves a confirmed plan and runs it; the
store's `ReplayRecords` keeps it across restarts.

For a view (the workstation's replay dialog, `lumatui replay --dry-run`): `display_body`
shows a step's request with each link as `"$stepN"` (the id the step N will get).
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lumatui.api.enums import GenerationType
from lumatui.api.pricing import price_of
from lumatui.api.refs import ref_sites
from lumatui.api.schema import GenerationRequest
from lumatui.engine.actions import ActionNotPossible, stored_body
from lumatui.engine.jobs import JobState
from lumatui.engine.lineage import Lineage
from lumatui.engine.replay_plan import Link, ReplayPlan, ReplayStep

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lumatui.api.pricing import Price
    from lumatui.api.refs import Loc
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore

MAX_REPLAY_STEPS = 64
"""A replay larger than this is refused: it is almost surely a mistake, and costly."""


def plan_replay(store: JobStore, job: Job, request: GenerationRequest) -> ReplayPlan:
    """The plan replaying `job`'s subtree with `request` in place of `job`'s own request.

    Reads the history only. Descendants that never reached the API (no generation id:
    rejected, cancelled, lost in sending) made nothing to build on and are left out.
    Raises ActionNotPossible (one sentence) when the chain cannot be replayed.
    """
    subtree = [d for d in Lineage(store).descendants(job) if d.generation_id is not None]
    if len(subtree) + 1 > MAX_REPLAY_STEPS:
        raise ActionNotPossible(
            f"the chain below {job.short_id} has {len(subtree) + 1} steps; a replay holds at "
            f"most {MAX_REPLAY_STEPS}"
        )
    ordered = _topological([job, *subtree])
    step_of = {old.generation_id: n for n, old in enumerate(ordered) if old.generation_id}
    steps = [ReplayStep(0, job.id, request.to_json())]
    for n, old in enumerate(ordered[1:], start=1):
        body = stored_body(old)
        try:
            old_request = GenerationRequest.from_stored(body)
        except ValidationError as exc:
            raise ActionNotPossible(
                f"the stored request of {old.short_id} no longer validates, so the chain "
                "cannot be replayed"
            ) from exc
        links = tuple(
            Link(site.loc, step_of[site.ref.generation_id])
            for site in ref_sites(old_request)
            if site.ref.generation_id in step_of and step_of[site.ref.generation_id] < n
        )
        steps.append(ReplayStep(n, old.id, old_request.to_json(), links))
    _check_kinds(steps, ordered)
    return ReplayPlan(str(uuid.uuid4()), job.id, tuple(steps))


def _topological(jobs: list[Job]) -> list[Job]:
    """`jobs` (the first is the origin) ordered so each comes after its parents among them."""
    ids = {j.generation_id for j in jobs if j.generation_id}
    parents = {
        j.id: {
            ref.generation_id
            for ref in (site.ref for site in _sites(j))
            if ref.generation_id in ids and ref.generation_id != j.generation_id
        }
        for j in jobs
    }
    placed: list[Job] = [jobs[0]]
    done = {jobs[0].generation_id}
    left = jobs[1:]
    while left:
        ready = [j for j in left if parents[j.id] <= done]
        if not ready:  # a cycle cannot happen (a parent exists before its child); be safe
            ready = left[:1]
        for j in ready:
            placed.append(j)
            done.add(j.generation_id)
        left = [j for j in left if j not in ready]
    return placed


def _sites(job: Job) -> list[Any]:
    try:
        return list(ref_sites(GenerationRequest.from_stored(stored_body(job))))
    except (ValidationError, ActionNotPossible):
        return []


def _check_kinds(steps: list[ReplayStep], old: list[Job]) -> None:
    """A changed step that now makes a video where an image was built on (or the reverse)
    would make every step built on it fail: said before anything is sent."""
    new_kind = GenerationRequest.from_stored(steps[0].body).effective_type.makes_video
    try:
        old_kind = GenerationType(old[0].type).makes_video
    except ValueError:
        return
    users = [s for s in steps[1:] if any(link.step == 0 for link in s.links)]
    if users and new_kind != old_kind:
        made = "a video" if new_kind else "an image"
        was = "an image" if new_kind else "a video"
        raise ActionNotPossible(
            f"the changed step makes {made}, but {len(users)} step(s) below it build on {was}"
        )


def step_request(step: ReplayStep, new_ids: Mapping[int, str]) -> GenerationRequest:
    """The step's request with each link pointing at its parent step's new generation id."""
    body = copy.deepcopy(step.body)
    for link in step.links:
        _ref_at(body, link.loc)["generation_id"] = new_ids[link.step]
    return GenerationRequest.from_stored(body)


def display_body(step: ReplayStep) -> dict[str, Any]:
    """The step's request for people: each link shows as `"$stepN"` (N counted from 1)."""
    body = copy.deepcopy(step.body)
    for link in step.links:
        _ref_at(body, link.loc)["generation_id"] = f"$step{link.step + 1}"
    return body


def _ref_at(body: dict[str, Any], loc: Loc) -> dict[str, Any]:
    node: Any = body
    for part in loc:
        node = node[part]
    if not isinstance(node, dict):
        raise ActionNotPossible(f"the plan's reference at {'.'.join(map(str, loc))} is damaged")
    return node


def plan_prices(plan: ReplayPlan, prices: Mapping[str, float | None] | None = None) -> list[Price]:
    """Each step's price (from the request as planned: references do not change a price)."""
    return [price_of(step.request, prices) for step in plan.steps]


def total_usd(prices: list[Price]) -> float | None:
    """The plan's total in USD, or None when a step's price is unknown."""
    if any(p.usd is None for p in prices):
        return None
    return round(sum(p.usd or 0.0 for p in prices), 4)


def finished_badly(job: Job) -> bool:
    """True when a step's job ended without an output to build on."""
    return job.state.is_finished and job.state is not JobState.COMPLETED
