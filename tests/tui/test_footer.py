"""The key footer is rebuilt when the keys it shows change, and only then (issue 9).

Textual's Footer rebuilt its thirty-odd key widgets on every bindings refresh,
four times over between the first frame and the first alerts; the first poll
waited for the event loop meanwhile.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.tui.conftest import Harness
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from warroom.tui.alerts_view import AlertsView
from warroom.tui.footer import KeyFooter


def _keys(footer: Footer) -> list[FooterKey]:
    """The key widgets shown (a footer hides, rather than removes, keys it no longer shows)."""
    return [k for k in footer.query(FooterKey) if k.display]


def _shown(footer: Footer) -> list[tuple[str, str, str, bool]]:
    return [(k.key, k.key_display, k.description, k.disabled) for k in _keys(footer)]


def _expected(ui_app: Any) -> list[tuple[str, str, str, bool]]:
    """What Textual's own Footer shows for the screen's bindings: the first binding of
    each action shown, then the command palette's key (docked right)."""
    by_action: dict[str, tuple[str, str, str, bool]] = {}
    for _n, b, enabled, _t in ui_app.screen.active_bindings.values():
        if b.show and b.action not in by_action:
            by_action[b.action] = (b.key, ui_app.get_key_display(b), b.description, not enabled)
    palette = ui_app.screen.active_bindings[ui_app.COMMAND_PALETTE_BINDING]
    _n, b, enabled, _t = palette
    return [*by_action.values(), (b.key, ui_app.get_key_display(b), b.description, not enabled)]


async def test_a_bindings_refresh_that_changes_no_key_keeps_the_footer(console: Harness) -> None:
    async with console.start() as ui:
        footer = ui.app.query_one(Footer)
        await ui.wait_for(lambda: _keys(footer), what="the footer's keys")
        before = _keys(footer)
        for _ in range(3):
            ui.app.refresh_bindings()
            await ui.pilot.pause()
        ui.app.screen.focus_next()
        ui.app.screen.focus_previous()
        await ui.pilot.pause()
        after = _keys(footer)
        assert [k.description for k in after] == [k.description for k in before]
        assert all(a is b for a, b in zip(after, before, strict=True)), "footer rebuilt"


async def test_the_footer_shows_the_keys_of_the_tab_shown(console: Harness) -> None:
    async with console.start() as ui:
        footer = ui.app.query_one(Footer)
        await ui.wait_for(lambda: _keys(footer), what="the footer's keys")
        on_alerts = [(k.key, k.description) for k in _keys(footer) if k.description]
        ui.app.show_tab("incidents")

        def shows_the_tabs_keys() -> bool:
            # that screen's bindings now (the palette's key is shown apart)
            expected = [
                (b.key, b.description)
                for _n, b, _e, _t in ui.app.screen.active_bindings.values()
                if b.show and b.description
            ]
            shown = [
                (k.key, k.description)
                for k in _keys(footer)
                if k.description and k.key != ui.app.COMMAND_PALETTE_BINDING
            ]
            return shown == expected and shown != on_alerts

        await ui.wait_for(shows_the_tabs_keys, what="the Incidents tab's keys in the footer")


async def test_the_footer_is_built_once_at_start_up_after_the_first_alerts(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built at start-up, the footer was three builds (keys dimmed, enabled, then
    the table's once it had the focus), each a layout the first alerts waited
    for (issue 9): now one, once they are on screen."""
    builds: list[int] = []  # the alerts on screen at each build
    recompose = KeyFooter.recompose

    async def counted(self: KeyFooter) -> None:
        view = self.app.query_one("#view-alerts", AlertsView)
        builds.append(view.table.row_count)
        await recompose(self)

    monkeypatch.setattr(KeyFooter, "recompose", counted)
    async with console.start(run_engine=True) as ui:
        footer = ui.app.query_one(Footer)
        await ui.wait_for(lambda: _keys(footer), what="the footer's keys")
        await ui.pilot.pause(0.3)
        assert len(builds) == 1, f"footer built {len(builds)} times"
        assert builds[0] > 0, "footer built before the first alerts"
        assert any(k.description == "Ack" and not k.disabled for k in _keys(footer))


async def test_a_focus_move_updates_the_footers_keys_in_place(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A focus move between the tab bar (three keys) and the table (thirteen) showed
    its keys by recomposing the footer: every key widget removed, mounted and styled
    anew, 100-190 ms a move (issue 9). Now the widgets there are take the new keys."""
    await console.seed([console.alert("a1"), console.alert("a2")])
    recomposed: list[int] = []
    recompose = KeyFooter.recompose

    async def counted(self: KeyFooter) -> None:
        recomposed.append(1)
        await recompose(self)

    monkeypatch.setattr(KeyFooter, "recompose", counted)
    async with console.start() as ui:
        footer = ui.app.query_one(KeyFooter)
        await ui.wait_for(lambda: _keys(footer), what="the footer's keys")
        await ui.wait_for(lambda: _shown(footer) == _expected(ui.app), what="the table's keys")
        built = len(recomposed)
        widgets = set(footer.query(FooterKey))
        seen = set()
        for _ in range(4):
            await ui.press("tab")
            await ui.wait_for(
                lambda: _shown(footer) == _expected(ui.app), what="the focused widget's keys"
            )
            await ui.pilot.pause()
            shown = _shown(footer)
            seen.add(len(shown))
            # on screen as well: the bottom line starts with the first keys (the
            # table's thirteen do not all fit in 80 columns) and ends with the palette's
            line = ui.screen().splitlines()[-1]
            first = [w for _k, kd, d, _dis in shown[:2] for w in (kd, d)]
            assert line.split()[:4] == first, line
            assert line.rstrip().endswith(f"{shown[-1][1]} {shown[-1][2]}"), line
        assert len(seen) == 2, f"the focus moves showed one key set only: {seen}"
        assert len(recomposed) == built, "a focus move recomposed the footer"
        assert set(footer.query(FooterKey)) == widgets, "key widgets were mounted anew"
