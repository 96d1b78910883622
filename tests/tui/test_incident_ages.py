"""The Incidents and Incident tabs keep time while nothing about the incident changes.

Found in the #8 acceptance trial: both tabs computed ages only when an incident
changed, so a quiet incident declared at 14:53:52 still read `26m` at 15:21:45
(27m53s) on the Incidents tab and `for 34m` at 35m52s on the Incident tab, and a
storm's incident `8m` after 10m14s: a responder judging how long something has
been going on read minutes too few.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.tui.conftest import Harness

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.clock import utcnow


class Clock:
    """The console's clock, moved on by the test (no incident changes meanwhile)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


async def declared_a_while_ago(console: Harness, clock: Clock) -> int:
    declared = clock.now - timedelta(minutes=26, seconds=30)
    async with console.store() as store:
        return await Service(store, "bob", clock=lambda: declared).declare_incident(
            [], "Checkout is down", Impact.HIGH
        )


async def test_the_incidents_tab_age_moves_on(console: Harness) -> None:
    clock = Clock()
    incident_id = await declared_a_while_ago(console, clock)
    async with console.start(clock=clock) as ui:
        await ui.press("f2")
        key = str(incident_id)
        await ui.wait_for(lambda: ui.rows("#incidents-table") == [key], what="the incident")
        assert ui.cell_texts(key, "#incidents-table")[4] == "26m"
        clock.now += timedelta(minutes=1, seconds=23)
        await ui.wait_for(
            lambda: ui.cell_texts(key, "#incidents-table")[4] == "27m",
            within=10.0,
            what="its age to read 27m",
        )


async def test_the_incident_tab_says_how_long_it_has_been_going_on(console: Harness) -> None:
    clock = Clock()
    incident_id = await declared_a_while_ago(console, clock)
    async with console.start(clock=clock) as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-overview", "for 26m"), what="shown")
        clock.now += timedelta(minutes=1, seconds=23)
        await ui.wait_for(
            lambda: ui.shows("#incident-overview", "for 27m"), within=10.0, what="for 27m"
        )
