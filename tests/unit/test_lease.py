"""The engine lease: exactly one holder at a time, taken over on expiry or release."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from tests.support.waiting import until

from warroom.engine import Engine
from warroom.engine.poller import poll_forever
from warroom.engine.silences import expire_resolved_ack_silences
from warroom.model import Alert
from warroom.model.clock import utcnow
from warroom.store import LeaseLost, LeaseToken, Store, open_store
from warroom.store.database import _statements
from warroom.store.schema import APPLICATION_ID, MIGRATIONS

from .helpers import T0, later, make_alert

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
    a = await open_store(db_path)
    b = await open_store(db_path)
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


# ---------------------------------------------------------------- fencing (epoch)


async def test_epoch_grows_each_time_the_lease_changes_hands(store: Store) -> None:
    a1 = await store.acquire_lease("A", TTL, now=T0)
    assert a1 is not None
    # renewing, even re-taking its own expired lease, keeps the tenure
    assert await store.acquire_lease("A", TTL, now=later(5)) == a1
    assert await store.acquire_lease("A", TTL, now=later(30)) == a1
    b = await store.acquire_lease("B", TTL, now=later(41))
    assert b is not None and b.epoch > a1.epoch
    await store.release_lease("B")
    # a released (deleted) lease row does not reset the counter
    a2 = await store.acquire_lease("A", TTL, now=later(42))
    assert a2 is not None and a2.epoch > b.epoch


async def test_a_holder_that_lost_the_lease_cannot_commit_a_poll(store: Store) -> None:
    old = await store.acquire_lease("A", TTL, now=T0)
    assert old is not None
    async with store.transaction() as tx:
        await tx.check_lease(old)
        await tx.apply_snapshot("prom", [make_alert("Before")])
    # A stalls past its TTL; B takes over
    assert await store.acquire_lease("B", TTL, now=later(11))
    with pytest.raises(LeaseLost) as lost:
        async with store.transaction() as tx:
            await tx.check_lease(old)
            await tx.apply_snapshot("prom", [make_alert("Stale")])
    assert "B holds it now" in str(lost.value)
    assert [t.alert.name for t in await store.active_alerts()] == ["Before"]


async def test_losing_and_retaking_the_lease_still_fences_the_old_tenure(store: Store) -> None:
    """Same holder, new tenure: work fenced by the first one must not commit."""
    first = await store.acquire_lease("A", TTL, now=T0)
    assert first is not None
    assert await store.acquire_lease("B", TTL, now=later(11))
    await store.release_lease("B")
    second = await store.acquire_lease("A", TTL, now=later(12))
    assert second is not None and second.epoch != first.epoch
    with pytest.raises(LeaseLost):
        async with store.transaction() as tx:
            await tx.check_lease(first)
    async with store.transaction() as tx:
        await tx.check_lease(second)


async def test_renew_extends_only_the_same_tenure(store: Store) -> None:
    token = await store.acquire_lease("A", TTL, now=T0)
    assert token is not None
    assert await store.renew_lease(token, TTL, now=later(5))
    assert (await store.lease()).expires_at == later(15)  # type: ignore[union-attr]
    assert await store.acquire_lease("B", TTL, now=later(16))
    assert not await store.renew_lease(token, TTL, now=later(17))
    assert (await store.lease()).holder == "B"  # type: ignore[union-attr]


class SlowSource:
    """A source whose fetch takes `delay` seconds, as a slow Alertmanager would."""

    def __init__(self, delay: float) -> None:
        self.name = "slow"
        self.interval = timedelta(seconds=60)
        self.delay = delay

    async def fetch(self) -> list[Alert]:
        await asyncio.sleep(self.delay)
        return [make_alert("Old", source="slow")]

    async def close(self) -> None:
        return None


async def test_run_once_renews_the_lease_while_its_fetch_outlives_the_ttl(
    db_path: Path,
) -> None:
    """The fault suite's --once: nobody else may take the lease during its cycle."""
    store = await open_store(db_path)
    other = await open_store(db_path)
    try:
        engine = Engine(
            store,
            [SlowSource(1.0)],
            holder="once",
            lease_ttl=timedelta(seconds=0.3),
            renew_seconds=0.05,
        )
        cycle = asyncio.create_task(engine.run_once())
        taken = []
        for _ in range(15):  # about three TTLs of trying
            await asyncio.sleep(0.06)
            taken.append(await other.try_acquire_lease("engine", timedelta(seconds=10)))
        results = await cycle
        assert not any(taken), "another engine took the lease while --once was working"
        assert results["slow"] is not None and results["slow"].inserted == 1
        assert await store.lease() is None, "released at the end of the cycle"
    finally:
        await store.close()
        await other.close()


