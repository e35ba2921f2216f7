"""A batch: one request's prompt alternatives times N runs, each job priced, and the total.

`plan_batch(request, runs, prices=...)` is what the composer and `lumatui submit` both call
before sending anything: the requests in the order they will be sent, each one's `Price`,
and the total (`batch_total`). The total is unknown when any member's price is unknown,
and such a batch always asks before it is sent (`BatchPlan.needs_confirmation`).

The workstation's path, the same as `lumatui submit`'s:

    plan = plan_batch(composer.to_request(), runs, prices=settings.prices)
        # VariationError: each problem's `field` ("prompt" or "runs"), `line`, `column`
        # and `message` go under that field (`problem.as_field_error()`)
    show plan.summary() / plan.total; ask when plan.needs_confirmation(
        settings.confirm_above_usd)
    jobs = await engine.submit_batch(plan.requests, label=plan.label)  # size > 1
    job = await engine.submit(plan.requests[0])                        # a single job

Jobs of a batch share `Job.batch_id` and `Job.batch_label` (`JobStore.batch(id)` lists
them); `engine.set_star(job_id, starred)` publishes `JobChanged`, and `JobQuery(starred=...)`
(`star:yes` in the filter line) keeps starred jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lumatui.api.pricing import Price, price_of
from lumatui.api.variations import MAX_BATCH_JOBS, batch_prompts

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from lumatui.api.schema import GenerationRequest

DEFAULT_CONFIRM_ABOVE_USD = 1.0
"""A batch dearer than this asks before it is sent (the setting `confirm_above_usd`)."""


@dataclass(frozen=True)
class BatchPlan:
    """The jobs a request makes, in sending order, with their prices and the total."""

    label: str
    """The prompt as written (alternatives and all): the batch's name in the history."""
    runs: int
    combinations: int
    requests: tuple[GenerationRequest, ...]
    prices: tuple[Price, ...]
    total: Price

    @property
    def size(self) -> int:
        """How many jobs (runs x combinations)."""
        return len(self.requests)

    def needs_confirmation(self, threshold_usd: float = DEFAULT_CONFIRM_ABOVE_USD) -> bool:
        """True when a person must agree first: the total is unknown or above `threshold_usd`."""
        return self.total.usd is None or self.total.usd > threshold_usd

    def summary(self) -> str:
        """One line for a person: `4 jobs (2 prompts x 2 runs), ~$0.1616`."""
        prompts = f"{self.combinations} prompt{'s' * (self.combinations != 1)}"
        runs = f"{self.runs} run{'s' * (self.runs != 1)}"
        jobs = f"{self.size} job{'s' * (self.size != 1)}"
        if self.total.usd is None:
            cost = f"price unknown ({self.total.basis})"
        else:
            cost = f"{'~' if self.total.estimate else ''}${self.total.usd:.4f}"
        return f"{jobs} ({prompts} x {runs}), {cost}"

    def to_json(self) -> dict[str, Any]:
        """`{"requests": [...], "total_usd": ...}` plus each job's price (`--dry-run --json`)."""
        return {
            "requests": [r.to_json() for r in self.requests],
            "total_usd": self.total.usd,
            "total_estimate": self.total.estimate,
            "prices": [
                {"usd": p.usd, "estimate": p.estimate, "basis": p.basis} for p in self.prices
            ],
            "label": self.label,
            "runs": self.runs,
            "combinations": self.combinations,
        }


def plan_batch(
    request: GenerationRequest,
    runs: int = 1,
    *,
    prices: Mapping[str, float | None] | None = None,
    expand: bool = True,
    limit: int = MAX_BATCH_JOBS,
) -> BatchPlan:
    """The batch `request` makes: its prompt expanded (unless `expand` is False), `runs` each.

    Raises `VariationError` (structured, per field) for an unbalanced brace, an empty
    alternative or too many jobs.
    """
    from lumatui.api.schema import GenerationRequest
    from lumatui.api.variations import VariationError, VariationProblem

    if expand:
        prompts = batch_prompts(request.prompt, runs, limit=limit)
    elif not 1 <= runs <= limit:
        raise VariationError(
            [VariationProblem(f"runs must be between 1 and {limit}", field="runs")]
        )
    else:
        prompts = [request.prompt] * runs
    body = request.to_json()
    made: dict[str, GenerationRequest] = {}
    requests: list[GenerationRequest] = []
    for prompt in prompts:
        if prompt not in made:
            made[prompt] = (
                request
                if prompt == request.prompt
                else GenerationRequest.from_stored({**body, "prompt": prompt})
            )
        requests.append(made[prompt])
    each = tuple(price_of(r, prices) for r in requests)
    return BatchPlan(
        label=request.prompt,
        runs=runs,
        combinations=len(prompts) // runs,
        requests=tuple(requests),
        prices=each,
        total=batch_total(each),
    )


def batch_total(prices: Sequence[Price]) -> Price:
    """The sum of the prices; unknown when any is unknown, an estimate when any is."""
    if not prices:
        return Price(0.0, False, "no jobs")
    estimate = any(p.estimate for p in prices)
    unknown = [p for p in prices if p.usd is None]
    bases = list(dict.fromkeys(p.basis for p in prices))
    basis = f"{len(prices)} job{'s' * (len(prices) != 1)}: " + "; ".join(bases)
    if unknown:
        return Price(None, estimate, f"{basis}; {len(unknown)} with an unknown price")
    return Price(round(sum(p.usd or 0.0 for p in prices), 4), estimate, basis)
