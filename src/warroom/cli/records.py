"""The JSON a script reads back: incidents, their alerts and timeline events.

Times are UTC ISO 8601, whatever the responder's zone, so scripts on any box
agree; enums are their values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.cli.alerts import alert_json
from warroom.model import AlertKey, Incident, TimelineEvent, TrackedAlert
from warroom.model.events import envelope


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_record(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "summary": incident.summary,
        "impact": int(incident.impact),
        "status": incident.status.value,
        "plan": incident.plan,
        "dedupe_key": incident.dedupe_key,
        "alert_count": incident.alert_count,
        "created_at": iso(incident.created_at),
        "created_by": incident.created_by,
        "acknowledged_at": iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": iso(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "merged_into": incident.parent_id,
    }


def tracked_record(tracked: TrackedAlert) -> dict[str, Any]:
    return {
        **alert_json(tracked.alert),
        "first_seen": iso(tracked.first_seen),
        "acknowledged_at": iso(tracked.acknowledged_at),
        "acknowledged_by": tracked.acknowledged_by,
        "incident_id": tracked.incident_id,
    }


def event_record(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.at),
        "kind": event.kind.value,
        "actor": event.actor,
        "text": event.text,
        "data": envelope(event),  # versioned, as stored: `model.events.read` parses it
    }


def parse_alert_key(text: str) -> AlertKey:
    """`SOURCE:FINGERPRINT` (or `SOURCE/FINGERPRINT`, as the timeline writes keys).

    Source names hold neither character (config checks), so the first one splits.
    """
    cut = min((i for i in (text.find(":"), text.find("/")) if i >= 0), default=-1)
    source, fingerprint = text[:cut], text[cut + 1 :]
    if cut <= 0 or not fingerprint:
        raise ValueError(f"not an alert (SOURCE:FINGERPRINT): {text!r}")
    return AlertKey(source, fingerprint)


def key_text(key: AlertKey) -> str:
    """The form the CLI takes back: `SOURCE:FINGERPRINT`."""
    return f"{key.source}:{key.fingerprint}"
