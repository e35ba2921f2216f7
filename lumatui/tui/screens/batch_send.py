"""ctrl+j on a batch (a prompt's `{a|b}` alternatives times the composer's Runs), or on one
dear job or one of unknown price: ask, then send.

The plan comes with the composer's `SubmitRequested`, made from the request checked at that
instant; what is sent is exactly its `requests`, under one batch id. A batch above the
setting `confirm_above_usd`, or whose price is unknown, asks first (a paid job each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.tui.deferred import deferred
from lumatui.tui.screens.confirm import YES_NO, ConfirmScreen

if TYPE_CHECKING:
    from lumatui.api.batches import BatchPlan
    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.jobs import Job
    from lumatui.engine.uploads import LocalMedia
    from lumatui.tui.screens.main import MainScreen


async def send_batch(screen: MainScreen, plan: BatchPlan) -> list[Job]:
    """Record the batch's jobs at once (one batch id), count each price, select the first."""
    jobs = await screen.engine.submit_batch(plan.requests, label=plan.label)
    for job, price in zip(jobs, plan.prices, strict=True):
        screen.session.submitted(job, price)
    if jobs:
        screen.last_submitted = jobs[0].id
        screen.live.jobs_changed(jobs)
        screen.job_list.select_job(jobs[0])
    return jobs


async def upload_then_send_plan(
    screen: MainScreen, plan: BatchPlan, pending: dict[str, LocalMedia] | None
) -> None:
    """Upload the form's local files once (nothing is sent if one fails), then send the plan:
    one job as a job, several as one batch."""
    from dataclasses import replace

    from lumatui.tui.screens.upload_send import upload_all, with_references

    references = await upload_all(screen, pending or {})
    if references is None:
        return
    requests = [with_references(r, references) for r in plan.requests]
    if len(requests) == 1:  # one job: not a batch
        await screen.submit(requests[0], plan.prices[0])
    else:
        await send_batch(screen, replace(plan, requests=tuple(requests)))


def ask_then_send(
    screen: MainScreen,
    request: GenerationRequest,
    plan: BatchPlan,
    pending: dict[str, LocalMedia] | None = None,
) -> None:
    """Send `plan` (from `request`, the form as checked), asking first when it costs more than
    the threshold or its price is unknown; a "no" sends nothing."""

    def start() -> None:
        screen.run_worker(deferred(upload_then_send_plan, screen, plan, pending), group="submit")
        screen.composer.mark_sent(request)
        screen.composer.remember(request.prompt)

    if not plan.needs_confirmation(screen.settings.confirm_above_usd):
        start()
        return

    def answered(answer: str | None) -> None:
        if answer == "yes":
            start()
        else:
            screen.notify("Batch not sent: nothing was charged.", markup=False)

    threshold = f"${screen.settings.confirm_above_usd:.2f}"
    what = plan.summary() if plan.size > 1 else f"this job, {plan.total}"
    question = f"Send {what}? Each job is paid (you are asked above {threshold}, or when "
    question += "the price is unknown)."
    screen.app.push_screen(ConfirmScreen("Send a batch", question, YES_NO), callback=answered)
