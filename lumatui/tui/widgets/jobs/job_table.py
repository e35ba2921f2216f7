"""The job list's table: a DataTable that can put new rows on top and moves with j/k.

A changed cell costs its own row, not the table: DataTable's `update_cell` bumps the
table-wide update count, which throws away every cached render of every row (and the
row offsets of the whole list), so with a hundred running jobs each poll re-rendered the
whole visible table, and a frame with a key in it waited behind that. `set_cell` writes
the cell, bumps the stamp of that cell and its row (the table's render caches carry these
stamps in their keys, so only that cell and that row's line are drawn again) and repaints
that line, only when it is on screen.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.widgets.data_table import CellKey, ColumnKey, RowKey

from lumatui.tui.typing_frames import repaint_between_keys
from lumatui.tui.widgets.jobs.row_table import RowTable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from typing import Self

RENDER_CACHE_ROWS = 250
"""Rendered rows (and lines) the table keeps: a few screens' worth. DataTable keeps 1,000
rows and 10,000 cells, which only fill up, row by row, as the cursor travels the list."""


class JobTable(RowTable):
    """Rows are jobs keyed by their local id; cells change in place, rows are never rebuilt."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="jobs.down", tooltip="Next job (↓)"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.up", tooltip="Previous job (↑)"),
        Binding("g", "scroll_top", "First", show=False, id="jobs.first", tooltip="The newest job"),
        Binding("G", "scroll_bottom", "Last", show=False, id="jobs.last", tooltip="The last job"),
        Binding(
            "enter",
            "toggle_group",
            "Open/close batch",
            show=False,
            id="jobs.toggle_batch",
            tooltip="Open or close the batch's group row (its jobs listed under it)",
        ),
        Binding(
            "right",
            "open_group",
            "Open batch",
            show=False,
            id="jobs.open_batch",
            tooltip="Open the batch's group row: its jobs listed under it (enter too)",
        ),
        Binding(
            "left",
            "close_group",
            "Close batch",
            show=False,
            id="jobs.close_batch",
            tooltip="Close the batch group (from its row or one of its jobs)",
        ),
    ]

    @dataclass
    class GroupKey(Message):
        """enter, → or ←: open, close or flip the batch group under the cursor."""

        opened: bool | None
        """True: open; False: close; None: flip."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=False,
            cursor_foreground_priority="renderable",
            cell_padding=0,  # every cell starts with its own space (see columns.py)
        )
        self._cell_stamps: dict[tuple[RowKey, ColumnKey], int] = {}
        self._row_stamps: dict[RowKey | None, int] = {}
        cell_stamp, row_stamp = self._cell_stamps.get, self._row_stamps.get
        key_at = self._key_at_line
        self._cell_render_cache = _StampedCache(
            RENDER_CACHE_ROWS * 10, lambda key: cell_stamp((key[0], key[1]), 0)
        )
        self._row_render_cache = _StampedCache(RENDER_CACHE_ROWS, lambda key: row_stamp(key[0], 0))
        self._row_renderable_cache = _StampedCache(
            RENDER_CACHE_ROWS, lambda key: row_stamp(self._row_locations.get_key(key[1]), 0)
        )
        self._line_cache = _StampedCache(
            RENDER_CACHE_ROWS, lambda key: row_stamp(key_at(key[0]), 0)
        )
        self.window_moved: Callable[[], None] | None = None
        """Called when other rows may have come into view (scrolled, resized)."""
        self._news = False

    def action_toggle_group(self) -> None:
        """enter: ask the list to open or close the batch group under the cursor."""
        self.post_message(self.GroupKey(None))

    def action_open_group(self) -> None:
        """→: ask the list to open the batch group under the cursor."""
        self.post_message(self.GroupKey(True))

    def action_close_group(self) -> None:
        """←: ask the list to close the batch group under the cursor."""
        self.post_message(self.GroupKey(False))

    def set_columns(
        self,
        columns: Sequence[tuple[str, Text, int]],
        rows: Iterable[tuple[str, Sequence[Any]]],
    ) -> None:
        """Show other columns (key, header, width): the table is refilled with `rows`.

        Only a resize that changes which columns fit does this; the cursor stays on its
        job and the view where it was.
        """
        kept, scroll = self.key_at_cursor(), self.scroll_y
        self.clear(columns=True)
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if kept is not None and self.has_row(kept):
            self.move_cursor(row=self.get_row_index(kept), scroll=False)
        self.scroll_to(y=scroll, animate=False, immediate=True)

    def clear(self, columns: bool = False) -> Self:
        """Remove every row (and the columns too when asked); the stamps go with them."""
        self._cell_stamps.clear()
        self._row_stamps.clear()
        return super().clear(columns)

    def set_widths(self, widths: Mapping[str, int]) -> None:
        """New widths for the columns shown (the same columns, another pane width)."""
        changed = False
        for key, width in widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = width
                changed = True
        if changed:
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh(layout=True)

    def set_header(self, key: str, label: Text) -> None:
        """Relabel a column's header (the sort arrow moves)."""
        column = self.columns.get(ColumnKey(key))
        if column is not None and column.label != label:
            column.label = label
            self._clear_caches()
            self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Other rows came into view: the list brings their ticking cells up to date."""
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._window_changed()

    def on_resize(self) -> None:
        """More (or other) rows may be in view now."""
        self._window_changed()

    def _window_changed(self) -> None:
        if self.window_moved is not None:
            self.window_moved()

    def keys_on_screen(self) -> list[str]:
        """The keys of the rows in view now, top to bottom (none before the first layout)."""
        top = round(self.scroll_y)
        header = self.header_height if self.show_header else 0
        height = max(self.scrollable_content_region.height - header, 0)
        keys = []
        for index in range(top, min(top + height, self.row_count)):
            key = self._row_locations.get_key(index)
            if key is not None and key.value is not None:
                keys.append(key.value)
        return keys

    def shows(self, column: str) -> bool:
        """True when the column is shown at this width."""
        return ColumnKey(column) in self.columns

    def set_cell(self, row: str, column: str, value: Any) -> None:
        """Update one cell; nothing when its column is hidden at this width, or its row is
        not in the table (a job of a closed batch group).

        Only that row is drawn again, and only if it is on screen (inside `news()`, while
        keys come, with the next key); a cell whose content is unchanged costs nothing.
        Column widths are the layout's (`set_widths`), never measured from the content,
        so a cell never changes the table's size.
        """
        column_key = ColumnKey(column)
        if column_key not in self.columns:
            return
        row_key = RowKey(row)
        cells = self._data.get(row_key)
        if cells is None or row_key not in self._row_locations:
            return
        if _same(cells.get(column_key), value):
            return
        cells[column_key] = value
        cell = (row_key, column_key)
        self._cell_stamps[cell] = self._cell_stamps.get(cell, 0) + 1
        self._row_stamps[row_key] = self._row_stamps.get(row_key, 0) + 1
        if not self._news:
            self._repaint_row(row_key)
        elif self.window_region.overlaps(self._line_region(row_key)):  # else nothing to draw
            repaint_between_keys(self.app, (self, row_key), lambda: self._repaint_row(row_key))

    @contextmanager
    def news(self) -> Iterator[None]:
        """Cells set inside are news (a tick, a poll), not the person's doing: while keys
        come, their rows are drawn with the next key (`lumatui.tui.typing_frames`)."""
        self._news, was = True, self._news
        try:
            yield
        finally:
            self._news = was

    @property
    def is_news(self) -> bool:
        """Whether cells set now are news (inside `news()`)."""
        return self._news

    def _repaint_row(self, row_key: RowKey) -> None:
        """Draw a row again when it is on screen (wherever it is by now)."""
        if self.is_attached:
            self._refresh_region(self._line_region(row_key))

    def _line_region(self, row_key: RowKey) -> Region:
        """Where a row is in the table's virtual space (every job row is one line high)."""
        index = self._row_locations.get(row_key)
        if index is None:
            return Region(0, 0, 0, 0)
        top = self.header_height if self.show_header else 0
        return Region(0, top + index, self.size.width, 1)

    def _key_at_line(self, y: int) -> RowKey | None:
        """The row drawn on virtual line `y` (None for the header)."""
        top = self.header_height if self.show_header else 0
        return self._row_locations.get_key(y - top) if y >= top else None

    def add_rows_on_top(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Add `rows` (key, cells) above every existing row, newest first, in one pass.

        DataTable only appends; re-indexing the row locations once costs O(rows), far
        less than clearing and re-adding the table. The cursor stays on the job it was on.
        """
        if not rows:
            return
        had_rows = self.row_count > 0
        old_order = [RowKey(key) for key in self.keys_in_order()]
        for key, cells in rows:
            self.add_row(*cells, key=key)
        new_keys = [RowKey(key) for key, _ in rows]
        self._row_locations = TwoWayDict(
            {key: index for index, key in enumerate([*new_keys, *old_order])}
        )
        self._update_count += 1
        self.refresh()
        if had_rows:
            self.move_cursor(row=self.cursor_row + len(rows), scroll=False)
        self._window_changed()  # rows moved down: others may be in view now

    def insert_rows_after(self, anchor: str, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Put `rows` (key, cells) right below the row `anchor`, in one pass (a batch group
        opened, or a new job of an open one); the cursor stays on the row it was on."""
        if not rows or RowKey(anchor) not in self.rows:
            return
        kept = self.key_at_cursor()
        order = [RowKey(key) for key in self.keys_in_order()]
        for key, cells in rows:
            self.add_row(*cells, key=key)
        at = order.index(RowKey(anchor)) + 1
        order[at:at] = [RowKey(key) for key, _ in rows]
        self._row_locations = TwoWayDict({key: index for index, key in enumerate(order)})
        self._update_count += 1
        self.refresh()
        if kept is not None:
            self.move_cursor(row=self._row_locations.get(RowKey(kept)), scroll=False)
        self._window_changed()  # rows moved down: others may be in view now

    def remove_rows(self, keys: Iterable[str]) -> None:
        """Remove many rows in one pass (DataTable.remove_row re-indexes on every call)."""
        doomed = {RowKey(key) for key in keys if RowKey(key) in self.rows}
        if not doomed:
            return
        kept_cursor = self.key_at_cursor()
        order = [RowKey(key) for key in self.keys_in_order() if RowKey(key) not in doomed]
        for row_key in doomed:
            for column_key in self._data.get(row_key, {}):
                self._updated_cells.discard(CellKey(row_key, column_key))
                self._cell_stamps.pop((row_key, column_key), None)
            self._row_stamps.pop(row_key, None)
            del self.rows[row_key]
            del self._data[row_key]
        self._row_locations = TwoWayDict({key: index for index, key in enumerate(order)})
        self._require_update_dimensions = True
        self._update_count += 1
        if kept_cursor is not None and RowKey(kept_cursor) in self._row_locations:
            self.move_cursor(row=self._row_locations.get(RowKey(kept_cursor)), scroll=False)
        else:
            self.cursor_coordinate = self.cursor_coordinate  # clamps it to the rows left
        self.hover_coordinate = self.hover_coordinate
        self.check_idle()
        self.refresh(layout=True)
        self._window_changed()  # rows moved up: others may be in view now

    def keys_in_order(self) -> Iterable[str]:
        """The row keys from top to bottom."""
        for index in range(self.row_count):
            key = self._row_locations.get_key(index)
            if key is not None and key.value is not None:
                yield key.value

    def has_row(self, key: str) -> bool:
        """True when a row with this key is in the table."""
        return RowKey(key) in self.rows

    def key_at_cursor(self) -> str | None:
        """The key of the highlighted row, or None when the table is empty."""
        if self.row_count == 0:
            return None
        key = self._row_locations.get_key(self.cursor_row)
        return None if key is None else key.value


def _same(old: Any, new: Any) -> bool:
    """Whether two cells draw alike (rich's `Text ==` ignores the base style and alignment)."""
    if isinstance(old, Text) and isinstance(new, Text):
        return (
            old.plain == new.plain
            and old.spans == new.spans
            and old.style == new.style
            and (old.justify, old.overflow, old.no_wrap) == (new.justify, new.overflow, new.no_wrap)
        )
    return type(old) is type(new) and bool(old == new)


class _StampedCache(LRUCache[Any, Any]):
    """An LRUCache whose keys carry a stamp (of the cell or row they render).

    A new stamp makes the entries made under the old one unreachable (they age out), so
    one cell is invalidated in O(1) without touching the rest of the table's renders.
    """

    def __init__(self, maxsize: int, stamp: Callable[[Any], int]) -> None:
        super().__init__(maxsize)
        self._stamp = stamp

    def set(self, key: Any, value: Any) -> None:
        """Store `value` under `key` and its stamp now."""
        super().set((key, self._stamp(key)), value)

    __setitem__ = set

    def get(self, key: Any, default: Any = None) -> Any:
        """The value stored under `key` and its stamp now, or `default`."""
        return super().get((key, self._stamp(key)), default)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__((key, self._stamp(key)))

    def __contains__(self, key: Any) -> bool:
        return super().__contains__((key, self._stamp(key)))

    def discard(self, key: Any) -> None:
        """Forget the value stored under `key` and its stamp now."""
        super().discard((key, self._stamp(key)))
