"""A step's output on screen: cleaned before it is drawn, bounded, wrapped, fed in batches."""

from __future__ import annotations

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.widgets import Static

from warroom.tui.run_output import RunOutput

from .conftest import RAW_CONTROLS, render_screen

HOSTILE_OUTPUT = (
    "start \x1b]0;pwned-title\x07 \x1b]52;c;SGVsbG8=\x1b\\ \x9b2J \x9d0;x\x9c"
    " \x1bPq#0\x1b\\ \x1b[31mred\x1b[0m \x1b[?1049h \x1b_apc\x1b\\ nul\x00 bel\x07"
    " del\x7f c1\x85 \u202eevil end\n"
)


class _OutputApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RunOutput(head=3, tail=5, id="out")


def _segments_text(out: RunOutput) -> str:
    texts: list[str] = []
    for y in range(out.size.height):
        strip = out.render_line(y)
        texts.extend(segment.text for segment in strip if isinstance(segment, Segment))
    return "".join(texts)


async def test_hostile_output_reaches_neither_the_strips_nor_the_terminal() -> None:
    app = _OutputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        out = app.query_one("#out", RunOutput)
        out.write(HOSTILE_OUTPUT)
        out.flush()
        await pilot.pause()
        drawn = _segments_text(out)
        assert "start" in drawn and "red" in drawn and "evil end" in drawn
        for control in (*RAW_CONTROLS, "\x9d", "\x90", "\x7f", "\x85", "\x9c"):
            assert control not in drawn, repr(control)
        _, raw = render_screen(app)  # type: ignore[arg-type]
        for smuggled in ("pwned-title", "52;c;", "\x9b", "\x9d", "?1049h", "\x1b_", "\x1bP"):
            assert smuggled not in raw, repr(smuggled)


async def test_output_keeps_its_head_and_tail_and_says_what_it_left_out() -> None:
    app = _OutputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        out = app.query_one("#out", RunOutput)
        out.write("".join(f"line {i}\n" for i in range(1, 101)))
        await pilot.pause(0.3)  # drawn by the batch timer, not by the write
        rows = out.rows()
        assert rows[:3] == ["line 1", "line 2", "line 3"]
        assert "92 line(s) not kept" in rows[3]
        assert rows[4:] == [f"line {i}" for i in range(96, 101)]
        assert out.line_count == 8
        # more, in small batches: the tail moves on, the head stays
        for i in range(101, 111):
            out.write(f"line {i}\n")
            out.flush()
        rows = out.rows()
        assert rows[:3] == ["line 1", "line 2", "line 3"]
        assert "102 line(s) not kept" in rows[3]
        assert rows[4:] == [f"line {i}" for i in range(106, 111)]
        await pilot.pause()
        screen = render_screen(app)[0]  # type: ignore[arg-type]
        assert "102 line(s) not kept" in screen and "line 110" in screen


async def test_writes_are_drawn_in_batches_not_one_repaint_per_chunk() -> None:
    app = _OutputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        out = app.query_one("#out", RunOutput)
        for i in range(50):
            out.write(f"chunk {i}\n")
        assert out.line_count == 0  # queued, not yet drawn
        await pilot.pause(0.3)
        assert out.rows()[-1] == "chunk 49"


async def test_a_long_line_wraps_to_the_width_and_the_unfinished_line_shows() -> None:
    app = _OutputApp()
    async with app.run_test(size=(40, 10)) as pilot:
        out = app.query_one("#out", RunOutput)
        out.write("x" * 100 + "\n" + "50% done\r99% done")
        out.flush()
        await pilot.pause()
        rows = out.rows()
        width = out.scrollable_content_region.width
        assert rows[:-1] == ["x" * width, "x" * width, "x" * (100 - 2 * width)]
        assert rows[-1] == "99% done"
        out.end()
        out.flush()
        assert out.rows()[-1] == "99% done" and out.line_count == 2


async def test_it_follows_the_end_unless_the_reader_scrolled_back() -> None:
    app = _OutputApp()
    async with app.run_test(size=(80, 8)) as pilot:
        out = app.query_one("#out", RunOutput)
        out.head_limit = 100
        out.write("".join(f"l{i}\n" for i in range(50)))
        out.flush()
        await pilot.pause()
        assert out.scroll_y == out.max_scroll_y > 0
        out.scroll_to(y=0, animate=False, immediate=True)
        out.write("later\n")
        out.flush()
        assert out.scroll_y == 0


class _PanelApp(App[None]):
    """The output below other widgets, as on the Runbook tab."""

    def compose(self) -> ComposeResult:
        yield Static("steps", id="above")
        yield RunOutput(head=20, tail=200, id="out")


async def test_streaming_output_scrolls_without_laying_out_the_screen() -> None:
    """Each flush changes how many rows there are; the widget's own size does not
    change, so the screen must not be laid out again (a layout of the whole
    screen ten times a second was what held a streaming command's keys back)."""
    app = _PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        out = app.query_one("#out", RunOutput)
        out.write("".join(f"line {i}\n" for i in range(100)))
        out.flush()
        await pilot.pause()  # the scrollbar appears: that one is laid out
        layouts = out._layout_updates
        for i in range(100, 400):
            out.write(f"line {i}\n" if i % 2 else f"line {i}\npartial")
            if i % 10 == 0:
                out.flush()
                await pilot.pause()
        out.flush()
        await pilot.pause()
        assert out._layout_updates == layouts
        assert out.scroll_y == out.max_scroll_y > 0
        assert out.virtual_size.height == len(out.rows())
        assert out.vertical_scrollbar.window_virtual_size == len(out.rows())
        screen = render_screen(app)[0]  # type: ignore[arg-type]
        assert "line 399" in screen
