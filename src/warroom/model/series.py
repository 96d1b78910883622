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
