"""Alerts as every source reports them, normalised to one shape.

Sources speak different dialects (Alertmanager, Prometheus, CloudWatch, ad hoc
JSON); the engine and the screen only ever see `Alert`, so a new source is a new
normaliser and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.model.value import Value, field


class AlertState(StrEnum):
    FIRING = "firing"
    PENDING = "pending"
    SUPPRESSED = "suppressed"  # silenced or inhibited at the source
    RESOLVED = "resolved"


class Severity(StrEnum):
    """Ordered from most to least urgent; `rank` gives the sort order."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NONE = "none"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: object) -> Severity:
        """Map the many spellings sources use onto our five levels; unknown is NONE."""
        text = str(value or "").strip().lower()
        return _SEVERITY_ALIASES.get(text, cls.NONE)


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
_SEVERITY_ALIASES = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "p1": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "high": Severity.ERROR,
    "error": Severity.ERROR,
    "err": Severity.ERROR,
    "major": Severity.ERROR,
    "p2": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "medium": Severity.WARNING,
    "minor": Severity.WARNING,
    "p3": Severity.WARNING,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "low": Severity.INFO,
    "notice": Severity.INFO,
    "p4": Severity.INFO,
}


class Alert(Value, frozen=True):
    source: str
    fingerprint: str
    name: str
    state: AlertState
    severity: Severity
    starts_at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    url: str = ""

    @property
    def key(self) -> AlertKey:
        return AlertKey(self.source, self.fingerprint)

    @property
    def summary(self) -> str:
        return annotation_summary(self.annotations)


def annotation_summary(annotations: Mapping[str, str]) -> str:
    """The one line a responder reads first; sources disagree on the field name."""
    for name in ("summary", "message", "description", "title"):
        value = annotations.get(name)
        if value:
            return value
    return ""


class AlertKey(Value, order=True, frozen=True):
    """An alert's identity across polls: the source's name and its fingerprint."""

    source: str
    fingerprint: str

    def __str__(self) -> str:
        return f"{self.source}/{self.fingerprint}"

    @classmethod
    def parse(cls, text: str) -> AlertKey:
        source, _, fingerprint = text.partition("/")
        if not source or not fingerprint:
            raise ValueError(f"not an alert key (source/fingerprint): {text!r}")
        return cls(source, fingerprint)


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """A stable identity from labels, for sources that do not give one.

    Same labels, same fingerprint, in every process and across restarts (so no
    `hash()`, which is salted per process).
    """
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()


# An alert that leaves and comes back this soon (an Alertmanager restart, a
# scrape that failed once) is the same occurrence: its acknowledgement, and the
# silence that came with it, still hold.
RETURN_GRACE = timedelta(minutes=5)


class TrackedAlert(Value, frozen=True):
    """An alert as warroom holds it: what the source said plus what responders did."""

    alert: Alert
    first_seen: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    incident_id: int | None = None

    @property
    def key(self) -> AlertKey:
        return self.alert.key
