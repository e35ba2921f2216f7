"""Which columns the job list shows at a width, and how wide each is: k9s-style.

State, Id, the time column and Prompt are always shown; Est., Type, Model, Cost and
Failure join, in that order, while the width allows, and Prompt takes what is left. The
wide view (`w`) lets Prompt shrink further so more columns fit. Every cell starts with one
space (the table's own cell padding is 0), so columns are one space apart and the widths
add up exactly to the pane: there is never a horizontal scrollbar.
"""

from __future__ import annotations

from dataclasses import dataclass

GAP = 1
"""Cells between two columns (a leading space in every cell and header)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its key, header, width (without the gap) and whether it is always shown."""

    key: str
    label: str
    width: int
    always: bool = False
    justify: str = "left"


COLUMN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("state", "State", 13, always=True),  # "◐ processing" and a space
    ColumnSpec("id", "Id", 10, always=True),
    ColumnSpec("elapsed", "Elapsed", 8, always=True, justify="right"),
    ColumnSpec("progress", "Est.", 13),
    ColumnSpec("type", "Type", 13),
    ColumnSpec("model", "Model", 9),
    ColumnSpec("cost", "Cost", 7, justify="right"),
    ColumnSpec("prompt", "Prompt", 0, always=True),
    ColumnSpec("failure", "Failure", 17),
)
"""Every column in screen order (Prompt's width is whatever is left)."""

SPECS = {spec.key: spec for spec in COLUMN_SPECS}
OPTIONAL_ORDER = ("progress", "type", "model", "cost", "failure")
"""The optional columns in the order they appear as the pane grows."""

PROMPT_MIN = 22
"""The narrowest Prompt before an optional column gives way (normal view)."""
PROMPT_MIN_WIDE = 12
"""The same in the wide view (`w`), which trades prompt text for columns."""

HEADER_SORTS = {
    "state": "state",
    "id": "created",
    "type": "type",
    "model": "model",
    "elapsed": "elapsed",
    "prompt": "prompt",
}
"""Which sort each column's header stands for (clicking it sorts by it)."""


@dataclass(frozen=True)
class ColumnLayout:
    """The columns shown, in order, each with its width (gap included)."""

    columns: tuple[tuple[str, int], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys of the columns shown, in order."""
        return tuple(key for key, _ in self.columns)

    def width_of(self, key: str) -> int:
        """The width of a shown column (gap included); 0 when it is hidden."""
        return next((width for shown, width in self.columns if shown == key), 0)


def layout_columns(available: int, *, wide: bool = False) -> ColumnLayout:
    """The columns that fit `available` cells, Prompt filling the rest exactly."""
    prompt_min = PROMPT_MIN_WIDE if wide else PROMPT_MIN
    shown = {spec.key for spec in COLUMN_SPECS if spec.always}
    used = sum(SPECS[key].width + GAP for key in shown if key != "prompt")
    for key in OPTIONAL_ORDER:
        cost = SPECS[key].width + GAP
        if used + cost + prompt_min + GAP > available:
            break  # strictly in order: a column never shows while an earlier one is hidden
        shown.add(key)
        used += cost
    prompt = max(available - used, PROMPT_MIN_WIDE + GAP)
    columns = tuple(
        (spec.key, prompt if spec.key == "prompt" else spec.width + GAP)
        for spec in COLUMN_SPECS
        if spec.key in shown
    )
    return ColumnLayout(columns)
