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
