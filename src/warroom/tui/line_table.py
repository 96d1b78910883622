"""A table drawn with Textual's Line API: only the rows on screen are ever built.

A DataTable keeps a widget-side copy of every row and pays for each one added,
so the Alerts tab used to draw only the 2,000 most urgent alerts of a storm.
This table holds one key per row and asks its owner for the cells of the rows
on screen (the owner pages them in from the store); scrolling to row 50,000 costs
what scrolling to row 10 does.

Repaints are by cell: after new data, only the cells whose text or style
changed are refreshed, so an age ticking from 10s to 20s writes a few bytes to
the terminal, not the whole screen (an idle console over SSH must stay quiet).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.renderables.styled import Styled
from textual.scroll_view import ScrollView
from textual.strip import Strip

# (row key, anything else the owner keeps per row); the key is the row's identity
Row = tuple[str, Any]
Cells = Sequence[Text]


@dataclass(slots=True)
class Column:
    key: str
    label: str
    width: int
    wide: int = 0  # shown only when the table is at least this wide


def signature(cells: Cells) -> tuple[tuple[str, str], ...]:
    """What a cell looks like, to tell whether it must be repainted."""
    return tuple((c.plain, str(c.style)) for c in cells)


class LineTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"line-table--header", "line-table--cursor"}
    # The look of Textual's DataTable (same theme variables), so tabs read alike.
    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .line-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    class Selected(Message):
        """The row under the cursor was clicked again (enter is the owner's binding)."""

        def __init__(self, table: LineTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class WindowMoved(Message):
        """Other rows came on screen: the owner may need to load their cells."""

        def __init__(self, table: LineTable) -> None:
            super().__init__()
            self.table = table

    header_height = 1

    def __init__(self, cells_of: Callable[[str], Cells | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cells_of = cells_of
        self.columns: list[Column] = []
        self.flex_column: str | None = None
        self._flex_minimum = 16
        self.rows: Sequence[Row] = []
        self.cursor_row = 0
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(512)
        # per screen line, what was last painted there: (key, cursor, cell signatures)
        self._drawn: dict[int, tuple[str, bool, tuple[Any, ...]]] = {}
        self._window = (0, 0)
        self.shown: list[Column] = []  # the columns wide enough to show, in order
        self._shown_at: list[int] = []  # their indexes in `columns` (and in cells)
        self._set_virtual_size()

    # -- columns ----------------------------------------------------------------------

    def add_column(self, label: str, key: str, width: int, wide: int = 0) -> None:
        """`wide`: the column appears only at that table width or more, so it never
        takes width from the others. The owner's cells are either one per column
        or one per column shown."""
        self.columns.append(Column(key, label, width, wide))
        self._pick_shown()

    def _pick_shown(self) -> bool:
        """Which columns the width allows; True if that changed."""
        at = [i for i, c in enumerate(self.columns) if c.wide <= self.size.width or not c.wide]
        if at == self._shown_at and len(self.shown) == len(at):
            return False
        self._shown_at = at
        self.shown = [self.columns[i] for i in at]
        return True

    def column_shown(self, key: str) -> bool:
        return any(c.key == key for c in self.shown)

    def _visible(self, cells: Cells) -> Cells:
        if len(cells) != len(self.columns) or len(self._shown_at) == len(self.columns):
            return cells
        return [cells[i] for i in self._shown_at]

    def add_flex_column(self, label: str, key: str, minimum: int = 16) -> None:
        """The last column, sized to the width left over, so nothing scrolls sideways."""
        self.add_column(label, key, minimum)
        self.flex_column = key
        self._flex_minimum = minimum

    @property
    def ordered_columns(self) -> list[Column]:
        """The columns on screen, in order (one too wide for the table is not)."""
        return self.shown

    def on_resize(self) -> None:
        self._fit_flex_column()
        self._set_virtual_size()
        self._moved()

    def _fit_flex_column(self) -> None:
        if self._pick_shown():
            self.repaint_all()
        if self.flex_column is None or not self.size.width:
            return
        others = sum(c.width for c in self.shown if c.key != self.flex_column)
        width = max(self._flex_minimum, self.size.width - others - 2)
        for column in self.columns:
            if column.key == self.flex_column and column.width != width:
                column.width = width
                self.repaint_all()

    # -- rows and cursor --------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_key(self) -> str | None:
        if not self.rows:
            return None
        return self.rows[min(self.cursor_row, len(self.rows) - 1)][0]

    def row_keys(self) -> list[str]:
        return [row[0] for row in self.rows]

    def get_row_index(self, key: str) -> int:
        for index, row in enumerate(self.rows):
            if row[0] == key:
                return index
        raise KeyError(key)

    def get_cell(self, key: str, column: str) -> Text | None:
        """The cell of a loaded row (one on screen or near it), by column key."""
        cells = self.cells_of(key)
        every = cells is not None and len(cells) == len(self.columns)
        columns = self.columns if every else self.shown
        for index, found in enumerate(columns):
            if found.key == column and cells is not None and index < len(cells):
                return cells[index]
        return None

    def set_rows(self, rows: Sequence[Row], cursor: int | None = None) -> None:
        """Show `rows`, in this order; the cursor stays on its row's key, or in place
        when that row has gone, and on screen. `cursor`: where the caller already
        found it (a storm's list is not searched twice)."""
        keep = self.cursor_key
        self.rows = rows
        index = self.cursor_row
        if cursor is not None:
            index = cursor
        elif keep is not None:
            with contextlib.suppress(KeyError):
                index = self.get_row_index(keep)
        self.cursor_row = max(0, min(index, len(rows) - 1))
        self._set_virtual_size()
        self._scroll_to_cursor()
        self.repaint_changed()
        self._moved()

    def _set_virtual_size(self) -> None:
        """Rows (and the header) high; no width, as nothing scrolls sideways (the flex
        column takes what is left). Width-free, the first resize leaves it as it was:
        following the width cost the first screen a layout of its own (issue 9)."""
        self.virtual_size = Size(0, len(self.rows) + self.header_height)

    @property
    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_height)

    def window(self) -> tuple[int, int]:
        """The rows on screen: [first, last)."""
        first = int(self.scroll_y)
        return first, min(len(self.rows), first + self.page_height)

    def move_cursor(self, row: int, scroll: bool = True) -> None:
        if not self.rows:
            return
        row = max(0, min(row, len(self.rows) - 1))
        if row == self.cursor_row:
            return
        before = self.cursor_row
        self.cursor_row = row
        if scroll:
            self._scroll_to_cursor()
        self._refresh_row(before)
        self._refresh_row(row)

    def _scroll_to_cursor(self) -> None:
        first, _ = self.window()
        page = self.page_height
        if self.cursor_row < first:
            top = self.cursor_row
        elif self.cursor_row >= first + page:
            top = self.cursor_row - page + 1
        else:
            top = min(first, max(0, len(self.rows) - page))
        if top != first:
            # forced: rows that just grew past one screen have no scrollbar until the
            # next layout, and Textual ignores an unforced scroll without one
            self.scroll_to(y=top, animate=False, immediate=True, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._drawn.clear()  # the whole region is repainted
            self._moved()

    def _moved(self) -> None:
        window = self.window()
        if window != self._window:
            self._window = window
            self.post_message(self.WindowMoved(self))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self.page_height)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self.page_height)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.header_height:
            return
        row = int(self.scroll_y) + offset.y - self.header_height
        if row >= len(self.rows):
            return
        if row == self.cursor_row:
            self.post_message(self.Selected(self, self.rows[row][0]))
        else:
            self.move_cursor(row)

    # -- painting ---------------------------------------------------------------------

    def repaint_all(self) -> None:
        self._strips.clear()
        self._drawn.clear()
        self.refresh()

    def repaint_changed(self) -> None:
        """Refresh only the cells that look different from what was painted."""
        if not self.is_mounted:
            return
        first, last = self.window()
        for y in range(self.header_height, self.header_height + self.page_height):
            index = first + y - self.header_height
            drawn = self._drawn.get(y)
            if index >= last:
                if drawn is not None:
                    self._refresh_line(y)
                continue
            key = self.rows[index][0]
            cells = self.cells_of(key)
            cells = self._visible(cells) if cells else cells
            now = (key, index == self.cursor_row, signature(cells) if cells else ())
            if drawn is None or drawn[:2] != now[:2] or len(drawn[2]) != len(now[2]):
                self._refresh_line(y)
                continue
            x = 0
            for column, old, new in zip(self.shown, drawn[2], now[2], strict=False):
                if old != new:
                    self.refresh(Region(x, y, column.width, 1))
                x += column.width
            self._drawn[y] = now

    def _refresh_row(self, index: int) -> None:
        first, last = self.window()
        if first <= index < last:
            self._refresh_line(index - first + self.header_height)

    def _refresh_line(self, y: int) -> None:
        self._drawn.pop(y, None)
        self.refresh(Region(0, y, self.size.width, 1))

    def on_focus(self) -> None:
        self._repaint_kept()

    def on_blur(self) -> None:
        self._repaint_kept()

    def _repaint_kept(self) -> None:
        """Every line again, from the strips kept: their keys hold the styles, which
        focus changes (a tint, the cursor's colours), so a Tab back and forth
        renders each line once in each look, not once per move (issue 9)."""
        self._drawn.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y < self.header_height:
            header = self.get_component_rich_style("line-table--header")
            labels = [Text(c.label) for c in self.shown]
            return self._strip(("header", width, base, header), labels, base + header, None)
        index = int(self.scroll_y) + y - self.header_height
        if index >= len(self.rows):
            self._drawn.pop(y, None)
            return Strip.blank(width, base)
        key = self.rows[index][0]
        cells = self.cells_of(key)
        cells = self._visible(cells) if cells else cells
        cursor = index == self.cursor_row
        self._drawn[y] = (key, cursor, signature(cells) if cells else ())
        if not cells:  # not loaded yet: the owner is paging it in
            cells = [Text("…", style="dim")]
        pre, post = base, None
        if cursor:
            style = self.get_component_rich_style("line-table--cursor")
            pre = base + style
            post = Style(color=style.color, bgcolor=style.bgcolor)
        cache_key = (key, width, pre, post, signature(cells))
        return self._strip(cache_key, cells, pre, post)

    def _strip(
        self, cache_key: tuple[Any, ...], cells: Cells, pre: Style, post: Style | None
    ) -> Strip:
        cached = self._strips.get(cache_key)
        if cached is not None:
            return cached
        console = self.app.console
        segments: list[Segment] = []
        for column, cell in zip(self.shown, cells, strict=False):
            options = self.app.console_options.update_dimensions(column.width, 1).update(
                no_wrap=True, overflow="ellipsis"
            )
            lines = console.render_lines(
                Styled(cell, pre_style=pre, post_style=post or Style.null()),
                options,
                style=pre,
                pad=True,
            )
            segments.extend(lines[0])
        strip = Strip(segments).extend_cell_length(self.size.width, pre).crop(0, self.size.width)
        self._strips[cache_key] = strip
        return strip
