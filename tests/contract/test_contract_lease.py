"""The lease through the contract: one holder at a time, fenced by an epoch that never repeats."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tests.unit.helpers import T0

from warroom.store import LeaseLost, Store

from .conftest import Backend, new_incident, note

TTL = timedelta(seconds=10)


async def test_acquire_renew_and_refuse_another_holder(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    token = await a.acquire_lease("a", TTL, now=T0)
    assert token is not None and token.holder == "a"
    assert await b.acquire_lease("b", TTL, now=T0 + timedelta(seconds=5)) is None
    again = await a.acquire_lease("a", TTL, now=T0 + timedelta(seconds=5))
    assert again == token  # the same tenure: the same epoch
    assert await a.renew_lease(token, TTL, now=T0 + timedelta(seconds=12))
    # renewed to 22 s: still a's at 20 s
    assert await b.acquire_lease("b", TTL, now=T0 + timedelta(seconds=20)) is None
    info = await b.lease()
    assert info is not None and info.holder == "a"
    assert info.expires_at == T0 + timedelta(seconds=22)


async def test_an_expired_lease_goes_to_the_next_holder_with_a_higher_epoch(
    backend: Backend,
) -> None:
    a, b = await backend.open(), await backend.open()
    old = await a.acquire_lease("a", TTL, now=T0)
    assert old is not None
    new = await b.acquire_lease("b", TTL, now=T0 + timedelta(seconds=11))
    assert new is not None and new.epoch > old.epoch
    # the old holder learns it lost: renewal fails, and it never re-takes that tenure
    assert not await a.renew_lease(old, TTL, now=T0 + timedelta(seconds=12))
    assert await a.acquire_lease("a", TTL, now=T0 + timedelta(seconds=12)) is None


async def test_a_fenced_write_by_a_lost_holder_commits_nothing(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    incident_id = await new_incident(a)
    old = await a.acquire_lease("a", TTL, now=T0)
    assert old is not None
    assert await b.acquire_lease("b", TTL, now=T0 + timedelta(seconds=30)) is not None
    with pytest.raises(LeaseLost) as lost:
        async with a.transaction() as tx:
            await note(tx, incident_id, "written by a stale holder")
            await tx.check_lease(old)
    assert lost.value.current == "b"
    assert [e.text for e in await b.timeline(incident_id)] == []


async def test_released_the_lease_is_free_at_once_and_its_epoch_never_comes_back(
    backend: Backend,
) -> None:
    a, b = await backend.open(), await backend.open()
    first = await a.acquire_lease("a", TTL, now=T0)
    assert first is not None
    await a.release_lease("a")
    assert await a.lease() is None
    assert not await a.renew_lease(first, TTL, now=T0)
    second = await b.acquire_lease("b", TTL, now=T0 + timedelta(seconds=1))
    assert second is not None and second.epoch > first.epoch
    await b.release_lease("b")
    await b.release_lease("b")  # twice is harmless
    # the same holder back after a release is a new tenure: its old token stays dead
    third = await a.acquire_lease("a", TTL, now=T0 + timedelta(seconds=2))
    assert third is not None and third.epoch > second.epoch
    with pytest.raises(LeaseLost):
        async with a.transaction() as tx:
            await tx.check_lease(first)
    async with a.transaction() as tx:
        await tx.check_lease(third)


async def test_a_release_by_someone_else_changes_nothing(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    token = await a.acquire_lease("a", TTL, now=T0)
    await b.release_lease("b")
    info = await b.lease()
    assert info is not None and info.holder == "a"
    assert token is not None and await a.renew_lease(token, TTL, now=T0)


async def test_of_contenders_at_once_exactly_one_gets_the_lease(backend: Backend) -> None:
    stores = [await backend.open() for _ in range(5)]

    async def contend(store: Store, n: int) -> object:
        return await store.acquire_lease(f"p{n}", TTL, now=T0)

    tokens = await asyncio.gather(*(contend(s, n) for n, s in enumerate(stores)))
    winners = [t for t in tokens if t is not None]
    assert len(winners) == 1
    info = await stores[0].lease()
    assert info is not None and info.holder == winners[0].holder  # type: ignore[attr-defined]


async def test_a_new_tenure_is_announced_on_the_feed_and_a_renewal_is_not(store: Store) -> None:
    seq = await store.last_change()
    token = await store.acquire_lease("a", TTL, now=T0)
    assert token is not None
    assert [(c.entity, c.entity_id) for c in await store.changes_since(seq)] == [
        ("lease", "engine")
    ]
    seq = await store.last_change()
    await store.acquire_lease("a", TTL, now=T0 + timedelta(seconds=1))
    await store.renew_lease(token, TTL, now=T0 + timedelta(seconds=2))
    assert await store.changes_since(seq) == []
