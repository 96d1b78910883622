"""The engine lease: exactly one holder at a time, taken over on expiry or release."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from warroom.store import Store

from .helpers import T0, later

TTL = timedelta(seconds=10)


async def test_lease_lifecycle(store: Store) -> None:
    assert await store.lease() is None
    assert await store.try_acquire_lease("A", TTL, now=T0)
    info = await store.lease()
    assert info is not None
    assert (info.holder, info.expires_at) == ("A", T0 + TTL)
    assert info.is_live(later(9.9))

    # B cannot take it while A's lease is live, not even a moment before expiry
    assert not await store.try_acquire_lease("B", TTL, now=later(1))
    assert not await store.try_acquire_lease("B", TTL, now=later(9.999))
    assert (await store.lease()).holder == "A"  # type: ignore[union-attr]

    # once it has expired, B takes it
    assert await store.try_acquire_lease("B", TTL, now=later(10.5))
    info = await store.lease()
    assert info is not None
    assert (info.holder, info.expires_at) == ("B", later(10.5) + TTL)

    # and now A is the one locked out
    assert not await store.try_acquire_lease("A", TTL, now=later(11))


async def test_holder_renews_and_extends(store: Store) -> None:
    assert await store.try_acquire_lease("A", TTL, now=T0)
    assert await store.try_acquire_lease("A", TTL, now=later(5))
    assert (await store.lease()).expires_at == later(15)  # type: ignore[union-attr]
    # the renewal kept B out past the original expiry
    assert not await store.try_acquire_lease("B", TTL, now=later(12))
    assert await store.try_acquire_lease("B", TTL, now=later(15.5))


async def test_release_lets_another_take_it_at_once(store: Store) -> None:
    assert await store.try_acquire_lease("A", TTL, now=T0)
    await store.release_lease("A")
    assert await store.lease() is None
    assert await store.try_acquire_lease("B", TTL, now=later(0.1))
    assert (await store.lease()).holder == "B"  # type: ignore[union-attr]


async def test_release_by_a_non_holder_changes_nothing(store: Store) -> None:
    assert await store.try_acquire_lease("A", TTL, now=T0)
    await store.release_lease("B")
    assert (await store.lease()).holder == "A"  # type: ignore[union-attr]
    assert not await store.try_acquire_lease("B", TTL, now=later(1))


async def test_leases_are_named_independently(store: Store) -> None:
    assert await store.try_acquire_lease("A", TTL, now=T0)
    assert await store.try_acquire_lease("B", TTL, name="escalation", now=T0)
    assert (await store.lease("escalation")).holder == "B"  # type: ignore[union-attr]
    assert (await store.lease()).holder == "A"  # type: ignore[union-attr]


async def test_lease_is_exclusive_across_connections(db_path: Path) -> None:
    """Two stores on one file (as two processes would be): still one holder."""
    a = await Store.open(db_path)
    b = await Store.open(db_path)
    try:
        assert await a.try_acquire_lease("A", TTL, now=T0)
        assert not await b.try_acquire_lease("B", TTL, now=later(2))
        assert (await b.lease()).holder == "A"  # type: ignore[union-attr]
        assert await b.try_acquire_lease("B", TTL, now=later(11))
        assert not await a.try_acquire_lease("A", TTL, now=later(12))
        assert (await a.lease()).holder == "B"  # type: ignore[union-attr]
    finally:
        await a.close()
        await b.close()
