"""The key footer is rebuilt when the keys it shows change, and only then (issue 9).

Textual's Footer rebuilt its thirty-odd key widgets on every bindings refresh,
four times over between the first frame and the first alerts; the first poll
waited for the event loop meanwhile.
"""

from __future__ import annotations

import pytest
from tests.tui.conftest import Harness
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from warroom.tui.alerts_view import AlertsView
from warroom.tui.footer import KeyFooter


def _keys(footer: Footer) -> list[FooterKey]:
    return list(footer.query(FooterKey))


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
