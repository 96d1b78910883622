"""Triage through the real store and poll path: plans turn alerts into incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.alerts import alert as make
from tests.support.sources import Scripted

from warroom.engine import Service, triage
from warroom.engine.poller import poll_once
from warroom.engine.triage import Triage
from warroom.model import (
    Alert,
    AlertState,
    EventKind,
    Impact,
    IncidentStatus,
)
from warroom.plans import load_plans
from warroom.store import open_store

PLANS = """
kind: response-plan
name: disk-full
match: {alerts: 'alertname="DiskFull"'}
incident:
  title: "Disk full on {labels.cluster}"
  impact: {label: severity, critical: 2, warning: 4}
  dedupe: "disk/{labels.cluster}"
resolve: when-all-alerts-resolve
reopen_within: 30m
---
kind: response-plan
name: target-down
match: {alerts: 'alertname="TargetDown"'}
incident: {title: "{labels.instance} down", impact: 4, dedupe: "down/{labels.instance}"}
declare: {after: 2m}
---
kind: response-plan
name: errors
match: {alerts: 'alertname=~"HighErrorRate|.*Error.*"'}
incident: {title: "errors in {labels.service}", impact: 3, dedupe: "errors/{labels.service}"}
resolve: manual
---
kind: response-plan
name: catch-all-errors
match: {alerts: 'alertname=~".*Error.*"'}
incident: {title: "never first", impact: 5}
"""


def alert(name: str, severity: str = "warning", minutes: float = 10, **labels: str) -> Alert:
    return make(
        name,
        source="am",
        # the age counts from now, not from import: a suite runs for minutes
        starts_at=datetime.now(UTC) - timedelta(minutes=minutes),
        labels={"severity": severity, **labels},
        annotations={"summary": f"{name} {labels}"},
    )


@pytest.fixture
async def setup(tmp_path: Path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "p.yaml").write_text(PLANS)
    planset = load_plans(tmp_path / "plans")
    assert not planset.errors, planset.errors
    store = await open_store(tmp_path / "w.db")
    yield store, Scripted(), Triage(planset.plans)
    await store.close()


async def test_alerts_with_one_dedupe_key_make_one_incident(setup) -> None:
    store, source, triage = setup
    source.alerts = [
        alert("DiskFull", instance="db-1", cluster="c1"),
        alert("DiskFull", "critical", instance="db-2", cluster="c1"),
        alert("DiskFull", instance="db-3", cluster="c2"),
    ]
    await poll_once(store, source, triage)
    incidents = {i.dedupe_key: i for i in await store.incidents()}
    assert set(incidents) == {"disk/c1", "disk/c2"}
    c1 = incidents["disk/c1"]
    assert (c1.title, c1.plan, c1.alert_count, c1.created_by) == (
        "Disk full on c1",
        "disk-full",
        2,
        "warroom",
    )
    assert c1.impact is Impact.HIGH  # the worst of its alerts (critical -> 2)
    assert incidents["disk/c2"].impact is Impact.LOW
    events = await store.timeline(c1.id)
    assert events[0].kind is EventKind.DECLARED and "plan disk-full" in events[0].text

    # the same snapshot again: nothing new
    await poll_once(store, source, triage)
    assert len(await store.incidents()) == 2
    assert len(await store.timeline(c1.id)) == len(events)

    # a new alert with the same key joins the open incident
    source.alerts.append(alert("DiskFull", instance="db-9", cluster="c1"))
    await poll_once(store, source, triage)
    c1_after = await store.incident(c1.id)
    assert c1_after is not None and c1_after.alert_count == 3
    joined = (await store.timeline(c1.id))[-1]
    assert joined.kind is EventKind.ALERT_ADDED and "joined" in joined.text
    assert len(await store.incidents()) == 2


async def test_flapping_alert_never_opens_a_second_incident(setup) -> None:
    store, source, triage = setup
    flappy = alert("HighErrorRate", service="api")
    steady = alert("HighErrorRate", service="api", route="/x")
    for _ in range(4):
        source.alerts = [flappy, steady]
        await poll_once(store, source, triage)
        source.alerts = [steady]  # flappy resolves; the incident (manual resolve) stays open
        await poll_once(store, source, triage)
    (incident,) = await store.incidents(include_resolved=True)
    assert incident.status is IncidentStatus.OPEN
    assert incident.alert_count == 2


async def test_first_matching_plan_wins_in_order(setup) -> None:
    store, source, triage = setup
    source.alerts = [alert("DatabaseErrorSpike", service="db")]
    await poll_once(store, source, triage)
    (incident,) = await store.incidents()
    assert incident.plan == "errors"  # the earlier plan, though catch-all also matches


async def test_declare_after_waits_until_the_alert_has_fired_long_enough(setup) -> None:
    store, source, triage = setup
    young = alert("TargetDown", minutes=1, instance="web-1")
    source.alerts = [young]
    await poll_once(store, source, triage)
    assert await store.incidents() == []
    old = alert("TargetDown", minutes=3, instance="web-1")  # same labels, fired 3m ago
    source.alerts = [old]
    await poll_once(store, source, triage)
    (incident,) = await store.incidents()
    assert incident.title == "web-1 down"


async def test_all_alerts_resolved_resolves_and_refire_reopens_within_window(setup) -> None:
    store, source, triage = setup
    disk = alert("DiskFull", instance="db-1", cluster="c1")
    source.alerts = [disk]
    await poll_once(store, source, triage)
    (incident,) = await store.incidents()
    source.alerts = []
    await poll_once(store, source, triage)
    resolved = await store.incident(incident.id)
    assert resolved is not None and resolved.status is IncidentStatus.RESOLVED
    assert resolved.resolved_by == "warroom"
    # fires again within reopen_within: the same incident comes back
    source.alerts = [disk]
    await poll_once(store, source, triage)
    (again,) = await store.incidents(include_resolved=True)
    assert again.id == incident.id and again.status is IncidentStatus.OPEN
    assert any(e.kind is EventKind.REOPENED for e in await store.timeline(incident.id))


async def test_refire_after_the_window_declares_a_new_incident(setup) -> None:
    store, source, triage = setup
    disk = alert("DiskFull", instance="db-1", cluster="c1")
    source.alerts = [disk]
    await poll_once(store, source, triage)
    source.alerts = []
    await poll_once(store, source, triage)
    (first,) = await store.incidents(include_resolved=True)
    async with store.transaction() as tx:  # resolved an hour ago: outside the 30m window
        await tx.update_incident(first.id, resolved_at=datetime.now(UTC) - timedelta(hours=1))
    source.alerts = [disk]
    await poll_once(store, source, triage)
    incidents = await store.incidents(include_resolved=True)
    assert len(incidents) == 2
    assert {i.status for i in incidents} == {IncidentStatus.OPEN, IncidentStatus.RESOLVED}


async def test_manual_plans_are_not_auto_resolved_and_unplanned_alerts_make_nothing(setup) -> None:
    store, source, triage = setup
    source.alerts = [alert("HighErrorRate", service="api"), alert("SomethingElse")]
    await poll_once(store, source, triage)
    (incident,) = await store.incidents()
    source.alerts = []
    await poll_once(store, source, triage)
    still = await store.incident(incident.id)
    assert still is not None and still.status is IncidentStatus.OPEN  # resolve: manual


async def test_missing_label_renders_placeholder_and_triage_goes_on(setup) -> None:
    store, source, triage = setup
    source.alerts = [alert("DiskFull", instance="db-1")]  # no cluster label
    assert await poll_once(store, source, triage) is not None
    (incident,) = await store.incidents()
    assert incident.title == "Disk full on ‹labels.cluster?›"
    assert incident.dedupe_key == "disk/‹labels.cluster?›"


async def test_pending_and_silenced_alerts_do_not_declare(setup) -> None:
    from warroom.model.value import replace

    store, source, triage = setup
    base = alert("DiskFull", instance="db-1", cluster="c1")
    source.alerts = [replace(base, state=AlertState.PENDING)]
    await poll_once(store, source, triage)
    source.alerts = [replace(base, state=AlertState.SUPPRESSED)]
    await poll_once(store, source, triage)
    assert await store.incidents() == []


async def test_an_alertmanager_restart_leaves_an_acknowledged_incident_alone(
    setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in the #8 trial: a restart made every alert leave for a poll; the
    incident resolved (PagerDuty told so) and came back open and unowned, paging
    from stage 1 again. Gone for less than RETURN_GRACE, nothing happens to it."""
    monkeypatch.setattr(triage, "RETURN_GRACE", timedelta(minutes=5))
    store, source, triage_ = setup
    disk = alert("DiskFull", instance="db-1", cluster="c1")
    source.alerts = [disk]
    await poll_once(store, source, triage_)
    (incident,) = await store.incidents()
    await Service(store, "alice").acknowledge(incident.id)
    source.alerts = []  # Alertmanager restarting: nothing for one poll
    await poll_once(store, source, triage_)
    source.alerts = [disk]
    await poll_once(store, source, triage_)
    (after,) = await store.incidents(include_resolved=True)
    assert after.status is IncidentStatus.ACKNOWLEDGED and after.acknowledged_by == "alice"
    kinds = [e.kind for e in await store.timeline(incident.id)]
    assert EventKind.RESOLVED not in kinds and EventKind.REOPENED not in kinds
