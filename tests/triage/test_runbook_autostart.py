"""A plan with `runbook: {name: NAME, start: auto}` starts its runbook when triage
declares its incident (issue 11 item 1), parameters from the alert's labels, in the
transaction that declares it; an alert that cannot give a required parameter leaves a
note saying how to start it by hand, and joining alerts never start a second run. A
responder declaring by hand under such a plan (`warroom declare --plan`, the console's
dialog) starts it the same way, through the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.alerts import alert as make
from tests.support.sources import Scripted

from warroom.engine import Service
from warroom.engine.poller import poll_once
from warroom.engine.triage import Triage
from warroom.model import Alert, EventKind, Impact
from warroom.model.runbook import StepState
from warroom.plans import load_plans
from warroom.store import Store, open_store

PLANS = """
kind: response-plan
name: disk-full
match: {alerts: 'alertname="DiskFull"'}
incident: {title: "Disk full on {labels.instance}", impact: 3, dedupe: "disk/{labels.cluster}"}
runbook: {name: disk, start: auto}
---
kind: response-plan
name: slow
match: {alerts: 'alertname="Slow"'}
incident: {title: "slow", impact: 4, dedupe: "slow"}
runbook: disk
---
kind: runbook
name: disk
parameters:
  - name: instance
    default: "{labels.instance}"
steps:
  - name: look
    kind: manual
    instructions: look at {params.instance}
"""


def alert(name: str, **labels: str) -> Alert:
    return make(
        name,
        source="am",
        starts_at=datetime.now(UTC) - timedelta(minutes=10),
        labels=labels,
        annotations={"summary": name},
    )


@pytest.fixture
async def setup(tmp_path: Path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "p.yaml").write_text(PLANS)
    planset = load_plans(tmp_path / "plans")
    assert not planset.errors, planset.errors
    store = await open_store(tmp_path / "w.db")
    triage = Triage(planset.plans)
    triage.runbooks = planset.runbooks
    yield store, Scripted(), triage
    await store.close()


async def _only_incident(store: Store, dedupe_key: str) -> int:
    (incident,) = [i for i in await store.incidents() if i.dedupe_key == dedupe_key]
    return incident.id


async def test_declaring_starts_the_plans_runbook_once(setup) -> None:
    store, source, triage = setup
    source.alerts = [alert("DiskFull", instance="db-1:9100", cluster="c1")]
    await poll_once(store, source, triage)
    incident_id = await _only_incident(store, "disk/c1")
    (record,) = await store.runbook_runs(incident_id)
    assert record.name == "disk" and record.started_by == "warroom"
    assert record.run.parameters == {"instance": "db-1:9100"}
    assert record.run.steps[0].state is StepState.WAITING_CONFIRMATION
    kinds = [e.kind for e in await store.timeline(incident_id)]
    assert kinds.index(EventKind.DECLARED) < kinds.index(EventKind.RUNBOOK_STARTED)

    source.alerts.append(alert("DiskFull", instance="db-2:9100", cluster="c1"))
    await poll_once(store, source, triage)
    assert len(await store.runbook_runs(incident_id)) == 1  # joining starts nothing


async def test_a_missing_parameter_leaves_a_note_and_a_manual_plan_starts_nothing(setup) -> None:
    store, source, triage = setup
    source.alerts = [alert("DiskFull", cluster="c2"), alert("Slow", instance="db-1")]
    await poll_once(store, source, triage)
    disk = await _only_incident(store, "disk/c2")
    assert await store.runbook_runs(disk) == []
    (note,) = [e for e in await store.timeline(disk) if e.kind is EventKind.NOTE]
    assert note.text.startswith("Runbook disk not started: runbook 'disk' needs a value for")
    assert note.text.endswith(f"(warroom runbook start {disk} disk --param NAME=VALUE)")
    assert await store.runbook_runs(await _only_incident(store, "slow")) == []


# -- declared by hand (issue 11): the same start, through the service ------------------------

REPO_PLANS = Path(__file__).resolve().parents[2] / "plans"


@pytest.fixture
async def by_hand(tmp_path: Path):
    """The repo's own plans (capacity.yaml's disk-full starts disk-full-cleanup on its
    own; queue-backlog names its runbook without `start: auto`), a real SQLite store."""
    planset = load_plans(REPO_PLANS)
    assert planset.plans and "disk-full-cleanup" in planset.runbooks
    store = await open_store(tmp_path / "w.db")
    service = Service(store, "alice", runbooks=planset.runbooks, plans=planset.plans)
    yield store, service
    await store.close()


async def _stored(store: Store, *alerts: Alert) -> None:
    async with store.transaction() as tx:
        await tx.apply_snapshot("am", list(alerts))


async def test_declaring_by_hand_under_an_auto_plan_starts_its_runbook(by_hand) -> None:
    store, service = by_hand
    disk = alert("DiskFull", instance="db-1:9100", mountpoint="/var", cluster="c1")
    await _stored(store, disk)
    incident_id = await service.declare_incident(
        [disk.key], "disk", Impact.HIGH, plan="disk-full", dedupe_key="disk-full/c1"
    )
    (record,) = await store.runbook_runs(incident_id)
    assert (record.name, record.started_by) == ("disk-full-cleanup", "alice")
    assert record.run.parameters == {"instance": "db-1:9100", "mountpoint": "/var"}
    timeline = await store.timeline(incident_id)
    kinds = [e.kind for e in timeline]
    assert kinds.index(EventKind.DECLARED) < kinds.index(EventKind.ALERT_ADDED)
    assert kinds.index(EventKind.ALERT_ADDED) < kinds.index(EventKind.RUNBOOK_STARTED)
    declared = timeline[kinds.index(EventKind.DECLARED)]
    # one transaction: its one clock reading stamps the declaration and the run alike
    assert record.started_at == declared.at == timeline[-1].at


async def test_declaring_by_hand_without_an_auto_runbook_starts_none(by_hand) -> None:
    store, service = by_hand
    queue = alert("QueueBacklogGrowing", queue="orders")
    disk = alert("DiskFull", cluster="c2")  # no instance: the runbook's required parameter
    await _stored(store, queue, disk)
    manual = await service.declare_incident([queue.key], "q", Impact.HIGH, plan="queue-backlog")
    ad_hoc = await service.declare_incident([], "odd", Impact.HIGH)
    assert await store.runbook_runs(manual) == [] and await store.runbook_runs(ad_hoc) == []
    unstartable = await service.declare_incident([disk.key], "d", Impact.HIGH, plan="disk-full")
    assert await store.runbook_runs(unstartable) == []
    (note,) = [e for e in await store.timeline(unstartable) if e.kind is EventKind.NOTE]
    assert note.text.startswith("Runbook disk-full-cleanup not started:")
    assert note.text.endswith(
        f"(warroom runbook start {unstartable} disk-full-cleanup --param NAME=VALUE)"
    )
