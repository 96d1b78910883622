"""Why an action was not done: the errors every part of the service raises.

They carry what a caller needs to word the refusal its own way (the CLI adds
`warroom reopen N`, the console a key), and their message is fit to show as is.
"""

from __future__ import annotations

from collections.abc import Sequence

from warroom.model import AlertState, TrackedAlert, events, lifecycle
from warroom.model.incident import Incident

# Alerts that would make the next poll declare again: silenced ones still fire behind it.
STILL_FIRING = frozenset({AlertState.FIRING, AlertState.SUPPRESSED})


class ActionError(Exception):
    """An action that cannot be done as asked; the message says why, for the responder."""


class Refused(ActionError):
    """The lifecycle does not allow this move from the incident's state."""

    def __init__(self, refusal: lifecycle.Refused) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def alert_names(alerts: Sequence[TrackedAlert]) -> str:
    return events.names_text(sorted({t.alert.name for t in alerts}))


class StillFiring(ActionError):
    """Resolving would leave firing alerts to declare a new incident at the next poll."""

    def __init__(self, incident_id: int, alerts: Sequence[TrackedAlert]) -> None:
        self.incident_id = incident_id
        self.alerts = tuple(alerts)
        super().__init__(
            f"incident #{incident_id} has {len(alerts)} alert(s) still firing:"
            f" {alert_names(alerts)}"
        )


class AlertsInIncident(ActionError):
    """Declaring would take alerts out of open incidents; moving them needs `move=True`."""

    def __init__(self, holders: Sequence[tuple[Incident, int]]) -> None:
        self.holders = list(holders)
        parts = [
            f"{describe_holder(incident)} holds {count} of them" for incident, count in holders
        ]
        super().__init__("; ".join(parts) + ": open it, or move them explicitly")


def describe_holder(incident: Incident) -> str:
    """`#27 (acknowledged by alice)`: enough to decide between opening and moving."""
    who = f" by {incident.acknowledged_by}" if incident.acknowledged_by else ""
    return f"#{incident.id} {incident.title!r} ({incident.status.value}{who})"