async def test_run_once_that_lost_the_lease_writes_nothing(db_path: Path) -> None:
    """If the lease is taken anyway (a stalled process), the fence stops the write."""
    store = await open_store(db_path)
    other = await open_store(db_path)
    try:
        engine = Engine(store, [SlowSource(0.5)], holder="once", renew_seconds=30)
        cycle = asyncio.create_task(engine.run_once())
        await asyncio.sleep(0.2)
        # as if the TTL had run out while it stalled: the other engine takes over
        assert await other.acquire_lease("engine", TTL, now=utcnow() + timedelta(seconds=11))
        with pytest.raises(LeaseLost):
            await cycle
        assert await other.active_alerts() == []
        assert (await other.lease()).holder == "engine"  # type: ignore[union-attr]
    finally:
        await store.close()
        await other.close()


async def test_poller_that_lost_the_lease_stops_and_the_engine_waits(db_path: Path) -> None:
    store = await open_store(db_path)
    other = await open_store(db_path)
    try:
        token = await store.acquire_lease("A", TTL)
        assert token is not None
        assert await other.acquire_lease("B", TTL, now=utcnow() + timedelta(seconds=11))
        source = SlowSource(0.0)
        # returns (rather than polling on) once its write is refused
        await asyncio.wait_for(poll_forever(store, source, lease=token), timeout=5)
        assert await other.active_alerts() == []
        health = await other.source_health()
        assert health == [], "not even the health of a refused poll is written"
    finally:
        await store.close()
        await other.close()


async def test_prune_and_silence_expiry_are_fenced(store: Store) -> None:
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [make_alert("Gone")])
        await tx.record_silence(
            "prom", "s1", "ack", "me", later(3600), None, [make_alert("Gone").key]
        )
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [])  # resolved, long ago: prunable
    stale = await store.acquire_lease("A", TTL, now=T0)
    assert stale is not None
    assert await store.acquire_lease("B", TTL, now=later(11))
    engine = Engine(store, [], holder="A")
    await engine._prune(stale)  # logs one line, writes nothing
    assert len(await store.alerts_by_key([make_alert("Gone").key])) == 1
    with pytest.raises(LeaseLost):
        await expire_resolved_ack_silences(store, _Silencer(), stale)  # type: ignore[arg-type]
    assert len(await store.open_ack_silences("prom")) == 1
    # the holder's own token does both
    current = await store.acquire_lease("B", TTL, now=later(12))
    assert current is not None
    await Engine(store, [], holder="B")._prune(current)
    assert await store.alerts_by_key([make_alert("Gone").key]) == []
    assert await expire_resolved_ack_silences(store, _Silencer(), current) == 1  # type: ignore[arg-type]


class _Silencer:
    name = "prom"

    async def expire_silence(self, silence_id: str) -> None:
        return None


class CountingSource:
    def __init__(self) -> None:
        self.name = "count"
        self.interval = timedelta(seconds=0.05)
        self.fetches = 0

    async def fetch(self) -> list[Alert]:
        self.fetches += 1
        return [make_alert("Counted", source="count")]

    async def close(self) -> None:
        return None


def _token(engine: Engine) -> LeaseToken | None:
    """`engine.token` read through a call: the engine's own task changes it while we
    await, which mypy cannot know of an attribute it has narrowed."""
    return engine.token


