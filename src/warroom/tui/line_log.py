"""A growing list of lines drawn with the Line API: only the lines on screen are rendered.

The Timeline tab used to rebuild one Static holding the whole history on every
change and lay all of it out again. Timelines only grow, so this log takes the
new lines alone, wraps them once to the width (again only on a resize) and
draws the screenful asked for.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineLog(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LineLog {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lines: list[Text] = []
        self._wrapped: list[Text] = []
        self._wrap_width = 0
        self._placeholder: Text | None = None
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(256)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def plain_text(self) -> str:
        """Every line, as text (what a reader of the whole log would see)."""
        shown = self._lines or ([self._placeholder] if self._placeholder else [])
        return "".join(f"{line.plain}\n" for line in shown)

    def clear(self, placeholder: Text | None = None) -> None:
        """Empty the log; `placeholder` is drawn until the first line comes."""
        self._lines.clear()
        self._wrapped.clear()
        self._placeholder = placeholder
        self._strips.clear()
        self._resize_virtual()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def write_lines(self, lines: list[Text]) -> None:
        """Append; a log scrolled to its end stays at the end."""
        if not lines:
            return
        at_end = self.scroll_y >= self.max_scroll_y
        self._lines.extend(lines)
        if self._wrap_width:
            self._wrapped.extend(self._wrap(lines, self._wrap_width))
        self._resize_virtual()
        if at_end:
            # forced: the first lines into an empty log come before the layout has
            # given it a scrollbar, and without one Textual ignores a scroll (the
            # Timeline then opened at its oldest event, one time in three)
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.refresh()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._wrap_width:
            at_end = not self._wrap_width or self.scroll_y >= self.max_scroll_y
            self._wrap_width = width
            self._wrapped = self._wrap(self._lines, width)
            self._strips.clear()
            self._resize_virtual()
            if at_end:  # first laid out, or following the end: show the latest
                self.call_after_refresh(self.scroll_end, animate=False)
            self.refresh()

    def _wrap(self, lines: list[Text], width: int) -> list[Text]:
        console = self.app.console
        return [piece for line in lines for piece in line.wrap(console, width)]

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self._wrap_width, len(self._wrapped) or 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = int(self.scroll_y) + y
        base = self.rich_style
        if not self._wrapped:
            if index == 0 and self._placeholder is not None:
                return self._strip(self._placeholder, width)
            return Strip.blank(width, base)
        if index >= len(self._wrapped):
            return Strip.blank(width, base)
        key = (index, width)
        cached = self._strips.get(key)
        if cached is None:
            cached = self._strip(self._wrapped[index], width)
            self._strips[key] = cached
        return cached

    def _strip(self, line: Text, width: int) -> Strip:
        segments = Segment.apply_style(line.render(self.app.console), style=self.rich_style)
        return Strip(list(segments)).extend_cell_length(width, self.rich_style).crop(0, width)
