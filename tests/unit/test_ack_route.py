"""Where an acknowledgement of chosen alerts goes: one rule for every caller."""

from __future__ import annotations

from warroom.engine.alert_acks import route_acknowledgement
from warroom.model import AlertKey


def test_an_acknowledgement_goes_through_the_incident_an_alert_is_in() -> None:
    a, b, c, d = (AlertKey("am", x) for x in "abcd")
    route = route_acknowledgement([(a, None), (b, 7), (c, 7), (d, 3)])
    assert route.alerts == [a] and route.incidents == [3, 7]
