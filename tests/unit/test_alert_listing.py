"""The Alerts tab's list, filtered and ordered by SQLite, is exactly what the model's
`AlertFilter` picks and the tab's order, on hostile and unusual alerts too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.model import Alert, AlertKey, AlertState, Severity, TrackedAlert
from warroom.model.filter import AlertFilter
from warroom.store import Store, open_store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def alert(
    fp: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    severity: Severity = Severity.WARNING,
    minutes: int = 1,
    state: AlertState = AlertState.FIRING,
    source: str = "am",
    name: str = "Disk",
) -> Alert:
    return Alert(
        source=source,
        fingerprint=fp,
        name=name,
        state=state,
        severity=severity,
        starts_at=NOW - timedelta(minutes=minutes),
        labels=labels,
        annotations=annotations or {},
    )


ALERTS = [
    alert("plain", {"alertname": "DiskFull", "cluster": "c1", "instance": "db-3"}),
    alert("other", {"alertname": "CpuHigh", "cluster": "c2"}, severity=Severity.CRITICAL),
    alert("empty", {}, {"message": "nothing here"}, name="NoLabels", minutes=5),
    alert("quote", {"alertname": 'say "hi"', "path": "C:\\tmp"}, {"summary": "a\\b"}),
    alert("unicode", {"alertname": "Straße", "who": "KELVIN \u212a"}, {"title": "ǅ"}),
    alert("multi", {"alertname": "x", "note": "two\nlines"}, {"summary": "", "message": "m"}),
    alert("same", {"alertname": "Dup", "cluster": "c1"}, minutes=3, source="b"),
    alert("same", {"alertname": "Dup", "cluster": "c1"}, minutes=3, source="a"),
    alert("pend", {"alertname": "DiskFull"}, state=AlertState.PENDING, severity=Severity.ERROR),
    alert("gone", {"alertname": "DiskFull"}, state=AlertState.RESOLVED),
    alert("info", {"alertname": "Info", "cluster": "c1"}, severity=Severity.INFO, minutes=9),
]
FILTERS = [
    "",
    "disk",
    "DISKFULL",
    'alertname="DiskFull"',
    'alertname!="DiskFull"',
    'cluster=""',
    'cluster=~"c[12]"',
    'cluster!~"c1"',
    'alertname=~"(?i)disk.*" c1',
    "strasse",
    "straße",
    "k",
    "kelvin k",
    '"hi"',
    "c:\\tmp",
    "a\\b",
    "two",
    "nothing",
    "dǆ",
    "pending",
    "warning firing",
    "instance=db-3",
    "=db-3",  # not a matcher (no name): a word, found in the label's name=value
    "=c1",
    "=say",
    "=c:\\tmp",
    "=two",
    "=",
    "am disk",
    "alertname=x",
    "nomatch",
]


def python_order(active: list[TrackedAlert], text: str) -> list[str]:
    """The tab's order and filter as they were computed in Python."""
    wanted = AlertFilter.parse(text)
    shown = [t for t in active if wanted.empty or wanted.matches(t)]
    shown.sort(
        key=lambda t: (
            t.alert.severity.rank,
            t.acknowledged_by is not None,
            -t.alert.starts_at.timestamp(),
            t.alert.source,
            t.alert.fingerprint,
        )
    )
    return [str(t.key) for t in shown]


@pytest.fixture
async def store(tmp_path: Path):
    store = await open_store(tmp_path / "w.db")
    async with store.transaction() as tx:
        for source in ("am", "a", "b"):
            await tx.apply_snapshot(source, [a for a in ALERTS if a.source == source])
        await tx.acknowledge_alerts([AlertKey("am", "info")], "bob")
    try:
        yield store
    finally:
        await store.close()


async def test_the_list_is_what_the_filter_picks_in_the_tabs_order(store: Store) -> None:
    active = await store.active_alerts()
    assert len(active) == len(ALERTS) - 1  # the resolved one is not listed
    for text in FILTERS:
        shown = await store.shown_alerts(text)
        assert [key for key, _ in shown] == python_order(active, text), text


async def test_the_list_carries_each_alerts_incident_and_the_count_is_every_active_one(
    store: Store,
) -> None:
    shown = dict(await store.shown_alerts())
    assert set(shown.values()) == {None}
    assert await store.active_alert_count() == len(ALERTS) - 1
