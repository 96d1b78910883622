"""On-call overrides through the contract: kept, listed in the order made, cancelled once,
never deleted, announced in the feed, and seen by another process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.unit.helpers import T0

from warroom.model.oncall import Override
from warroom.store import Store

from .conftest import Backend

COVER = Override(T0, T0 + timedelta(hours=2), "alice", "carol", "carol", "alice is flying")


async def test_overrides_are_listed_in_the_order_made_and_cancelled_once(store: Store) -> None:
    seq = await store.last_change()
    async with store.transaction(T0) as tx:
        first = await tx.add_override("primary", COVER)
        second = await tx.add_override(
            "secondary", Override(T0, T0 + timedelta(days=1), None, "bob")
        )
    assert second > first
    assert [(c.entity, c.entity_id) for c in await store.changes_since(seq)] == [
        ("oncall", "primary"),
        ("oncall", "secondary"),
    ]
    (kept, _) = await store.overrides()
    assert (kept.id, kept.schedule, kept.override, kept.created_at) == (first, "primary", COVER, T0)
    assert not kept.cancelled
    assert [r.id for r in await store.overrides("primary")] == [first]
    assert [r.id for r in await store.overrides(ending_after=T0 + timedelta(hours=3))] == [second]
    assert await store.overrides(starting_before=T0) == []

    seq = await store.last_change()
    async with store.transaction(T0 + timedelta(minutes=5)) as tx:
        held = await tx.override(first)
        assert held is not None and not held.cancelled
        assert await tx.cancel_override(first, "dan") is True
        assert await tx.cancel_override(first, "erin") is False
        assert await tx.cancel_override(9999, "erin") is False
    assert [(c.entity, c.entity_id) for c in await store.changes_since(seq)] == [
        ("oncall", "primary")
    ]
    assert [r.id for r in await store.overrides()] == [second]
    cancelled = await store.override(first)
    assert cancelled is not None
    assert (cancelled.cancelled_by, cancelled.cancelled_at) == ("dan", T0 + timedelta(minutes=5))
    assert [r.id for r in await store.overrides(cancelled=True)] == [first, second]
    assert await store.override(9999) is None


async def test_two_processes_cancelling_at_once_cancel_it_once(backend: Backend) -> None:
    one, two = await backend.open(), await backend.open()
    async with one.transaction(T0) as tx:
        override_id = await tx.add_override("primary", COVER)
    assert [r.id for r in await two.overrides("primary")] == [override_id]

    async def cancel(store: Store, actor: str) -> bool:
        async with store.transaction() as tx:
            return await tx.cancel_override(override_id, actor)

    results = await asyncio.gather(cancel(one, "dan"), cancel(two, "erin"))
    assert sorted(results) == [False, True]
    record = await one.override(override_id)
    assert record is not None
    assert record.cancelled_by == ("dan" if results[0] else "erin")
