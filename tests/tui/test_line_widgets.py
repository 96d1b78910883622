"""The Line API widgets the Timeline and Alerts tabs draw with keep what matters on screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from warroom.tui.line_log import LineLog
from warroom.tui.line_table import LineTable


class _LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LineLog(id="log")


async def test_lines_written_into_an_empty_laid_out_log_leave_it_at_its_end() -> None:
    """An empty log has no scrollbar yet, and Textual ignores an unforced scroll on a
    widget without one: the Timeline opened at its oldest event when its events came
    after its first layout (CI failed on it one run in three)."""
    app = _LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one("#log", LineLog)
        await pilot.pause()
        assert log.size.height and not log.show_vertical_scrollbar
        log.write_lines([Text(f"line {i}") for i in range(500)])
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        log.scroll_to(y=0, animate=False, immediate=True)  # a reader scrolled back
        log.write_lines([Text("later")])
        assert log.scroll_y == 0  # not dragged away from what they were reading


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table = LineTable(lambda key: [Text(key)], id="table")
        table.add_column("key", "key", 10)
        yield table


async def test_a_table_that_grows_from_one_screen_keeps_its_cursor_row_on_screen() -> None:
    """The filter cleared: 1 row becomes 200 and the cursor stays on its key, row
    150, which must be on screen although the one-row table had no scrollbar."""
    app = _TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#table", LineTable)
        table.set_rows([("k150", None)])
        await pilot.pause()
        assert not table.show_vertical_scrollbar
        table.set_rows([(f"k{i:03d}", None) for i in range(200)])
        assert table.cursor_key == "k150"
        first, last = table.window()
        assert first <= 150 < last
