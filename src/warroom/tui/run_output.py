"""A step's output on screen: bounded, cleaned, drawn with the Line API, fed in batches.

A command may print 100,000 lines or one line of a megabyte. This log keeps
the first `head` lines and the last `tail` lines, and one marker row saying
how many lines between them were not kept; lines are wrapped once to the
width (again only on a resize), and only the rows on screen are drawn.

Output is cleaned on the way in (`model.terminal`): no escape sequence or
control character from a command ever reaches the responder's terminal. What
`write` is given is queued and drawn at most `FLUSH_SECONDS` apart, so a
command printing as fast as it can costs a few repaints a second, not one per
chunk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from warroom.model.terminal import OutputLines

HEAD_LINES = 200
TAIL_LINES = 2000
FLUSH_SECONDS = 0.1


def wrap(line: str, width: int) -> list[str]:
    """`line` in rows of at most `width` cells (wide characters counted as two)."""
    if width <= 0:
        return [line]
    if line.isascii():
        if len(line) <= width:
            return [line]
        return [line[i : i + width] for i in range(0, len(line), width)]
    if cell_len(line) <= width:
        return [line]
    return chop_cells(line, width)


def _after_newlines(text: str, count: int) -> int:
    """Where the line after the first `count` newlines starts (0 for none)."""
    at = 0
    for _ in range(count):
        found = text.find("\n", at)
        if found < 0:
            return len(text)
        at = found + 1
    return at


def _before_newlines(text: str, count: int) -> int:
    """Where the last `count` complete lines (and the unfinished one) start."""
    at = len(text)
    for _ in range(count + 1):
        found = text.rfind("\n", 0, at)
        if found < 0:
            return 0
        at = found
    return at + 1


class RunOutput(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    RunOutput {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    def __init__(self, head: int = HEAD_LINES, tail: int = TAIL_LINES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.head_limit = head
        self._head: list[str] = []
        self._tail: deque[str] = deque(maxlen=tail)
        self.dropped = 0  # lines between head and tail that were not kept
        self.total = 0  # lines flushed: kept, or counted in `dropped`
        self._lines_in = OutputLines()
        self._queued: list[str] = []
        self._flush_armed = False
        self._width = 0
        self._head_rows: list[str] = []
        self._tail_rows: deque[tuple[int, str]] = deque()  # (line number, row)
        self._placeholder = ""
        self._strips: LRUCache[tuple[int, str, int, Style], Strip] = LRUCache(512)

    # -- what others read ----------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Lines kept (head and tail), not counting the marker or the unfinished line."""
        return len(self._head) + len(self._tail)

    def rows(self) -> list[str]:
        """Every row as drawn at the current width (the marker row included)."""
        rows = list(self._head_rows)
        marker = self._marker()
        if marker:
            rows.append(marker)
        rows.extend(row for _, row in self._tail_rows)
        partial = self._lines_in.partial
        if partial:
            rows.extend(wrap(partial, self._width))
        if not rows and self._placeholder:
            rows.append(self._placeholder)
        return rows

    def plain_text(self) -> str:
        return "".join(f"{row}\n" for row in self.rows())

    # -- writing -------------------------------------------------------------------------

    def clear(self, placeholder: str = "") -> None:
        self._head.clear()
        self._tail.clear()
        self._head_rows.clear()
        self._tail_rows.clear()
        self._queued.clear()
        self._lines_in = OutputLines()
        self.dropped = self.total = 0
        self._placeholder = placeholder
        self._strips.clear()
        self._resize_virtual()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def write(self, chunk: str) -> None:
        """Raw output as read (any size, any bytes decoded); drawn at the next flush.

        A chunk holding more lines than the head has room for and the tail keeps
        is not read whole: the lines between are counted (at C speed) and
        passed over, so a command's burst of megabytes costs what its last
        screenful does, and the keys stay live.
        """
        maxlen = self._tail.maxlen or 0
        room = max(0, self.head_limit - len(self._head) - len(self._queued))
        newlines = chunk.count("\n")
        if newlines > room + maxlen + 1:
            head_end = _after_newlines(chunk, room)
            tail_start = _before_newlines(chunk, maxlen)
            queued, self._queued = self._queued, []
            self._ingest([*queued, *self._lines_in.feed(chunk[:head_end])])
            # the unfinished line before the middle ends in it: one of the lines passed over
            self._lines_in = OutputLines(self._lines_in.max_chars)
            passed = chunk.count("\n", head_end, tail_start) + len(self._tail)
            self.dropped += passed
            self.total += passed - len(self._tail)
            self._tail.clear()
            self._tail_rows.clear()
            chunk = chunk[tail_start:]
        self._queued.extend(self._lines_in.feed(chunk))
        self._arm()

    def write_lines(self, lines: Iterable[str]) -> None:
        """Whole lines (no newline in them), cleaned like output."""
        for line in lines:
            self._queued.extend(self._lines_in.feed(line + "\n"))
        self._arm()

    def end(self) -> None:
        """The output is complete: its unfinished last line is a line."""
        self._queued.extend(self._lines_in.close())
        self._arm()

    def _arm(self) -> None:
        if self._flush_armed:
            return
        self._flush_armed = True
        if self.is_mounted:
            self.set_timer(FLUSH_SECONDS, self.flush)
        else:
            self._flush_armed = False

    def flush(self) -> None:
        """Draw what was queued: one repaint for however many lines came."""
        self._flush_armed = False
        lines, self._queued = self._queued, []
        at_end = self.scroll_y >= self.max_scroll_y
        self._ingest(lines)
        self._resize_virtual()
        if at_end:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.refresh()

    def _ingest(self, lines: list[str]) -> None:
        """Lines into the head, then the tail (its oldest making way)."""
        room = self.head_limit - len(self._head)
        if room > 0:
            self._head.extend(lines[:room])
            self.total += len(lines[:room])
            if self._width:
                for line in lines[:room]:
                    self._head_rows.extend(wrap(line, self._width))
            lines = lines[room:]
        maxlen = self._tail.maxlen or 0
        if len(lines) > maxlen:  # more than the tail holds: the first of them never show
            skipped = len(lines) - maxlen
            self.dropped += skipped
            self.total += skipped
            lines = lines[skipped:]
        for line in lines:
            if len(self._tail) == maxlen:  # the oldest kept line goes, and its rows
                oldest = self.total - maxlen
                while self._tail_rows and self._tail_rows[0][0] <= oldest:
                    self._tail_rows.popleft()
                self.dropped += 1
            self._tail.append(line)
            if self._width:
                self._tail_rows.extend((self.total, row) for row in wrap(line, self._width))
            self.total += 1

    def _marker(self) -> str:
        if not self.dropped:
            return ""
        return (
            f"⋯ {self.dropped:,} line(s) not kept here: the first {len(self._head):,}"
            f" and the last {len(self._tail):,} are shown ⋯"
        )

    # -- layout and drawing ----------------------------------------------------------------

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if not width or width == self._width:
            return
        at_end = not self._width or self.scroll_y >= self.max_scroll_y
        self._width = width
        self._head_rows = [row for line in self._head for row in wrap(line, width)]
        first = self.total - len(self._tail)
        self._tail_rows = deque(
            (first + i, row) for i, line in enumerate(self._tail) for row in wrap(line, width)
        )
        self._strips.clear()
        self._resize_virtual()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)
        self.refresh()

    def _row_count(self) -> int:
        partial = self._lines_in.partial
        return (
            len(self._head_rows)
            + (1 if self.dropped else 0)
            + len(self._tail_rows)
            + (len(wrap(partial, self._width)) if partial else 0)
        )

    def _resize_virtual(self) -> None:
        """The rows to scroll through changed: the scrollbars follow, the screen is not
        laid out again. This widget's own size never depends on its rows (it takes
        the height it is given), and a layout of the whole screen at every flush --
        what assigning `virtual_size` does -- cost a streaming command's keys up to
        a quarter of a second each."""
        size = Size(self._width, self._row_count() or 1)
        if size == self.virtual_size:
            return
        if not self._width or not self.is_mounted:
            self.virtual_size = size  # not laid out yet: nothing to save
            return
        self.set_reactive(Widget.virtual_size, size)
        self._scroll_update(size)  # may show a scrollbar: that lays out, once
        self.refresh()

    def _row(self, index: int) -> tuple[str, bool]:
        """(text of row `index`, whether it is the marker)."""
        if index < len(self._head_rows):
            return self._head_rows[index], False
        index -= len(self._head_rows)
        if self.dropped:
            if index == 0:
                return self._marker(), True
            index -= 1
        if index < len(self._tail_rows):
            return self._tail_rows[index][1], False
        index -= len(self._tail_rows)
        partial = self._lines_in.partial
        rows = wrap(partial, self._width) if partial else []
        return (rows[index], False) if index < len(rows) else ("", False)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        index = int(self.scroll_y) + y
        if not self.total and not self._lines_in.partial:
            text = self._placeholder if index == 0 else ""
            return self._make(text, width, base + Style(dim=True))
        text, marker = self._row(index)
        key = (index, text, width, base)
        cached = self._strips.get(key)
        if cached is None:
            style = base + Style(dim=True, italic=True) if marker else base
            cached = self._make(text, width, style)
            self._strips[key] = cached
        return cached

    @staticmethod
    def _make(text: str, width: int, style: Style) -> Strip:
        if not text:
            return Strip.blank(width, style)
        return Strip([Segment(text, style)], cell_len(text)).extend_cell_length(width, style)
