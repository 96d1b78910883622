"""Time series for the Metrics tab and the rules behind alerts, source-agnostic."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

from warroom.model.value import Value, field


class Series(Value, frozen=True):
    """One line of a graph: its labels and (time, value) points in time order."""

    labels: dict[str, str]
    points: tuple[tuple[datetime, float], ...]


class AlertRule(Value, frozen=True):
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
    # a runbook's start and each step's result (done, failed, skipped): what was
    # tried, against the curve it was meant to bend
    "runbook-started": ("B", "runbook"),
    "runbook-step-result": ("S", "step"),
}


class Mark(Value, frozen=True):
    """An incident event on the time axis; `kind` is a key of MARKS."""

    at: datetime
    kind: str


class Chart(Value, frozen=True):
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


# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 11_000
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)


def step_for(start: datetime, end: datetime, dots: int, floor: float = 1.0) -> float:
    """Seconds between samples: one per braille dot across the chart, no finer than
    `floor` (a scrape or evaluation interval) and within Prometheus' point cap."""
    span = max((end - start).total_seconds(), 0.0)
    step = max(span / max(dots, 1), floor, span / MAX_POINTS, 1.0)
    # a round step holds still while the window grows: the same samples come back,
    # and a chart repaints only when a new one does
    return float(next((nice for nice in NICE_STEPS if nice >= step), math.ceil(step)))


def rule_for(name: str, labels: Mapping[str, str], rules: Sequence[AlertRule]) -> AlertRule | None:
    """The rule that made an alert: same name, and the rule's own labels on the alert.

    Prometheus 2.42 ignores `rule_name[]` in /api/v1/rules, so the match is ours.
    """
    for rule in rules:
        if rule.name == name and all(labels.get(k) == v for k, v in rule.labels.items()):
            return rule
    return None


def scoped(series: Sequence[Series], labels: Mapping[str, str]) -> list[Series]:
    """The series of the alert's own target: those agreeing with its labels on every
    label they share. All of them when none does (the rule aggregated the labels away)."""
    mine = [
        s
        for s in series
        if all(labels.get(k, v) == v for k, v in s.labels.items() if k != "__name__")
        and any(k in labels for k in s.labels if k != "__name__")
    ]
    return mine or list(series)


# CloudWatch's ComparisonOperator, as the chart's legend writes it (anomaly bands: none)
CLOUDWATCH_OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


class AlarmMetric(Value, frozen=True):
    """The one metric a CloudWatch metric alarm watches, and what it compares it to."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "Average"
    period: int = 60  # seconds
    threshold: float | None = None
    operator: str = ""
