"""A DataTable that draws a changed body row with less work: the job table's base.

While jobs are polled, rows are drawn again many times a second (a second turning over in
the elapsed time, a new estimate, a new state), and a frame drawing a few of them delays
the key typed with it. DataTable's own line drawing works out, for every line, styles a
body row of this table never uses: the header's component style (for row labels and fixed
columns), the background behind the table (for cell and column cursors), and the table's
own style (the same for every line of one frame). Here a body row skips them: the table's
style is worked out once per frame, and a row with the cursor on it is still drawn with
DataTable's own cell styles and caches, so what is drawn is the same. Anything this table
does not use (fixed rows or columns, row labels, zebra stripes, another cursor type) goes
the DataTable's own way. New rows are not measured cell by cell either: every column has
its own width and every row one line (a table with columns that fit their content is
measured as DataTable does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.widgets import DataTable

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.coordinate import Coordinate
    from textual.geometry import Region
    from textual.strip import Strip
    from textual.widgets.data_table import RowKey

    SegmentLines = list[list[Segment]]


class RowTable(DataTable[Any]):
    """A DataTable whose body rows are drawn without the styles they never use."""

    _frame_style: Style | None = None
    """The table's own style while one frame's lines are drawn (None between frames)."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """New rows change only the table's height here.

        DataTable measures every cell of every new row, for the columns that take their
        content's width and the rows as tall as their cells; this table's columns have
        widths of their own and its rows one line each, so a page of 300 rows was measured
        (cell by cell, at start-up among others) for nothing.
        """
        added = list(new_rows)
        rows = [self.rows.get(key) for key in added]
        if any(column.auto_width for column in self.columns.values()) or any(
            row is not None and (row.auto_height or row.label is not None) for row in rows
        ):
            super()._update_dimensions(added)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the lines in `crop`, working out the table's own style once for them all."""
        self._frame_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    def render_line(self, y: int) -> Strip:
        """One line of the table (the header, then the rows from the scroll offset)."""
        style = self._frame_style
        if style is None or self.fixed_rows:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.header_height if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, style)

    def _plain_rows(self) -> bool:
        """Whether body rows can take the short way (what this table is always set up as)."""
        return not (
            self.cursor_type != "row"
            or self.fixed_columns
            or self.fixed_rows
            or self.zebra_stripes
            or self._should_render_row_labels
        )

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[SegmentLines, SegmentLines]:
        """One line of a row: DataTable's, without the header and background styles."""
        row_index = self._row_locations.get(row_key)
        if row_key is self._header_row_key or row_index is None or not self._plain_rows():
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        show_cursor, show_hover = self.show_cursor, self._show_hover_cursor
        cache_key = (
            *(row_key, line_no, base_style, cursor_location, hover_location, self.cursor_type),
            *(show_cursor, show_hover, self._update_count, self._pseudo_class_state),
        )
        cached: tuple[SegmentLines, SegmentLines] | None = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        cursor = row_index == cursor_location.row
        hover = row_index == hover_location.row
        render_cell = self._render_cell
        columns = self.ordered_columns
        widths = [column.get_render_width(self) for column in columns]
        cells: SegmentLines = [
            render_cell(row_index, index, base_style, width, cursor=cursor, hover=hover)[line_no]
            for index, width in enumerate(widths)
        ]
        remaining = max(0, self.size.width - sum(widths) - self._row_label_column_width)
        extend, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, show_hover, False, False
        )
        extend = base_style + extend
        extend += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        cells.append([Segment(" " * remaining, extend)])
        pair: tuple[SegmentLines, SegmentLines] = ([], cells)
        self._row_render_cache[cache_key] = pair
        return pair
