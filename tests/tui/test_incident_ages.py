"""The Incidents tab's AGE keeps time while nothing about the incidents changes.

Found in the #8 acceptance trial: the tab computed ages only when an incident
changed, so a quiet incident declared at 14:53:52 still read `26m` at 15:21:45
(27m53s) and a storm incident `8m` after 10m14s: a responder judging how long
something has been going on read minutes too few.
"""

from __future__ import annotations

from datetime import timedelta

from tests.tui.conftest import Harness

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.clock import format_age, utcnow


async def test_age_moves_on_without_any_change_to_the_incident(console: Harness) -> None:
    declared = utcnow() - timedelta(seconds=8)
    async with console.store() as store:
        incident_id = await Service(store, "bob", clock=lambda: declared).declare_incident(
            [], "Checkout is down", Impact.HIGH
        )
    async with console.start() as ui:
        await ui.press("f2")
        key = str(incident_id)
        await ui.wait_for(lambda: ui.rows("#incidents-table") == [key], what="the incident")

        def age() -> str:
            return ui.cell_texts(key, "#incidents-table")[4]

        first = age()
        # ages step every 10 s: within 15 s the true one has moved past `first`
        await ui.wait_for(
            lambda: age() != first and age() == format_age(utcnow() - declared),
            within=15.0,
            what=f"its age to move on from {first}",
        )


async def test_the_incident_tab_says_how_long_it_has_been_going_on(console: Harness) -> None:
    """Same on the Incident tab: `for 34m` at 15:29:44 for one declared at 14:53:52."""
    declared = utcnow() - timedelta(seconds=8)
    async with console.store() as store:
        incident_id = await Service(store, "bob", clock=lambda: declared).declare_incident(
            [], "Checkout is down", Impact.HIGH
        )
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-overview", "Checkout"), what="shown")

        def going_on() -> str:
            line = ui.static("#incident-overview").splitlines()[1]
            return line.rsplit(" for ", 1)[1]

        first = going_on()
        await ui.wait_for(
            lambda: going_on() != first and going_on() == format_age(utcnow() - declared),
            within=15.0,
            what=f"'for {first}' to move on",
        )
