"""`R`: replay the selected job's chain with the composer's request in that job's place.

The flow a person follows: `b` loads a job's request into the composer, they change it (a
new prompt, another model or ratio), then `R` on the same job shows the plan (every step's
request and price, and the total) and, once agreed, the engine sends the changed job and then
each step built on it as its parents complete (`engine.replays`). Nothing is sent before the
answer; the plan survives quit and restart like one started from `lumatui replay`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.api.text import clean_text
from lumatui.engine.actions import ActionNotPossible
from lumatui.tui.screens.confirm import YES_NO, ConfirmScreen

if TYPE_CHECKING:
    from textual.app import App

    from lumatui.api.pricing import Price
    from lumatui.config import Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.replay_plan import ReplayPlan
    from lumatui.engine.service import Engine
    from lumatui.tui.widgets.composer import Composer

MAX_LISTED_STEPS = 12


def start_replay(
    app: App[Any], engine: Engine, settings: Settings, composer: Composer, job: Job
) -> None:
    """Plan the replay of `job`'s chain with the composer's request (in a worker), then ask."""
    request = composer.to_request()
    if request is None:
        raise ActionNotPossible(
            "The composer's request is not ready: press b on the job to load its request, "
            "change it, then R to replay its chain with it (ctrl+j says what is wrong)."
        )

    from lumatui.tui.screens.upload_send import pending_uploads, upload_all, with_references

    pending = pending_uploads(composer)  # local files the request sends as files

    async def plan_and_ask() -> None:
        from lumatui.engine.replay import plan_prices, plan_replay

        references = await upload_all(composer, pending)  # not paid; nothing sent if one fails
        if references is None:
            return
        changed = with_references(request, references)
        try:
            plan = await engine.db.read(lambda s: plan_replay(s, job, changed))
        except ActionNotPossible as exc:
            app.notify(str(exc), severity="warning", markup=False)
            return
        prices = plan_prices(plan, settings.prices)

        async def answered(answer: str | None) -> None:
            if answer != "yes":
                app.notify("Replay cancelled: nothing was sent.", markup=False)
                return
            from lumatui.engine.replay import total_usd

            started = await engine.replays.start(plan, total_usd=total_usd(prices))
            app.notify(f"Replay {started.short_id} started: step 1 is being sent.", markup=False)

        question = plan_question(plan, prices, job)
        if unknown := composer.unknown.sent_warning():  # this yes also sends them as is
            question += f"\nThe changed step holds fields {unknown}."
        app.push_screen(ConfirmScreen("Replay", question, YES_NO), callback=answered)

    app.run_worker(plan_and_ask(), group="replay", exit_on_error=False)


def plan_question(plan: ReplayPlan, prices: list[Price], job: Job) -> str:
    """The plan as a person reads it before agreeing: each step, its price, the total."""
    from lumatui.engine.replay import display_body, total_usd

    lines = [f"Replay {job.short_id}'s chain: {len(plan.steps)} new job(s), each paid."]
    for n, (step, price) in enumerate(zip(plan.steps, prices, strict=True)):
        if n == MAX_LISTED_STEPS:
            lines.append(f"… and {len(plan.steps) - n} more")
            break
        body = display_body(step)
        kind = clean_text(f"{body.get('type', 'image')} {body.get('model', '')}".strip(), 40)
        prompt = clean_text(str(body.get("prompt", "")), 48)
        lines.append(f"{n + 1}. {kind} “{prompt}” {price}")
    total = total_usd(prices)
    lines.append("Total: price unknown" if total is None else f"Total: ${total:.4f}")
    lines.append("Each step is sent once the steps it builds on completed. Send?")
    return "\n".join(lines)
