"""Keys typed right after a tab switch belong to the tab just shown.

Found in the #8 acceptance trial (tmux, 80x24, real Alertmanager): on the
Incidents tab, `F1` then `/abc` typed quickly acknowledged the incident under
the Incidents cursor (the `/` found no binding there, `a` did) and the filter
never opened; `F1` then `/Sxyz` opened "Summary of #N" and typed into it, and a
following enter overwrote the summary.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from warroom.model import Impact, IncidentStatus, Severity


def burst(app, keys: list[str]) -> None:
    """Every key in the app's queue before any is handled: one raw terminal read."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_f1_then_slash_abc_filters_and_never_acknowledges(console):
    await console.seed([console.alert("disk", "DiskFull", Severity.CRITICAL, minutes_ago=30)])
    incident_id = await console.declare(["disk"], "Disk trouble", Impact.MEDIUM)
    async with console.start() as ui:
        await ui.press("f2")
        await ui.wait_for(lambda: ui.rows("#incidents-table") == [str(incident_id)], what="listed")
        burst(ui.app, ["f1", "slash", "a", "b", "c"])
        field = ui.app.query_one("#alerts-filter", Input)
        await ui.wait_for(lambda: field.value == "abc", what="abc typed into the filter")
        await ui.pilot.pause(0.3)
        await ui.wait_for(lambda: not ui.app.pending_actions, what="no action under way")
        found = await ui.app.store.incident(incident_id)
        assert found.status is IncidentStatus.OPEN and found.acknowledged_by is None
