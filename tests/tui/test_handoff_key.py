"""`H` anywhere in the console: the shift hand-off of the last 12 hours, scrollable,
text made safe, closed with escape."""

from __future__ import annotations

from textual.containers import VerticalScroll

from warroom.engine import Service
from warroom.model import Impact
from warroom.tui.handoff_screen import HandoffScreen

from .conftest import static_text


async def test_h_shows_the_shift_handoff_and_escape_closes_it(console):
    async with console.store() as store:
        service = Service(store, "bob")
        burning = await service.declare_incident([], "Checkout 5xx", Impact.HIGH)
        await service.add_note(burning, "#handoff watch the payments queue")
        await service.add_note(burning, "#handoff " + console.HOSTILE)
        done = await service.declare_incident([], "Disk full", Impact.LOW)
        await service.resolve(done)
    async with console.start() as ui:
        await ui.press("H")
        await ui.wait_for(lambda: isinstance(ui.top_screen(), HandoffScreen), what="the dialog")
        body = static_text(ui.app.screen.query_one("#handoff-body"))
        assert "Shift hand-off (12h" in body
        assert "Open incidents (1)" in body and "Checkout 5xx" in body
        assert "Resolved in the shift (1)" in body and "Disk full" in body
        assert "watch the payments queue" in body
        assert "[bold]x[/bold]" in body  # literally, never as markup
        for char in console.RAW_CONTROLS:
            assert char not in body
        raw = ui.raw_output()
        assert "\x1b]52" not in raw and "\x9b" not in raw and "\u202e" not in raw
        await ui.press("escape")
        await ui.wait_for(
            lambda: not isinstance(ui.top_screen(), HandoffScreen), what="the dialog closed"
        )


async def test_a_long_handoff_scrolls(console):
    async with console.store() as store:
        service = Service(store, "bob")
        for n in range(30):
            await service.declare_incident([], f"incident number {n}", Impact.LOW)
    async with console.start() as ui:
        await ui.press("H")
        await ui.wait_for(lambda: isinstance(ui.top_screen(), HandoffScreen), what="the dialog")
        scroll = ui.app.screen.query_one("#handoff-scroll", VerticalScroll)
        await ui.wait_for(lambda: scroll.max_scroll_y > 0, what="more than a screen")
        assert scroll.scroll_y == 0
        await ui.press("pagedown")
        await ui.wait_for(lambda: scroll.scroll_y > 0, what="scrolled down")
