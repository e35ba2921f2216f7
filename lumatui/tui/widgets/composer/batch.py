"""The composer's batch: the prompt's `{a|b}` alternatives times the Runs field, priced first.

The form's body holds the prompt as written (alternatives and all); `batch_outcome` expands
it with `api.batches.plan_batch` each time the form is drawn, so the submit bar says how many
jobs ctrl+j makes and their total price before anything is sent, and an expansion problem is
a field error under the prompt (or the Runs field) that stops ctrl+j like any other.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual.containers import Horizontal
from textual.widgets import Input, Label

from lumatui.api.batches import plan_batch
from lumatui.api.field_errors import FieldError
from lumatui.api.variations import MAX_BATCH_JOBS, VariationError
from lumatui.tui.widgets.composer.submit_bar import price_text
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from textual.app import ComposeResult

    from lumatui.api.batches import BatchPlan
    from lumatui.api.pricing import Price
    from lumatui.tui.widgets.composer.form_check import Outcome

RUNS_PATH = "runs"
"""Where a problem of the Runs field is filed (it is not part of the request's body)."""


class RunsField(Horizontal):
    """ "Runs": how many times each of the prompt's combinations is sent (1-64, default 1)."""

    DEFAULT_CSS: ClassVar[str] = """
    RunsField { height: auto; }
    RunsField > Label { width: auto; padding: 0 1 0 0; }
    RunsField > Input { width: 8; }
    """

    def __init__(self, on_change: Callable[[], None]) -> None:
        super().__init__(id="runs-field")
        self.on_change = on_change
        self.input = SafeInput(
            value="1", type="integer", placeholder="1", max_length=3, compact=True, id="runs"
        )

    def compose(self) -> ComposeResult:
        """The label and the number box."""
        yield Label(f"Runs (1-{MAX_BATCH_JOBS})")
        yield self.input

    def on_input_changed(self, event: Input.Changed) -> None:
        """A digit typed: the bar's count and total follow (the form's fields are untouched)."""
        event.stop()
        self.on_change()

    @property
    def text(self) -> str:
        """What the box holds now."""
        return self.input.value


def batch_outcome(
    outcome: Outcome, runs_text: str, prices: Mapping[str, float | None]
) -> tuple[Outcome, BatchPlan | None]:
    """`outcome` with the batch's problems added, and the batch it makes (None when it cannot
    be planned). The plan is made from the checked request when there is one (what ctrl+j
    sends), else from the draft (to show the count and price while the form is incomplete)."""
    source = outcome.request if outcome.request is not None else outcome.draft
    problems: list[FieldError] = []
    plan: BatchPlan | None = None
    try:
        runs = int(runs_text.strip() or "1")
    except ValueError:
        runs = 0
        problems.append(
            FieldError(RUNS_PATH, f"runs must be a whole number, 1 to {MAX_BATCH_JOBS}")
        )
    if source is not None and not problems:
        try:
            plan = plan_batch(source, runs, prices=prices)
        except VariationError as exc:
            problems += [problem.as_field_error() for problem in exc.problems]
        except (KeyError, ValueError):
            plan = None  # unpriceable draft: the bar says "price unknown" as before
    if not problems:
        return outcome, plan
    errors = [*outcome.errors, *(p for p in problems if p not in outcome.errors)]
    return replace(outcome, request=None, errors=errors), None


def bar_price(plan: BatchPlan | None, price: Price | None) -> str:
    """The bar's price: one job's, or "4 jobs, $0.1616" for a batch."""
    if plan is None or plan.size <= 1:
        return price_text(price)
    return f"{plan.size} jobs, {price_text(plan.total)}"
