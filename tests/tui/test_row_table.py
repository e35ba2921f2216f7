"""The job table's base: new rows are not measured cell by cell when nothing needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.render import measure as real_measure

from lumatui.tui.widgets.jobs.row_table import RowTable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from textual.app import ComposeResult

import pytest


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield RowTable(cursor_type="row")


def _with_columns(app: App[None], *, prompt_width: int | None) -> RowTable:
    table = app.query_one(RowTable)
    table.add_column("State", key="state", width=10)
    table.add_column("Prompt", key="prompt", width=prompt_width)
    return table


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    calls: list[Any] = []

    def counting(*args: Any, **kwargs: Any) -> int:
        calls.append(args[1])
        return real_measure(*args, **kwargs)

    monkeypatch.setattr("textual.widgets._data_table.measure", counting)
    yield calls


async def test_rows_under_columns_of_their_own_width_are_not_measured(
    measured: list[Any],
) -> None:
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = _with_columns(app, prompt_width=30)
        await pilot.pause()
        measured.clear()  # the headers are measured as they are added
        for n in range(50):
            table.add_row(f"done {n}", "a fox " * n, key=str(n))
        await pilot.pause()
        assert measured == []
        padding = 2 * table.cell_padding
        assert table.virtual_size.width == 10 + 30 + 2 * padding
        assert table.virtual_size.height == 50 + 1  # the rows and the header


async def test_a_column_that_fits_its_content_is_measured_as_datatable_does(
    measured: list[Any],
) -> None:
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = _with_columns(app, prompt_width=None)  # as wide as its widest cell
        table.add_row("done", "a fox in the snow at dawn", key="1")
        await pilot.pause()
        assert measured
        assert table.columns[table.ordered_columns[1].key].content_width == 25
