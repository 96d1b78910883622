"""The service API: every action changes state and leaves exactly one timeline event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.engine import (
    ActionError,
    AlertsInIncident,
    Service,
    current_actor,
    process_identity,
)
from warroom.model import AlertKey, EventKind, Impact, Incident, IncidentStatus, TimelineEvent
from warroom.store import Store, open_store

from .helpers import T0, make_alert


@pytest.fixture
def service(store: Store) -> Service:
    return Service(store, "alice")


def _assert_recent(at: datetime, since: datetime) -> None:
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0), "aware UTC expected"
    assert since - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)


async def _new_events(store: Store, incident_id: int | None, before: int) -> list[TimelineEvent]:
    return (await store.timeline(incident_id))[before:]


async def _seed_alerts(store: Store) -> list[AlertKey]:
    alerts = [make_alert("A"), make_alert("B")]
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    return [a.key for a in alerts]


async def test_declare_incident_with_alerts(store: Store, service: Service) -> None:
    keys = await _seed_alerts(store)
    since = datetime.now(UTC)
    incident_id = await service.declare_incident(keys, "  Disk full on db-3  ", Impact.HIGH)
    incident = await store.incident(incident_id)
    assert incident is not None
    assert incident.title == "Disk full on db-3"  # trimmed
    assert incident.impact is Impact.HIGH
    assert incident.status is IncidentStatus.OPEN
    assert incident.created_by == "alice"
    assert incident.alert_count == 2
    _assert_recent(incident.created_at, since)
    assert {t.incident_id for t in await store.alerts_by_key(keys)} == {incident_id}

    events = await store.timeline(incident_id)
    assert [e.kind for e in events] == [EventKind.DECLARED, EventKind.ALERT_ADDED]
    for event in events:
        assert event.actor == "alice"
        assert event.incident == incident_id
        _assert_recent(event.at, since)
    assert events[0].data["impact"] == 2
    assert events[1].data["alerts"] == [str(k) for k in keys]


async def test_declare_incident_without_alerts(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Customer report", Impact.NO_IMPACT)
    events = await store.timeline(incident_id)
    assert [e.kind for e in events] == [EventKind.DECLARED]
    assert (await store.incident(incident_id)).alert_count == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
async def test_declare_needs_a_title(store: Store, service: Service, title: str) -> None:
    with pytest.raises(ActionError, match="title"):
        await service.declare_incident([], title, Impact.LOW)
    assert await store.incidents(include_resolved=True) == []


async def test_declare_rejects_an_overlong_title(store: Store, service: Service) -> None:
    with pytest.raises(ActionError):
        await service.declare_incident([], "x" * 201, Impact.LOW)
    assert await store.incidents(include_resolved=True) == []


async def test_acknowledge_once(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.HIGH)
    before = len(await store.timeline(incident_id))
    since = datetime.now(UTC)
    assert await service.acknowledge(incident_id) is True
    incident = await store.incident(incident_id)
    assert incident is not None
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    assert incident.acknowledged_by == "alice"
    assert incident.acknowledged_at is not None
    _assert_recent(incident.acknowledged_at, since)
    [event] = await _new_events(store, incident_id, before)
    assert (event.kind, event.actor) == (EventKind.ACKNOWLEDGED, "alice")
    _assert_recent(event.at, since)

    # twice: a no-op that records nothing
    seq = await store.last_change()
    assert await Service(store, "bob").acknowledge(incident_id) is False
    assert len(await store.timeline(incident_id)) == before + 1
    assert (await store.incident(incident_id)).acknowledged_by == "alice"  # type: ignore[union-attr]
    assert await store.changes_since(seq) == []


async def test_resolve_and_reopen(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.HIGH)
    before = len(await store.timeline(incident_id))
    since = datetime.now(UTC)
    assert await service.resolve(incident_id, "freed 40 GB") is True
    incident = await store.incident(incident_id)
    assert incident is not None
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.resolved_by == "alice"
    _assert_recent(incident.resolved_at, since)  # type: ignore[arg-type]
    assert await store.incidents() == []  # resolved drops out of the active list
    [event] = await _new_events(store, incident_id, before)
    assert (event.kind, event.actor, event.text) == (
        EventKind.RESOLVED,
        "alice",
        "Resolved: freed 40 GB",
    )
    _assert_recent(event.at, since)

    assert await service.resolve(incident_id) is False  # already resolved
    assert len(await store.timeline(incident_id)) == before + 1

    bob = Service(store, "bob")
    assert await bob.reopen(incident_id) is True
    incident = await store.incident(incident_id)
    assert incident is not None
    assert incident.status is IncidentStatus.OPEN  # never acknowledged
    assert incident.resolved_at is None and incident.resolved_by is None
    [_, reopened] = await _new_events(store, incident_id, before)
    assert (reopened.kind, reopened.actor) == (EventKind.REOPENED, "bob")
    _assert_recent(reopened.at, since)
    assert await bob.reopen(incident_id) is False  # not resolved: nothing to reopen


async def test_reopen_returns_to_open_and_unowned(store: Store, service: Service) -> None:
    """Issue #9: a reopened incident needs someone to own it again (escalation restarts);
    the timeline keeps who had acknowledged it. It used to come back `acknowledged`."""
    incident_id = await service.declare_incident([], "Disk", Impact.HIGH)
    await service.acknowledge(incident_id)
    await service.resolve(incident_id)
    await Service(store, "bob").reopen(incident_id)
    incident = await store.incident(incident_id)
    assert incident is not None
    assert incident.status is IncidentStatus.OPEN
    assert (incident.acknowledged_by, incident.acknowledged_at) == (None, None)
    reopened = (await store.timeline(incident_id))[-1]
    assert (reopened.kind, reopened.actor) == (EventKind.REOPENED, "bob")
    assert reopened.data["acknowledged_by"] == "alice"
    assert "alice had acknowledged it" in reopened.text
    # and it can be acknowledged afresh, by whoever takes it now
    assert await Service(store, "bob").acknowledge(incident_id) is True
    assert (await store.incident(incident_id)).acknowledged_by == "bob"  # type: ignore[union-attr]


async def test_resolve_without_reason(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.HIGH)
    await service.resolve(incident_id)
    assert (await store.timeline(incident_id))[-1].text == "Resolved"


async def test_set_impact(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.LOW)
    before = len(await store.timeline(incident_id))
    since = datetime.now(UTC)
    assert await service.set_impact(incident_id, Impact.CRITICAL) is True
    assert (await store.incident(incident_id)).impact is Impact.CRITICAL  # type: ignore[union-attr]
    [event] = await _new_events(store, incident_id, before)
    assert (event.kind, event.actor) == (EventKind.IMPACT, "alice")
    assert event.data == {"from": 4, "to": 1}
    assert "4 low" in event.text and "1 critical" in event.text
    _assert_recent(event.at, since)
    # same impact again: nothing to record
    assert await service.set_impact(incident_id, Impact.CRITICAL) is False
    assert len(await store.timeline(incident_id)) == before + 1


async def test_set_impact_rejects_out_of_scale(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.LOW)
    with pytest.raises(ValueError):
        await service.set_impact(incident_id, 9)  # type: ignore[arg-type]
    assert (await store.incident(incident_id)).impact is Impact.LOW  # type: ignore[union-attr]


async def test_add_note(store: Store, service: Service) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.LOW)
    before = len(await store.timeline(incident_id))
    since = datetime.now(UTC)
    event_id = await service.add_note(incident_id, "  checked du -sh /var  ")
    [event] = await _new_events(store, incident_id, before)
    assert event.id == event_id
    assert (event.kind, event.actor, event.text) == (EventKind.NOTE, "alice", "checked du -sh /var")
    _assert_recent(event.at, since)


async def test_add_note_without_incident_goes_to_the_console_log(
    store: Store, service: Service
) -> None:
    await service.add_note(None, "handing over to bob")
    [event] = await store.timeline(None)
    assert (event.incident, event.kind, event.text) == (None, EventKind.NOTE, "handing over to bob")


@pytest.mark.parametrize("text", ["", "   ", "\n"])
async def test_empty_note_is_refused(store: Store, service: Service, text: str) -> None:
    incident_id = await service.declare_incident([], "Disk", Impact.LOW)
    before = len(await store.timeline(incident_id))
    with pytest.raises(ActionError, match="empty"):
        await service.add_note(incident_id, text)
    assert len(await store.timeline(incident_id)) == before


async def test_overlong_note_is_refused(store: Store, service: Service) -> None:
    with pytest.raises(ActionError):
        await service.add_note(None, "x" * 10_001)
    assert await store.timeline(None) == []


@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.acknowledge(999),
        lambda s: s.resolve(999),
        lambda s: s.reopen(999),
        lambda s: s.set_impact(999, Impact.LOW),
        lambda s: s.add_note(999, "hello"),
    ],
    ids=["acknowledge", "resolve", "reopen", "set_impact", "add_note"],
)
async def test_unknown_incident(store: Store, service: Service, action) -> None:
    seq = await store.last_change()
    with pytest.raises(ActionError, match="#999"):
        await action(service)
    assert await store.changes_since(seq) == []
    assert await store.timeline(999) == []


async def test_acknowledge_alerts(store: Store, service: Service) -> None:
    keys = await _seed_alerts(store)
    since = datetime.now(UTC)
    assert (await service.acknowledge_alerts(keys)).acknowledged == 2
    for tracked in await store.alerts_by_key(keys):
        assert tracked.acknowledged_by == "alice"
        _assert_recent(tracked.acknowledged_at, since)  # type: ignore[arg-type]
    [event] = await store.timeline(None)
    assert (event.kind, event.actor) == (EventKind.ALERT_ACKNOWLEDGED, "alice")
    assert event.data == {"alerts": [str(k) for k in keys]}
    _assert_recent(event.at, since)

    # again, by someone else: nothing changes, nothing recorded
    assert (await Service(store, "bob").acknowledge_alerts(keys)).acknowledged == 0
    assert len(await store.timeline(None)) == 1
    assert {t.acknowledged_by for t in await store.alerts_by_key(keys)} == {"alice"}


async def test_acknowledge_no_alerts_or_unknown_alerts(store: Store, service: Service) -> None:
    assert (await service.acknowledge_alerts([])).acknowledged == 0
    unknown = await service.acknowledge_alerts([AlertKey("prom", "doesnotexist")])
    assert unknown.acknowledged == 0
    assert await store.timeline(None) == []


# ---------------------------------------------------------------- who did it


def test_current_actor_prefers_sudo_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "carol")
    assert current_actor() == "carol"
    assert process_identity().startswith("carol@")


def test_current_actor_ignores_sudo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "root")
    monkeypatch.setenv("LOGNAME", "dave")
    monkeypatch.setenv("USER", "dave")
    monkeypatch.setenv("LNAME", "dave")
    monkeypatch.setenv("USERNAME", "dave")
    assert current_actor() == "dave"


def test_current_actor_without_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUDO_USER", raising=False)
    monkeypatch.setenv("LOGNAME", "erin")
    assert current_actor() == "erin"


def test_process_identity_names_host_and_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import socket

    monkeypatch.setenv("SUDO_USER", "carol")
    assert process_identity() == f"carol@{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------- two consoles at once


async def test_concurrent_acknowledge_from_two_consoles_records_one(db_path: Path) -> None:
    import asyncio
    import contextlib

    first = await open_store(db_path)
    second = await open_store(db_path)
    try:
        incident_id = await Service(first, "alice").declare_incident([], "Disk", Impact.HIGH)
        # Make the interleaving certain: each console's read waits (briefly) for the other's.
        arrived = 0
        both = asyncio.Event()
        for s in (first, second):
            read = s.incident

            async def rendezvous(
                incident_id: int, read: Callable[[int], Awaitable[Incident | None]] = read
            ) -> Incident | None:
                nonlocal arrived
                result = await read(incident_id)
                arrived += 1
                if arrived == 2:
                    both.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(both.wait(), timeout=0.5)
                return result

            s.incident = rendezvous  # type: ignore[method-assign]
        results = await asyncio.gather(
            Service(first, "alice").acknowledge(incident_id),
            Service(second, "bob").acknowledge(incident_id),
        )
        acks = [e for e in await first.timeline(incident_id) if e.kind is EventKind.ACKNOWLEDGED]
        assert sorted(results) == [False, True]
        assert len(acks) == 1
        incident = await first.incident(incident_id)
        assert incident is not None
        assert incident.acknowledged_by == acks[0].actor
    finally:
        await first.close()
        await second.close()


async def test_acknowledge_alerts_records_only_what_changed(store: Store) -> None:
    keys = await _seed_alerts(store)
    assert (await Service(store, "alice").acknowledge_alerts(keys[:1])).acknowledged == 1
    assert (await Service(store, "bob").acknowledge_alerts(keys)).acknowledged == 1
    bobs = [e for e in await store.timeline(None) if e.actor == "bob"]
    assert [e.data["alerts"] for e in bobs] == [[str(keys[1])]]


async def test_declare_refuses_to_take_alerts_out_of_an_open_incident(
    store: Store, service: Service
) -> None:
    """As found: `i` on an alert of acknowledged #27 quietly made it an alert of #35."""
    keys = await _seed_alerts(store)
    first = await service.declare_incident(keys[:1], "Checkout down", Impact.HIGH)
    await Service(store, "bob").acknowledge(first)
    with pytest.raises(AlertsInIncident) as refused:
        await service.declare_incident(keys, "Duplicate", Impact.HIGH)
    message = str(refused.value)
    assert f"#{first}" in message and "acknowledged by bob" in message
    assert [(i.id, n) for i, n in refused.value.holders] == [(first, 1)]
    # nothing was declared and nothing moved
    assert [i.id for i in await store.incidents(include_resolved=True)] == [first]
    assert {t.incident_id for t in await store.alerts_by_key(keys[:1])} == {first}

    moved_to = await service.declare_incident(keys, "Moved on purpose", Impact.HIGH, move=True)
    assert {t.incident_id for t in await store.alerts_by_key(keys)} == {moved_to}
    kinds = [e.kind for e in await store.timeline(first)]
    assert kinds[-1] is EventKind.ALERT_MOVED


async def test_declare_takes_alerts_of_a_resolved_incident_without_asking(
    store: Store, service: Service
) -> None:
    keys = await _seed_alerts(store)
    first = await service.declare_incident(keys[:1], "Over", Impact.LOW)
    await service.resolve(first, force=True)  # its alert still fires
    second = await service.declare_incident(keys, "Again", Impact.LOW)
    assert {t.incident_id for t in await store.alerts_by_key(keys)} == {second}
