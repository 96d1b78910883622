"""The service split by aggregate (issue #9 item 3): parts share one context, and its clock."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

from warroom.engine import Service
from warroom.engine.alert_acks import AlertAcknowledgements
from warroom.engine.context import Context
from warroom.engine.incidents import Incidents
from warroom.model import EventKind, Impact, IncidentStatus
from warroom.store import Store

from .helpers import make_alert

FIXED = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)


async def test_every_action_takes_its_time_from_the_services_clock(store: Store) -> None:
    """Escalation (issue #10) is tested with injected time: the service must take it too."""
    alert = make_alert("A")
    async with store.transaction() as tx:
        await tx.apply_snapshot("prom", [alert])
    service = Service(store, "alice", clock=lambda: FIXED)
    incident_id = await service.declare_incident([alert.key], "Disk", Impact.HIGH)
    await service.acknowledge(incident_id)
    await service.add_note(incident_id, "looking")
    await service.resolve(incident_id, force=True)
    incident = await store.incident(incident_id)
    assert incident is not None
    assert (incident.created_at, incident.acknowledged_at, incident.resolved_at) == (FIXED,) * 3
    assert {e.at for e in await store.timeline(incident_id)} == {FIXED}


async def test_each_part_acts_alone_with_a_context(store: Store) -> None:
    alerts = [make_alert("A"), make_alert("B")]
    async with store.transaction() as tx:
        await tx.apply_snapshot("prom", alerts)
    context = Context(store, "bob", clock=lambda: FIXED)
    incidents = Incidents(context)
    incident_id = await incidents.declare([], "Disk", Impact.LOW)
    assert await incidents.acknowledge(incident_id) is True
    incident = await store.incident(incident_id)
    assert incident is not None
    assert (incident.status, incident.acknowledged_by) == (IncidentStatus.ACKNOWLEDGED, "bob")
    result = await AlertAcknowledgements(context).acknowledge([a.key for a in alerts])
    assert result.acknowledged == 2
    (event,) = await store.timeline(None)
    assert (event.kind, event.actor, event.at) == (EventKind.ALERT_ACKNOWLEDGED, "bob", FIXED)


def test_the_facade_holds_no_rules() -> None:
    """Service only hands each call to its part: no transaction, no event of its own."""
    source = Path(__import__("warroom.engine.service").engine.service.__file__).read_text()
    tree = ast.parse(source)
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & {"transaction", "update_incident", "add_event", "create_incident"}
    assert "append" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
