"""The console's main screen: a focus move repaints what it changes, not the screen.

Textual's `Screen.focused` is a reactive that repaints the whole screen when it
changes: every cell of every widget rendered again and sent (the Alerts table's
rows included) on each Tab, on top of what the move does change (the widget
that gained the focus and the one that lost it refresh themselves, with their
`:focus` styles and those of `:focus-within` ancestors, and the footer's keys).
That full repaint was most of a focus move's cost (issue 9).
"""

from __future__ import annotations

from typing import Self

from textual import events
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class ConsoleScreen(Screen[None]):
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    # -- start-up: one paint, one layout ------------------------------------------------
    #
    # Textual lays the screen out when it is first shown and paints it whole; then
    # it painted it whole again (a `refresh()` of the screen asked while laying out,
    # and another at the end of its resume handler), and each Resize event of the
    # same size (the app's own, the terminal driver's) laid it all out again: work
    # in the second between the first frame and the first alerts (issue 9).

    _resuming = False
    _painted_whole = False
    _first_paint_done = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        self._resuming, self._painted_whole = True, False
        try:
            super()._on_screen_resume(event)
        finally:
            self._resuming = self._painted_whole = False
        # Textual calls each class's handler up the MRO: Screen's has just run
        event.prevent_default()

    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        first = not self._first_paint_done and not scroll
        super()._refresh_layout(size, scroll)
        if first and self._resuming and self.is_current and not self.app._batch_count:
            # the first layout of a screen paints every cell (every widget is new):
            # a repaint of the whole screen asked meanwhile has been done
            self._first_paint_done = self._painted_whole = True
            self._repaint_required = False
            self._repaint_regions.clear()

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._painted_whole and not (regions or layout or recompose):
            return self  # painted whole a moment ago, in this same resume
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _screen_resized(self, size: Size) -> None:
        if self._first_paint_done and self._compositor.size == size:
            return  # laid out at this size already: what changed since asked for its own
        super()._screen_resized(size)
