"""Dialogs fit an 80x24 terminal however many alerts or incidents they list.

Found in the #8 acceptance trial: `*` on a 200-alert storm, then `s`. The two
silences' matchers (100 instances each) and the preview filled the screen; the
For and Comment fields and the key hint were drawn below its bottom edge, so a
responder typed a required comment into a field they could not see. And `*` on
every alert, then `i`: the 44 incidents holding them pushed "enter open #1 · m
move them ... · escape cancel" off the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.alerts import alert
from tests.tui.conftest import Harness
from textual.app import App
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from warroom.model import Impact, Severity, TrackedAlert
from warroom.model.silencing import exact_silences
from warroom.tui.dialogs import HeldScreen, SilenceScreen

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def storm(count: int) -> list[TrackedAlert]:
    return [
        TrackedAlert(
            alert(
                "StormRule",
                source="am",
                labels={
                    "cluster": "c9",
                    "instance": f"storm-{i}.example.internal:9100",
                    "job": "node",
                    "severity": ("critical", "warning")[i % 2],
                },
            ),
            first_seen=NOW,
        )
        for i in range(count)
    ]


def screen_of(alerts: list[TrackedAlert], editable: bool = False) -> SilenceScreen:
    chosen = alerts[:1] if editable else alerts
    labels = [t.alert.labels for t in chosen]
    plan = [
        ("am", matchers, [chosen[i] for i in members])
        for matchers, members in exact_silences(labels, [t.alert.labels for t in alerts])
    ]
    return SilenceScreen(plan, {str(t.key) for t in chosen}, alerts)


def inside(widget: Widget, height: int) -> bool:
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= height


async def check_fits(screen: SilenceScreen) -> None:
    app: App[Any] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(screen)
        await pilot.pause()
        comment = screen.query_one("#comment", Input)
        duration = screen.query_one("#duration", Input)
        hint = list(screen.query(Label))[-1]
        assert "escape cancel" in str(hint.render())
        for widget in (duration, comment, hint):
            assert inside(widget, 24), (widget, widget.region)
        assert comment.has_focus
        await pilot.press(*"storm")
        assert comment.value == "storm"
        # what the silences mute ("Mutes N alert(s) now ...", its first line) is in view
        details = screen.query_one("#silence-details").region
        preview = screen.query_one("#silence-preview").region
        assert details.y <= preview.y < details.bottom, (details, preview)
        assert details.bottom <= duration.region.y


async def test_a_storm_of_200_alerts_leaves_the_fields_on_screen() -> None:
    await check_fits(screen_of(storm(200)))


async def test_one_alert_with_editable_matchers_leaves_the_fields_on_screen() -> None:
    await check_fits(screen_of(storm(200), editable=True))


async def test_choosing_alerts_of_44_incidents_leaves_the_choices_on_screen(
    console: Harness,
) -> None:
    names = [f"host-{n}.example.internal:9100" for n in range(44)]
    await console.seed([console.alert(name, "TargetDown", Severity.CRITICAL) for name in names])
    for name in names:
        await console.declare([name], f"node target {name} is down", Impact.LOW)
    async with console.start() as ui:
        await ui.wait_for(lambda: len(ui.rows()) == 44, what="the alerts")
        ui.table.focus()
        await ui.press("asterisk", "i")
        await ui.wait_for(lambda: isinstance(ui.top_screen(), HeldScreen), what="the choice")
        await ui.pilot.pause()
        statics = list(ui.top_screen().query(Static))
        heading = next(s for s in statics if "already in an open incident" in str(s.render()))
        hint = next(s for s in statics if "escape cancel" in str(s.render()))
        for widget in (heading, hint):
            assert inside(widget, 24), (str(widget.render()), widget.region)
