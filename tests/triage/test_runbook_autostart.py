"""A plan with `runbook: {name: NAME, start: auto}` starts its runbook when triage
declares its incident (issue 11 item 1), parameters from the alert's labels, in the
transaction that declares it; an alert that cannot give a required parameter leaves a
note saying how to start it by hand, and joining alerts never start a second run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.alerts import alert as make
from tests.support.sources import Scripted

from warroom.engine.poller import poll_once
from warroom.engine.triage import Triage
from warroom.model import Alert, EventKind
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
