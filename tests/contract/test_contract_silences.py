"""Silence records and source health through the contract."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.helpers import T0

from warroom.model import AlertKey
from warroom.store import SilenceRecord, Store

from .conftest import new_incident


async def test_a_silence_record_is_kept_and_expired_once(store: Store) -> None:
    incident_id = await new_incident(store)
    keys = [AlertKey("am", "f1"), AlertKey("am", "f2")]
    async with store.transaction(T0) as tx:
        await tx.record_silence("am", "s1", "ack", "alice", T0 + timedelta(hours=1), None, keys)
        await tx.record_silence(
            "am", "s2", "manual", "bob", T0 + timedelta(hours=2), incident_id, keys[:1]
        )
    assert await store.silence_record("am", "s2") == SilenceRecord(
        "am", "s2", "manual", "bob", incident_id, (keys[0],)
    )
    assert await store.silence_record("am", "nope") is None
    assert [r.silence_id for r in await store.open_ack_silences("am")] == ["s1"]
    assert await store.open_ack_silences("other") == []
    seq = await store.last_change()
    async with store.transaction(T0 + timedelta(minutes=1)) as tx:
        await tx.mark_silence_expired("am", "s1")
    assert await store.open_ack_silences("am") == []
    assert [(c.entity, c.entity_id) for c in await store.changes_since(seq)] == [
        ("silence", "am/s1")
    ]


async def test_source_health_and_retry_requests(store: Store) -> None:
    async with store.transaction(T0) as tx:
        assert await tx.request_retry("am") is False  # never polled: nothing to retry
        await tx.record_poll("am", 15.0, ok=True, alert_count=3)
        await tx.record_poll("prom", 30.0, ok=False, error="connection refused")
    async with store.transaction(T0 + timedelta(seconds=5)) as tx:
        assert await tx.request_retry("am") is True
    assert set(await store.retry_requests()) == {"am"}
    health = {h.name: h for h in await store.source_health()}
    assert health["am"].alert_count == 3 and health["am"].last_success == T0
    assert health["prom"].failures == 1 and health["prom"].last_error == "connection refused"
    assert health["prom"].last_success is None
    async with store.transaction(T0 + timedelta(seconds=15)) as tx:
        await tx.record_poll("am", 15.0, ok=True, alert_count=0)
    assert await store.retry_requests() == {}
