"""How `lumatui replay` shows a plan: every step's request and price, and the total.

The same facts as JSON (`--dry-run --json`: `{"requests": [...], "total_usd": ...}` like
`lumatui submit --dry-run --json`, plus `steps` saying what each step re-makes and waits
for) and as text for people. A link into the new branch shows as `"$stepN"`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.api.text import clean_text
from lumatui.commands.submit_plan import abbreviated
from lumatui.engine.replay import display_body, total_usd

if TYPE_CHECKING:
    from lumatui.api.pricing import Price
    from lumatui.engine.jobs import Job
    from lumatui.engine.replay_plan import ReplayPlan


def plan_json(plan: ReplayPlan, prices: list[Price], old: dict[str, Job]) -> dict[str, Any]:
    """The plan as JSON: the requests in step order, the total, and each step's facts."""
    return {
        "requests": [display_body(step) for step in plan.steps],
        "total_usd": total_usd(prices),
        "steps": [
            {
                "step": step.n + 1,
                "replaces": old_id(old, step.replaces_job_id),
                "waits_for": [p + 1 for p in step.parents],
                "price_usd": price.usd,
                "price": str(price),
            }
            for step, price in zip(plan.steps, prices, strict=True)
        ],
    }


def plan_text(plan: ReplayPlan, prices: list[Price], old: dict[str, Job]) -> str:
    """The plan for people: a header with the total, then per step one line and its body."""
    from lumatui.engine.export import readable_json

    total = total_usd(prices)
    estimate = any(p.estimate for p in prices)
    money = (
        "total price unknown (a step's price is not published)"
        if total is None
        else f"total {'~' if estimate else ''}${total:.4f}"
    )
    origin = old_id(old, plan.origin_job_id)[:8]
    lines = [f"replay of {origin}: {len(plan.steps)} step(s), {money}"]
    for step, price in zip(plan.steps, prices, strict=True):
        body = display_body(step)
        waits = ", ".join(f"step {p + 1}" for p in step.parents) or "nothing"
        prompt = clean_text(str(body.get("prompt", "")), 60)
        request = step.request
        lines.append(
            f"step {step.n + 1}: {request.effective_type} {request.effective_model}"
            + f", re-makes {old_id(old, step.replaces_job_id)[:8]}, waits for {waits}, {price}"
            + (f": {prompt!r}" if prompt else "")
        )
        lines.extend("    " + line for line in readable_json(abbreviated(body)).splitlines())
    return "\n".join(lines)


def old_id(old: dict[str, Job], job_id: str) -> str:
    """The server id of the old job (its local id before it had one, or if it is gone)."""
    job = old.get(job_id)
    return job.generation_id or job.id if job is not None else job_id
