"""The service, triage and simulate decide incident transitions alike (issue #9 item 1).

They used to disagree: the service's reopen restored `acknowledged`, triage's set
`open` but kept the old acknowledger, simulate ignored `reopen_within`, and
triage reopened an incident that had been merged into another. Each test drives
the real store and poll path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.sources import Scripted

from warroom.engine import ActionError, Service
from warroom.engine.poller import poll_once
from warroom.engine.triage import Triage
from warroom.model import (
    Alert,
    AlertState,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
    Severity,
    fingerprint_of,
)
from warroom.plans import PlanIndex, load_plans
from warroom.store import Store, open_store

PLANS = """
kind: response-plan
name: disk-full
match: {alerts: 'alertname="DiskFull"'}
incident: {title: "Disk full on {labels.cluster}", impact: 3, dedupe: "disk/{labels.cluster}"}
resolve: when-all-alerts-resolve
reopen_within: 30m
"""


def disk(cluster: str) -> Alert:
    labels = {"alertname": "DiskFull", "severity": "warning", "cluster": cluster}
    return Alert(
        source="am",
        fingerprint=fingerprint_of(labels),
        name="DiskFull",
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        starts_at=datetime.now(UTC) - timedelta(minutes=10),
        labels=labels,
    )


@pytest.fixture
async def world(tmp_path: Path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "p.yaml").write_text(PLANS)
    planset = load_plans(tmp_path / "plans")
    assert not planset.errors, planset.errors
    store = await open_store(tmp_path / "w.db")
    yield store, Scripted(), Triage(planset.plans), PlanIndex(planset.plans)
    await store.close()


def ownership(incident: Incident | None) -> tuple[object, ...]:
    assert incident is not None
    return (
        incident.status,
        incident.acknowledged_by,
        incident.acknowledged_at,
        incident.resolved_by,
        incident.resolved_at,
        incident.parent_id,
    )


async def _acknowledged_then_resolved(
    store: Store, source: Scripted, triage: Triage
) -> tuple[int, int]:
    """Both clusters fire, alice acknowledges both incidents, the alerts go, triage resolves."""
    source.alerts = [disk("c1"), disk("c2")]
    await poll_once(store, source, triage)
    incidents = {i.dedupe_key: i.id for i in await store.incidents()}
    for incident_id in incidents.values():
        assert await Service(store, "alice").acknowledge(incident_id)
    source.alerts = []
    await poll_once(store, source, triage)
    assert await store.incidents() == []  # both resolved
    return incidents["disk/c1"], incidents["disk/c2"]


async def test_a_responders_reopen_and_a_refire_leave_the_incident_alike(world) -> None:
    store, source, triage, _ = world
    by_refire, by_hand = await _acknowledged_then_resolved(store, source, triage)
    source.alerts = [disk("c1")]  # c1 fires again within reopen_within
    await poll_once(store, source, triage)
    assert await Service(store, "bob").reopen(by_hand) is True

    refired, reopened = await store.incident(by_refire), await store.incident(by_hand)
    assert ownership(refired) == ownership(reopened)
    # open and owned by nobody: escalation can start again
    assert ownership(refired)[:3] == ("open", None, None)
    for incident_id, actor in ((by_refire, "warroom"), (by_hand, "bob")):
        event = (await store.timeline(incident_id))[-1 if incident_id == by_hand else -2]
        assert (event.kind, event.actor) == (EventKind.REOPENED, actor)
        assert event.data["acknowledged_by"] == "alice"  # the timeline keeps who had it


async def test_a_merged_incident_is_never_reopened(world) -> None:
    """Not by a responder (the console's `o`), nor by its alert firing again."""
    store, source, triage, _ = world
    source.alerts = [disk("c1"), disk("c2")]
    await poll_once(store, source, triage)
    ids = {i.dedupe_key: i.id for i in await store.incidents()}
    child, parent = ids["disk/c1"], ids["disk/c2"]
    await Service(store, "alice").merge(child, into=parent)
    with pytest.raises(ActionError, match=f"merged into #{parent}; work there"):
        await Service(store, "bob").reopen(child)
    merged = ownership(await store.incident(child))
    source.alerts = []
    await poll_once(store, source, triage)  # the parent resolves with its alerts
    source.alerts = [disk("c1")]  # c1's alert returns within reopen_within
    await poll_once(store, source, triage)
    assert ownership(await store.incident(child)) == merged  # still merged, still resolved
    (fresh,) = await store.incidents()
    assert fresh.id not in (child, parent) and fresh.dedupe_key == "disk/c1"


@pytest.mark.parametrize(
    "scenario",
    ["nothing", "open", "acknowledged", "resolved-recently", "resolved-long-ago", "merged"],
)
async def test_simulate_predicts_what_triage_does(world, scenario: str) -> None:
    from warroom.cli.simulate import predict

    store, source, triage, index = world
    service = Service(store, "alice")
    if scenario in ("open", "acknowledged"):  # declared by hand under the plan, no alert yet
        declared = await service.declare_incident(
            [], "by hand", Impact.MEDIUM, plan="disk-full", dedupe_key="disk/c1"
        )
        if scenario == "acknowledged":
            await service.acknowledge(declared)
    if scenario in ("resolved-recently", "resolved-long-ago", "merged"):
        source.alerts = [disk("c1"), disk("c2")]
        await poll_once(store, source, triage)
        ids = {i.dedupe_key: i.id for i in await store.incidents()}
        if scenario == "merged":
            await service.merge(ids["disk/c1"], into=ids["disk/c2"])
        source.alerts = []
        await poll_once(store, source, triage)
        if scenario == "resolved-long-ago":
            async with store.transaction() as tx:
                await tx.update_incident(
                    ids["disk/c1"], resolved_at=datetime.now(UTC) - timedelta(hours=1)
                )
    before = {i.id: i for i in await store.incidents(include_resolved=True)}
    alert = disk("c1")
    predicted = predict(index, alert, list(before.values()), datetime.now(UTC))

    source.alerts = [alert]
    await poll_once(store, source, triage)
    (tracked,) = await store.alerts_by_key([alert.key])
    taken = tracked.incident_id
    assert taken is not None
    if taken not in before:
        done = "declares a new incident"
    elif before[taken].status is IncidentStatus.RESOLVED:
        done = f"reopens resolved incident #{taken}"
    else:
        done = f"joins open incident #{taken}"
    assert predicted["outcome"] == done
    expected = {
        "nothing": "declares",
        "open": "joins",
        "acknowledged": "joins",
        "resolved-recently": "reopens",
        "resolved-long-ago": "declares",
        "merged": "declares",
    }[scenario]
    assert done.startswith(expected)