async def _last_attempt(store: Store) -> object:
    return next((h.last_attempt for h in await store.source_health()), None)


async def test_engine_that_loses_the_lease_stops_writing_and_resumes_under_a_new_epoch(
    db_path: Path,
) -> None:
    store = await open_store(db_path)
    other = await open_store(db_path)
    source = CountingSource()
    engine = Engine(store, [source], holder="A", renew_seconds=0.05)
    running = asyncio.create_task(engine.run())
    try:
        while await _last_attempt(other) is None:  # noqa: ASYNC110 (another store)
            await asyncio.sleep(0.02)
        first = engine.token
        assert first is not None
        # B takes over (as after A stalled past its TTL)
        assert await other.acquire_lease("B", TTL, now=utcnow() + timedelta(seconds=11))
        await asyncio.sleep(0.3)
        frozen = await _last_attempt(other)
        await asyncio.sleep(0.3)
        assert _token(engine) is None, "still polling without the lease"
        assert await _last_attempt(other) == frozen, "a poll was stored under B's lease"
        await other.release_lease("B")
        while engine.token is None:  # noqa: ASYNC110 (the engine's own loop)
            await asyncio.sleep(0.02)
        assert engine.token.epoch > first.epoch
        while await _last_attempt(other) == frozen:  # noqa: ASYNC110 (another store)
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await store.close()
        await other.close()


async def test_a_database_from_before_the_one_statement_lease_keeps_counting_epochs(
    tmp_path: Path,
) -> None:
    """Schema 6 deleted a released lease row and kept its epoch in lease_epochs;
    migration 7 moves the count into the row, so no epoch is handed out twice."""
    path = tmp_path / "v6.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    for script in MIGRATIONS[:6]:
        for statement in _statements(script):
            con.execute(statement)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("PRAGMA user_version = 6")
    # "engine" was released at epoch 7 (row deleted); "other" is held at epoch 3
    con.execute("INSERT INTO lease_epochs (name, epoch) VALUES ('engine', 7), ('other', 3)")
    con.execute(
        "INSERT INTO lease (name, holder, acquired_at, expires_at, epoch)"
        " VALUES ('other', 'old', 0, 4e9, 3)"
    )
    con.close()
    store = await open_store(path)
    try:
        assert await store.lease() is None
        token = await store.acquire_lease("new", timedelta(seconds=10))
        assert token is not None and token.epoch == 8
        assert await store.acquire_lease("new", timedelta(seconds=10), name="other") is None
        info = await store.lease("other")
        assert info is not None and info.holder == "old"
    finally:
        await store.close()


def _duty_tasks() -> list[str]:
    names = {"escalate", "deliver", "runbooks", "prune"}
    return sorted(t.get_name() for t in asyncio.all_tasks() if t.get_name() in names)


async def test_the_holders_other_duties_start_after_its_pollers_and_stop_with_them(
    db_path: Path,
) -> None:
    """The pollers start when the lease is won, the other duties `duties_delay` later
    (the console's first alerts wait for the first poll alone, issue 9); stopped
    before then, none of them is ever started."""
    store = await open_store(db_path)
    try:
        engine = Engine(store, [SlowSource(0.0)], holder="A", renew_seconds=0.05)
        engine.duties_delay = 0.5
        run = asyncio.create_task(engine.run())
        await until(lambda: engine.holding, 5, "the lease won")
        assert _duty_tasks() == []
        # no paging, no runbooks here: the prune duty alone
        await until(lambda: _duty_tasks() == ["prune"], 5, "the duties started")
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        assert _duty_tasks() == []

        engine = Engine(store, [SlowSource(0.0)], holder="A", renew_seconds=0.05)
        engine.duties_delay = 0.5
        run = asyncio.create_task(engine.run())
        await until(lambda: engine.holding, 5, "the lease won")
        run.cancel()  # the lease given up within the delay
        with contextlib.suppress(asyncio.CancelledError):
            await run
        await asyncio.sleep(0.7)
        assert _duty_tasks() == [], "a duty started after its engine stopped"
    finally:
        await store.close()
