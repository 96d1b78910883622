"""The console paints what changes, and no more (issue 9).

A focus move (100-190 ms a Tab): Textual's screen repainted every cell when its
focused widget changed, and the Alerts table dropped the lines it had rendered
whenever it gained or lost the focus, so every Tab rendered the whole table again.

Start-up: the screen was painted whole twice more after its first frame, and
laid out again for each Resize event of the size it already had, all in the
second between the first frame and the first alerts.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.tui.conftest import Harness
from textual import events
from textual._compositor import Compositor
from textual.screen import Screen

from warroom.tui.line_table import LineTable


def count_full_paints(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, a 1 in the list for each whole-screen paint."""
    full: list[int] = []
    render_full_update = Compositor.render_full_update

    def counted(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        full.append(1)
        return render_full_update(self, *args, **kwargs)

    monkeypatch.setattr(Compositor, "render_full_update", counted)
    return full


async def test_a_focus_move_does_not_repaint_the_whole_screen(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console.seed([console.alert(f"a{n}") for n in range(10)])
    async with console.start() as ui:
        await ui.wait_for(lambda: len(ui.rows()) == 10, what="the alerts")
        await ui.pilot.pause(0.1)
        full = count_full_paints(monkeypatch)
        focused = []
        for _ in range(4):
            await ui.press("tab")
            await ui.pilot.pause()
            focused.append(type(ui.app.focused).__name__)
        assert "LineTable" in focused and len(set(focused)) == 2, focused
        assert full == [], f"{len(full)} full-screen repaints in 4 focus moves"


async def test_the_table_keeps_its_rendered_lines_across_focus_moves(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console.seed([console.alert(f"a{n}") for n in range(10)])
    rendered: list[Any] = []
    strip = LineTable._strip

    def counted(self: LineTable, cache_key: Any, *args: Any) -> Any:
        if self._strips.get(cache_key) is None:
            rendered.append(cache_key)
        return strip(self, cache_key, *args)

    monkeypatch.setattr(LineTable, "_strip", counted)
    async with console.start() as ui:
        await ui.wait_for(lambda: len(ui.rows()) == 10, what="the alerts")
        for _ in range(2):  # each look rendered once: focused and not
            await ui.press("tab")
            await ui.pilot.pause()
        before = len(rendered)
        for _ in range(4):
            await ui.press("tab")
            await ui.pilot.pause()
        assert len(rendered) == before, f"{len(rendered) - before} lines rendered again"


async def test_start_up_paints_the_screen_whole_once(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console.seed([console.alert(f"a{n}") for n in range(10)])
    full = count_full_paints(monkeypatch)
    async with console.start() as ui:
        await ui.wait_for(lambda: len(ui.rows()) == 10, what="the alerts")
        await ui.pilot.pause(0.2)
        painted = len(full)
        assert "A1" in ui.screen()  # (itself a whole paint, of this test's own)
        assert painted == 1, f"the screen was painted whole {painted} times"


async def test_a_resize_to_the_same_size_lays_nothing_out(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    layouts: list[int] = []
    refresh_layout = Screen._refresh_layout

    def counted(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
        layouts.append(1)
        refresh_layout(self, *args, **kwargs)

    async with console.start(size=(80, 24)) as ui:
        await ui.pilot.pause(0.2)
        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        for _ in range(3):
            ui.app.screen.post_message(events.Resize(ui.app.size, ui.app.size))
        await ui.pilot.pause(0.2)
        assert layouts == [], f"{len(layouts)} layouts for a resize to the same size"
        await ui.pilot.resize_terminal(100, 30)
        await ui.pilot.pause(0.2)
        assert layouts, "a real resize must lay the screen out"
        assert len(ui.screen().splitlines()[0]) == 100
