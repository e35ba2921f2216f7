"""The line under the form: how many problems, what the request costs, and the submit key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

if TYPE_CHECKING:
    from lumatui.api.pricing import Price


def price_text(price: Price | None) -> str:
    """ "$0.0434", "≈ $0.30 (estimate)" or "price unknown"."""
    if price is None or price.usd is None:
        return "price unknown"
    if price.estimate:
        return f"≈ ${price.usd:.2f} (estimate)"
    return f"${price.usd:.4f}"


def count_text(count: int, noun: str) -> str:
    """ "1 problem", "2 problems"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


class SubmitBar(Widget):
    """Draws the problem count, the warning count, the price and whether ctrl+j will send.

    `problem_count` counts the problems shown (of touched fields, or all after ctrl+j);
    `pending_count` the ones not shown yet: a fresh form is "not ready", never red.
    """

    problem_count: reactive[int] = reactive(0)
    pending_count: reactive[int] = reactive(0)
    warning_count: reactive[int] = reactive(0)
    price: reactive[str] = reactive("price unknown")

    def render(self) -> Content:
        """One line: state, price, key."""
        parts: list[str | tuple[str, str]] = []
        if self.problem_count:
            parts.append((f"✗ {count_text(self.problem_count, 'problem')}", "$text-error"))
        elif self.pending_count:
            parts.append(("○ not ready", "$text-muted"))
        else:
            parts.append(("✓ ready", "$text-success"))
        if self.warning_count:
            parts += ["  ", (f"! {count_text(self.warning_count, 'warning')}", "$text-warning")]
        parts += ["  ", (self.price, "bold")]
        if self.problem_count:
            hint = "fix to submit"
        elif self.pending_count:
            hint = "ctrl+j shows why"
        else:
            hint = "ctrl+j submit"
        parts += ["  ", (hint, "$text-muted")]
        return Content.assemble(*parts)

    @property
    def plain(self) -> str:
        """The line as plain text."""
        return self.render().plain
