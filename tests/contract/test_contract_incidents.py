"""Incidents through the contract: transitions, conditional acknowledgement, merge, timeline."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.unit.helpers import T0, make_alert

from warroom.model import Impact, IncidentStatus
from warroom.store import Store

from .conftest import Backend, new_incident, note

OPEN = IncidentStatus.OPEN
ACKED = IncidentStatus.ACKNOWLEDGED
RESOLVED = IncidentStatus.RESOLVED


async def test_an_incident_moves_through_its_states(store: Store) -> None:
    async with store.transaction(T0) as tx:
        incident_id = await tx.create_incident("Disk", Impact.HIGH, "alice", "filling", "k", "p")
        created = await tx.incident(incident_id)
    assert created is not None
    assert (created.status, created.impact, created.dedupe_key, created.plan) == (
        OPEN,
        Impact.HIGH,
        "k",
        "p",
    )
    async with store.transaction(T0 + timedelta(minutes=1)) as tx:
        assert await tx.update_incident_if(
            incident_id, OPEN, status=ACKED, acknowledged_at=tx.now, acknowledged_by="bob"
        )
    async with store.transaction(T0 + timedelta(minutes=2)) as tx:
        assert await tx.update_incident_if(
            incident_id, (OPEN, ACKED), status=RESOLVED, resolved_at=tx.now, resolved_by="bob"
        )
    done = await store.incident(incident_id)
    assert done is not None
    assert (done.status, done.acknowledged_by, done.resolved_by) == (RESOLVED, "bob", "bob")
    assert done.acknowledged_at == T0 + timedelta(minutes=1)
    assert [i.id for i in await store.incidents()] == []
    assert [i.id for i in await store.incidents(include_resolved=True)] == [incident_id]


async def test_updating_no_incident_writes_nothing(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.update_incident(4242, title="ghost") is False
        assert await tx.incident(4242) is None


async def test_an_acknowledged_incident_keeps_its_first_acknowledgement(backend: Backend) -> None:
    """From another process: the conditional update reports who did it, never overwrites."""
    alice, bob = await backend.open(), await backend.open()
    incident_id = await new_incident(alice)
    async with alice.transaction(T0) as tx:
        assert await tx.update_incident_if(
            incident_id, OPEN, status=ACKED, acknowledged_at=tx.now, acknowledged_by="alice"
        )
    async with bob.transaction(T0 + timedelta(minutes=5)) as tx:
        assert not await tx.update_incident_if(
            incident_id, OPEN, status=ACKED, acknowledged_at=tx.now, acknowledged_by="bob"
        )
        seen = await tx.incident(incident_id)
    assert seen is not None and seen.acknowledged_by == "alice"
    after = await alice.incident(incident_id)
    assert after is not None
    assert (after.acknowledged_by, after.acknowledged_at) == ("alice", T0)


async def test_of_writers_acknowledging_at_once_exactly_one_wins(backend: Backend) -> None:
    stores = [await backend.open() for _ in range(4)]
    incident_id = await new_incident(stores[0])

    async def ack(store: Store, who: str) -> bool:
        async with store.transaction() as tx:
            return await tx.update_incident_if(
                incident_id, OPEN, status=ACKED, acknowledged_at=tx.now, acknowledged_by=who
            )

    won = await asyncio.gather(*(ack(s, f"r{n}") for n, s in enumerate(stores)))
    assert sum(won) == 1
    final = await stores[0].incident(incident_id)
    assert final is not None and final.acknowledged_by == f"r{won.index(True)}"


async def test_of_writers_acknowledging_alerts_at_once_each_alert_is_credited_once(
    backend: Backend,
) -> None:
    stores = [await backend.open() for _ in range(3)]
    alerts = [make_alert("Up", instance=f"i{n}") for n in range(20)]
    async with stores[0].transaction(T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    keys = [a.key for a in alerts]

    async def ack(store: Store, who: str) -> list[object]:
        async with store.transaction() as tx:
            return list(await tx.acknowledge_alerts(keys, who))

    credited = await asyncio.gather(*(ack(s, f"r{n}") for n, s in enumerate(stores)))
    assert sorted(k for got in credited for k in got) == sorted(keys)  # type: ignore[type-var]
    by = {t.key: t.acknowledged_by for t in await stores[0].alerts_by_key(keys)}
    for n, got in enumerate(credited):
        assert all(by[k] == f"r{n}" for k in got)  # type: ignore[index]


async def test_a_merge_reads_and_moves_alerts_inside_its_transaction(store: Store) -> None:
    alerts = [make_alert("Up", instance=f"i{n}") for n in range(3)]
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", alerts)
        child = await tx.create_incident("child", Impact.LOW, "alice")
        parent = await tx.create_incident("parent", Impact.HIGH, "alice")
        assert await tx.attach_alerts(child, [a.key for a in alerts[:2]]) == {}
        # its own, uncommitted writes: what the merge must move
        inside = [t.key for t in await tx.incident_alerts(child)]
        assert sorted(inside) == sorted(a.key for a in alerts[:2])
        moved = await tx.attach_alerts(parent, inside)
        assert {k: sorted(v) for k, v in moved.items()} == {child: sorted(inside)}
        await tx.update_incident(child, parent_id=parent, status=RESOLVED, resolved_at=tx.now)
        assert await tx.incident_alerts(child) == []
    merged = await store.incident(child)
    assert merged is not None and merged.parent_id == parent and merged.alert_count == 0
    target = await store.incident(parent)
    assert target is not None and target.alert_count == 2
    assert {t.key for t in await store.incident_alerts(parent)} == set(inside)


async def test_an_incidents_alerts_are_listed_firing_first(store: Store) -> None:
    early = make_alert("A", instance="1", starts_at=T0)
    late = make_alert("A", instance="2", starts_at=T0 + timedelta(minutes=1))
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", [early, late])
        incident_id = await tx.create_incident("x", Impact.LOW, "alice")
        await tx.attach_alerts(incident_id, [early.key, late.key])
    async with store.transaction(T0 + timedelta(minutes=2)) as tx:
        await tx.apply_snapshot("prom", [late])  # early resolves
    assert [t.key for t in await store.incident_alerts(incident_id)] == [late.key, early.key]


async def test_the_timeline_reads_oldest_first_across_writers(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    incident_id = await new_incident(a)
    texts = []
    for n in range(6):
        writer = a if n % 2 else b
        async with writer.transaction(T0 + timedelta(seconds=n)) as tx:
            await note(tx, incident_id, f"note {n}")
            if n == 3:
                await note(tx, incident_id, "note 3b")  # two in one transaction keep their order
                texts.append("note 3")
                texts.append("note 3b")
                continue
        texts.append(f"note {n}")
    assert [e.text for e in await b.timeline(incident_id)] == texts
    assert [e.text for e in await a.timeline(incident_id, limit=2)] == texts[-2:]
    ids = [e.id for e in await a.timeline(incident_id)]
    assert ids == sorted(ids)


async def test_the_console_log_is_the_timeline_of_no_incident(store: Store) -> None:
    incident_id = await new_incident(store)
    async with store.transaction(T0) as tx:
        await note(tx, None, "shift handover", actor="bob")
        await note(tx, incident_id, "on the incident")
    (event,) = await store.timeline(None)
    assert (event.incident, event.actor, event.text) == (None, "bob", "shift handover")
    assert event.at == T0


async def test_triage_queries_find_incidents_by_dedupe_key(store: Store) -> None:
    alert = make_alert("A", instance="1")
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", [alert])
        first = await tx.create_incident("x", Impact.LOW, "engine", dedupe_key="k", plan="p")
        await tx.attach_alerts(first, [alert.key])
        assert await tx.open_incident_with_key("k") == first
        assert await tx.attached_to_open("prom") == {alert.fingerprint}
        assert await tx.attached_to_open("prom", ["other"]) == set()
    async with store.transaction(T0 + timedelta(minutes=1)) as tx:
        await tx.apply_snapshot("prom", [])
        assert await tx.open_plan_incidents_without_firing_alerts() == [(first, "p")]
        await tx.update_incident(first, status=RESOLVED, resolved_at=tx.now)
        assert await tx.open_incident_with_key("k") is None
        assert await tx.resolved_incident_with_key("k", T0) == first
        assert await tx.resolved_incident_with_key("k", T0 + timedelta(hours=1)) is None
