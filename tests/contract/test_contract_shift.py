"""The shift hand-off's reads through the contract: only what the window holds."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.helpers import T0, make_alert

from warroom.model import AlertKey, AlertState, EventKind, Impact, IncidentStatus
from warroom.store import Store

H = timedelta(hours=1)


async def test_the_window_reads_return_only_the_window(store: Store) -> None:
    async with store.transaction(T0) as tx:
        old = await tx.create_incident("resolved before", Impact.MEDIUM, "alice")
        await tx.add_event(old, EventKind.NOTE, "alice", "before the shift")
    async with store.transaction(T0 + H) as tx:
        await tx.update_incident(
            old, status=IncidentStatus.RESOLVED.value, resolved_at=T0 + H, resolved_by="alice"
        )
    async with store.transaction(T0 + 3 * H) as tx:
        done = await tx.create_incident("resolved in", Impact.MEDIUM, "alice")
        burning = await tx.create_incident("still open", Impact.MEDIUM, "alice")
        await tx.add_event(burning, EventKind.NOTE, "bob", "in the shift")
        await tx.apply_snapshot(
            "am",
            [
                make_alert("Old", source="am", starts_at=T0, state=AlertState.FIRING),
                make_alert("New", source="am", starts_at=T0 + 3 * H),
            ],
        )
    async with store.transaction(T0 + 4 * H) as tx:
        await tx.update_incident(
            done, status=IncidentStatus.RESOLVED.value, resolved_at=T0 + 4 * H, resolved_by="bob"
        )
        await tx.record_silence("am", "gone", "manual", "bob", T0 + 5 * H, None, [])
        await tx.record_silence(
            "am", "live", "manual", "bob", T0 + 9 * H, burning, [AlertKey("am", "x")]
        )
        await tx.record_silence("am", "expired", "manual", "bob", T0 + 9 * H, None, [])
        await tx.mark_silence_expired("am", "expired")
    since = T0 + 2 * H
    assert [i.id for i in await store.incidents_since(since)] == [done, burning]
    found = await store.events_since(since)
    assert "in the shift" in [e.text for e in found]
    assert "before the shift" not in [e.text for e in found]
    assert all(e.at >= since for e in found)
    assert {t.alert.name for t in await store.alerts_since(since)} == {"Old", "New"}
    [live] = await store.live_silences(T0 + 6 * H)
    assert (live.silence_id, live.ends_at, live.incident_id, live.alerts) == (
        "live",
        T0 + 9 * H,
        burning,
        (AlertKey("am", "x"),),
    )
