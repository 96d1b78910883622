"""Time series for the Metrics tab and the rules behind alerts, source-agnostic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a graph: its labels and (time, value) points in time order."""

    labels: dict[str, str]
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """An alerting rule as the source defines it, for plan coverage."""

    name: str
    source: str
    group: str = ""
    query: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    state: str = ""  # inactive | pending | firing, where the source says


# Incident events drawn on a chart's time axis, by timeline kind: a letter reads
# without colour, the word goes in the legend.
MARKS: dict[str, tuple[str, str]] = {
    "declared": ("D", "declared"),
    "acknowledged": ("A", "acknowledged"),
    "escalated": ("E", "escalated"),
    "resolved": ("R", "resolved"),
}


@dataclass(frozen=True, slots=True)
class Mark:
    """An incident event on the time axis; `kind` is a key of MARKS."""

    at: datetime
    kind: str


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart of the Metrics tab: what was asked, what came back, and how fresh.

    `stale` is why the series are not current (the source's error) and `stale_at`
    when that was learned: a chart whose source is down keeps its last points and
    says so, rather than going blank and looking calm.
    """

    key: str  # stable across refreshes: the query and the source
    title: str
    query: str
    source: str
    start: datetime
    end: datetime
    series: tuple[Series, ...] = ()
    threshold: float | None = None
    operator: str = ""  # the rule's comparison, e.g. ">"
    marks: tuple[Mark, ...] = ()
    stale: str = ""
    stale_at: datetime | None = None
    fetched_at: datetime | None = None

    @property
    def points(self) -> int:
        return sum(len(s.points) for s in self.series)
