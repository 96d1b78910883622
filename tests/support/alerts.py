"""The one way tests make an `Alert`: every suite's helper is a thin wrapper over it.

Alerts in tests differ only in what a suite cares about (a readable fingerprint in
the console tests, an age counted from now in triage, a fixed time in unit tests);
the shape of an alert, and how its fingerprint follows its labels, lives here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from warroom.model import Alert, AlertState, Severity, fingerprint_of

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def alert(
    name: str = "DiskFull",
    *,
    source: str = "prom",
    fingerprint: str | None = None,
    state: AlertState = AlertState.FIRING,
    severity: Severity | None = None,
    starts_at: datetime = T0,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Alert:
    """An alert as a source would give it.

    `labels` gain `alertname`; the fingerprint follows the labels unless given (as
    Alertmanager's does); `severity` defaults to what the `severity` label says.
    """
    all_labels = {"alertname": name, **(labels or {})}
    return Alert(
        source=source,
        fingerprint=fingerprint or fingerprint_of(all_labels),
        name=name,
        state=state,
        severity=Severity.parse(all_labels.get("severity")) if severity is None else severity,
        starts_at=starts_at,
        labels=all_labels,
        annotations={"summary": f"{name} summary"} if annotations is None else dict(annotations),
    )
