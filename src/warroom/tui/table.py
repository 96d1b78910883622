"""A DataTable updated by row key, so live data never makes the cursor jump.

Rebuilding a table on every poll loses the responder's place; instead each sync
removes gone rows, adds new ones, updates only changed cells, and re-sorts only
when the order changed -- then puts the cursor back on the row it was on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from warroom.tui.cells import RowMark


class KeyedTable(DataTable[Any]):
    # Rows, not columns: home and end go to the first and last row (DataTable's
    # own home/end scroll sideways, which a table that never scrolls sideways
    # turns into keys that do nothing).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", False)
        # Padding is built into column widths instead: two cells per column is a
        # sixth of an 80-column terminal.
        kwargs.setdefault("cell_padding", 0)
        super().__init__(**kwargs)
        self._plain: dict[str, tuple[str, ...]] = {}
        self.flex_column: str | None = None

    def add_flex_column(self, label: str, key: str, minimum: int = 16) -> None:
        """The last column, sized to the width left over, so nothing scrolls sideways."""
        self.add_column(label, key=key, width=minimum)
        self.flex_column = key
        self._flex_minimum = minimum

    def on_resize(self) -> None:
        self.fit_flex_column()

    def fit_flex_column(self) -> None:
        if self.flex_column is None or not self.size.width:
            return
        others = sum(c.width for c in self.ordered_columns if c.key.value != self.flex_column)
        width = max(self._flex_minimum, self.size.width - others - 2)
        column = self.columns[ColumnKey(self.flex_column)]
        if column.width != width:
            column.width = width
            self._require_update_dimensions = True
            self.refresh()

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value

    def sync(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Make the table show `rows` (key, cells), in this order, touching only differences.

        The first cell of each row must be a `RowMark`.
        """
        # the flex column follows the table's size on Resize; a table laid out
        # before its first rows may have been sized without one (seen under load,
        # the On-call tab's WHO column left at its minimum): fit it here too
        self.fit_flex_column()
        keep_key = self.cursor_key
        keep_index = self.cursor_row
        wanted = {key for key, _ in rows}
        for key in [k for k in self._plain if k not in wanted]:
            self.remove_row(key)
            del self._plain[key]
        columns = [c.key for c in self.ordered_columns]
        for order, (key, cells) in enumerate(rows):
            mark = cells[0]
            assert isinstance(mark, RowMark)
            mark.order = order
            flat = tuple(c.plain if isinstance(c, Text) else str(c) for c in cells)
            styles = tuple(str(c.style) if isinstance(c, Text) else "" for c in cells)
            signature = flat + styles
            previous = self._plain.get(key)
            if previous is None:
                self.add_row(*cells, key=key)
            elif previous != signature:
                for index, column in enumerate(columns):
                    if (
                        previous[index] != flat[index]
                        or previous[len(flat) + index] != styles[index]
                    ):
                        self.set_cell(key, column, cells[index])
            if previous is not None:
                # the stored mark carries the order the sort below reads
                self._set_mark_order(key, columns[0], order)
            self._plain[key] = signature
        current = [row.key.value for row in self.ordered_rows]
        if current != [key for key, _ in rows]:
            self.sort(columns[0], key=lambda mark: mark.order)
        if keep_key is not None and keep_key in self._plain:
            self.move_cursor(row=self.get_row_index(keep_key), scroll=False)
        elif self.row_count:
            self.move_cursor(row=min(keep_index, self.row_count - 1), scroll=False)

    def set_cell(self, key: str, column: ColumnKey, value: Any) -> None:
        """Like `update_cell`, but repaint only this cell, not the whole table.

        `update_cell` refreshes the widget, which rewrites every visible row to the
        terminal: 4 KB for an age going from 10s to 20s. Over SSH an idle console
        must stay near 100 bytes a second, so we set the value and refresh just the
        cell's region. This touches DataTable internals (`_data`, `_update_count`,
        the render-cache key); Textual is pinned exactly and a test guards it.
        """
        row_key = RowKey(key)
        self._data[row_key][column] = value
        self._update_count += 1
        self.refresh_coordinate(
            Coordinate(self.get_row_index(row_key), self.get_column_index(column))
        )

    def _set_mark_order(self, key: str, column: Any, order: int) -> None:
        mark = self.get_cell(key, column)
        if isinstance(mark, RowMark):
            mark.order = order
