"""Resolving while alerts still fire: refused unless forced, and the timeline says so when forced.

Resolved with its alerts firing, an incident lost them to a new incident at the
next poll, and the acknowledgement and notes stayed behind on the old one.
"""

from __future__ import annotations

import pytest

from warroom.engine import ActionError, Service
from warroom.engine.service import StillFiring
from warroom.model import AlertKey, AlertState, EventKind, Impact, IncidentStatus
from warroom.store import Store

from .helpers import T0, make_alert


async def _incident_with(store: Store, *states: AlertState) -> tuple[int, list[AlertKey]]:
    alerts = [
        make_alert(f"Alert{i}", state=state, instance=f"web-{i}") for i, state in enumerate(states)
    ]
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    keys = [a.key for a in alerts]
    incident_id = await Service(store, "alice").declare_incident(keys, "Web down", Impact.HIGH)
    return incident_id, keys


async def test_resolve_refuses_while_alerts_fire(store: Store) -> None:
    incident_id, keys = await _incident_with(
        store, AlertState.FIRING, AlertState.SUPPRESSED, AlertState.RESOLVED
    )
    before = await store.timeline(incident_id)
    seq = await store.last_change()
    with pytest.raises(StillFiring) as refused:
        await Service(store, "bob").resolve(incident_id, "looks fine")
    assert isinstance(refused.value, ActionError)  # callers catching ActionError still do
    assert str(refused.value) == (
        f"incident #{incident_id} has 2 alert(s) still firing: Alert0, Alert1"
    )
    assert {t.key for t in refused.value.alerts} == set(keys[:2])
    incident = await store.incident(incident_id)
    assert incident is not None and incident.status is IncidentStatus.OPEN
    assert await store.timeline(incident_id) == before
    assert await store.changes_since(seq) == []


async def test_forced_resolve_records_what_still_fired(store: Store) -> None:
    incident_id, keys = await _incident_with(store, AlertState.FIRING, AlertState.PENDING)
    assert await Service(store, "bob").resolve(incident_id, "fixed", force=True) is True
    incident = await store.incident(incident_id)
    assert incident is not None
    assert (incident.status, incident.resolved_by) == (IncidentStatus.RESOLVED, "bob")
    event = (await store.timeline(incident_id))[-1]
    assert (event.kind, event.actor) == (EventKind.RESOLVED, "bob")
    assert event.text == "Resolved with 1 alert(s) still firing (Alert0): fixed"
    # version 1 keeps the reason and the names too, so the typed event reads back whole
    assert event.data == {"still_firing": [str(keys[0])], "names": ["Alert0"], "reason": "fixed"}
    assert event.version == 1


async def test_resolve_without_firing_alerts_needs_no_force(store: Store) -> None:
    incident_id, _ = await _incident_with(store, AlertState.RESOLVED, AlertState.PENDING)
    assert await Service(store, "bob").resolve(incident_id) is True
    assert (await store.timeline(incident_id))[-1].text == "Resolved"
