"""The domain: values and pure functions, no I/O and nothing of the other layers."""

from warroom.model.alert import (
    Alert,
    AlertKey,
    AlertState,
    Severity,
    TrackedAlert,
    fingerprint_of,
)
from warroom.model.health import LeaseInfo, SourceHealth
from warroom.model.incident import Impact, Incident, IncidentStatus
from warroom.model.timeline import EventKind, TimelineEvent

__all__ = [
    "Alert",
    "AlertKey",
    "AlertState",
    "EventKind",
    "Impact",
    "Incident",
    "IncidentStatus",
    "LeaseInfo",
    "Severity",
    "SourceHealth",
    "TimelineEvent",
    "TrackedAlert",
    "fingerprint_of",
]
