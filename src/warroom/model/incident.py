"""Incidents: what responders work on, made of one or more alerts."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from warroom.model.value import Value


class Impact(IntEnum):
    """Incident Manager's impact scale: 1 is the worst, 5 means no impact yet."""

    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4
    NO_IMPACT = 5

    @property
    def meaning(self) -> str:
        return _IMPACT_MEANING[self]

    @property
    def label(self) -> str:
        return f"{self.value} {self.name.replace('_', ' ').lower()}"


_IMPACT_MEANING = {
    Impact.CRITICAL: "Critical: full application failure that affects many customers",
    Impact.HIGH: "High: full application failure that affects a subset of customers",
    Impact.MEDIUM: "Medium: partial application failure that affects many customers",
    Impact.LOW: "Low: partial application failure that affects a subset of customers",
    Impact.NO_IMPACT: "No impact: customers are not currently affected but action is needed",
}


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def is_active(self) -> bool:
        return self is not IncidentStatus.RESOLVED


class Incident(Value, frozen=True):
    id: int
    title: str
    impact: Impact
    status: IncidentStatus
    created_at: datetime
    created_by: str
    summary: str = ""
    dedupe_key: str | None = None
    plan: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    alert_count: int = 0
    parent_id: int | None = None  # merged into this incident
