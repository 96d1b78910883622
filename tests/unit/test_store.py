"""The SQLite store: creation, migrations, snapshot diffing and the change feed."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from warroom.model import AlertKey, AlertState, EventKind, Impact, Severity
from warroom.model.value import replace
from warroom.store import SqliteStore, Store, open_store
from warroom.store.schema import APPLICATION_ID, SCHEMA_VERSION

from .helpers import T0, changes_after, later, make_alert


def _pragma(path: Path, name: str) -> object:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        con.close()


def _rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- opening


async def test_open_creates_private_directory_and_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "state" / "warroom.db"
    store = await open_store(path)
    try:
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        async with store.transaction() as tx:  # make SQLite create the -wal file
            await tx.add_event(None, EventKind.NOTE, "alice", "hello")
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0, "WAL readable by others"
    finally:
        await store.close()


async def test_open_uses_wal_and_sets_schema_version(store: Store, db_path: Path) -> None:
    assert str(_pragma(db_path, "journal_mode")).lower() == "wal"
    assert _pragma(db_path, "user_version") == SCHEMA_VERSION
    assert _pragma(db_path, "application_id") == APPLICATION_ID
    tables = {r[0] for r in _rows(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"alerts", "incidents", "timeline", "changes", "lease", "source_health"} <= tables


async def test_reopen_keeps_data_and_does_not_migrate_again(db_path: Path) -> None:
    store = await open_store(db_path)
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [make_alert()])
    await store.close()
    again = await open_store(db_path)
    try:
        assert len(await again.active_alerts()) == 1
        assert _pragma(db_path, "user_version") == SCHEMA_VERSION
    finally:
        await again.close()


async def test_concurrent_first_open_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    stores = await asyncio.gather(*(open_store(path) for _ in range(4)))
    try:
        assert _pragma(path, "user_version") == SCHEMA_VERSION
    finally:
        for s in stores:
            await s.close()


# ---------------------------------------------------------------- apply_snapshot


async def test_first_snapshot_inserts_everything(store: Store) -> None:
    alerts = [make_alert("A"), make_alert("B"), make_alert("C", severity=Severity.CRITICAL)]
    async with store.transaction(now=T0) as tx:
        result = await tx.apply_snapshot("prom", alerts)
    assert (result.inserted, result.updated, result.resolved, result.unchanged) == (3, 0, 0, 0)
    assert result.rows_written == 3
    stored = {t.alert.name: t for t in await store.active_alerts()}
    assert set(stored) == {"A", "B", "C"}
    assert stored["C"].alert == alerts[2]  # round-trips every field
    assert stored["A"].first_seen == T0
    assert stored["A"].acknowledged_at is None


async def test_same_snapshot_twice_writes_nothing(store: SqliteStore) -> None:
    alerts = [make_alert("A"), make_alert("B")]
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    seq = await store.last_change()
    async with store.transaction(now=later(15)) as tx:
        result = await tx.apply_snapshot("prom", list(alerts))
    assert result.rows_written == 0
    assert result.unchanged == 2
    assert await changes_after(store, seq) == []  # nothing woke anybody up
    # updated_at untouched: the rows really were not written
    assert _rows(store.path, "SELECT DISTINCT updated_at FROM alerts") == [(T0.timestamp(),)]


async def test_changed_alert_is_one_update(store: Store) -> None:
    a, b = make_alert("A"), make_alert("B")
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [a, b])
    worse = replace(b, severity=Severity.CRITICAL, annotations={"summary": "now 99%"})
    async with store.transaction(now=later(15)) as tx:
        result = await tx.apply_snapshot("prom", [a, worse])
    assert (result.inserted, result.updated, result.resolved, result.unchanged) == (0, 1, 0, 1)
    [stored] = await store.alerts_by_key([b.key])
    assert stored.alert.severity is Severity.CRITICAL
    assert stored.alert.summary == "now 99%"
    assert stored.first_seen == T0  # an update is not a new sighting


async def test_gone_alert_is_resolved_not_deleted(store: Store) -> None:
    a, b = make_alert("A"), make_alert("B")
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [a, b])
    async with store.transaction(now=later(30)) as tx:
        result = await tx.apply_snapshot("prom", [a])
    assert (result.inserted, result.updated, result.resolved) == (0, 0, 1)
    assert [t.alert.name for t in await store.active_alerts()] == ["A"]
    [gone] = await store.alerts_by_key([b.key])
    assert gone.alert.state is AlertState.RESOLVED
    assert gone.alert.ends_at == later(30)
    # resolving again is not a write
    async with store.transaction(now=later(45)) as tx:
        again = await tx.apply_snapshot("prom", [a])
    assert again.rows_written == 0


async def test_empty_snapshot_resolves_all_of_that_source_only(store: Store) -> None:
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [make_alert("A"), make_alert("B")])
        await tx.apply_snapshot("cw", [make_alert("X", source="cw")])
    async with store.transaction(now=later(5)) as tx:
        result = await tx.apply_snapshot("prom", [])
    assert result.resolved == 2
    assert [(t.alert.source, t.alert.name) for t in await store.active_alerts()] == [("cw", "X")]


async def test_resolved_alert_firing_again_is_updated_and_loses_old_ack(store: Store) -> None:
    a = make_alert("A")
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [a])
        assert await tx.acknowledge_alerts([a.key], "alice") == [a.key]
    [acked] = await store.alerts_by_key([a.key])
    assert acked.acknowledged_by == "alice"
    async with store.transaction(now=later(60)) as tx:
        assert (await tx.apply_snapshot("prom", [])).resolved == 1
    # back after longer than RETURN_GRACE: a new occurrence
    async with store.transaction(now=later(60 + 301)) as tx:
        result = await tx.apply_snapshot("prom", [a])  # the very same alert, again
    assert (result.inserted, result.updated) == (0, 1)
    [back] = await store.alerts_by_key([a.key])
    assert back.alert.state is AlertState.FIRING
    assert back.alert.ends_at is None
    assert back.acknowledged_at is None
    assert back.acknowledged_by is None


async def test_alert_gone_a_moment_comes_back_still_acknowledged(store: Store) -> None:
    """As found: an Alertmanager restart dropped every acknowledgement."""
    a = make_alert("A")
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [a])
        await tx.acknowledge_alerts([a.key], "alice")
    async with store.transaction(now=later(60)) as tx:
        assert (await tx.apply_snapshot("prom", [])).resolved == 1
    [gone] = await store.alerts_by_key([a.key])
    assert gone.alert.ends_at == later(60)  # it ended when it left, not at its endsAt
    async with store.transaction(now=later(60 + 299)) as tx:
        await tx.apply_snapshot("prom", [a])
    [back] = await store.alerts_by_key([a.key])
    assert back.alert.state is AlertState.FIRING
    assert (back.acknowledged_by, back.acknowledged_at) == ("alice", T0)


async def test_ack_survives_an_ordinary_update(store: Store) -> None:
    a = make_alert("A")
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [a])
        await tx.acknowledge_alerts([a.key], "alice")
    async with store.transaction(now=later(15)) as tx:
        await tx.apply_snapshot("prom", [replace(a, severity=Severity.CRITICAL)])
    [t] = await store.alerts_by_key([a.key])
    assert t.acknowledged_by == "alice"


async def test_duplicate_fingerprints_in_one_snapshot_count_once(store: Store) -> None:
    a = make_alert("A")
    async with store.transaction(now=T0) as tx:
        result = await tx.apply_snapshot("prom", [a, a, make_alert("B"), a])
    assert result.inserted == 2
    assert result.rows_written == 2
    assert len(await store.active_alerts()) == 2
    async with store.transaction(now=later(15)) as tx:
        again = await tx.apply_snapshot("prom", [a, a])
    assert (again.unchanged, again.resolved, again.rows_written) == (1, 1, 1)


async def test_snapshot_rejects_alert_of_another_source(store: Store) -> None:
    with pytest.raises(ValueError):
        async with store.transaction(now=T0) as tx:
            await tx.apply_snapshot("prom", [make_alert("A", source="cw")])
    assert await store.active_alerts() == []


# ---------------------------------------------------------------- the change feed


async def test_every_kind_of_write_appends_to_the_feed(store: Store) -> None:
    a = make_alert("A")
    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [a])
    assert await changes_after(store, seq) == [("alerts", "prom")]

    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        await tx.record_poll("prom", 15.0, ok=True, alert_count=1)
    assert await changes_after(store, seq) == [("source", "prom")]

    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        incident_id = await tx.create_incident("Disk", Impact.HIGH, "alice")
    assert await changes_after(store, seq) == [("incident", str(incident_id))]

    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        await tx.update_incident(incident_id, impact=Impact.LOW)
    assert await changes_after(store, seq) == [("incident", str(incident_id))]

    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        await tx.add_event(incident_id, EventKind.NOTE, "alice", "looking")
    assert await changes_after(store, seq) == [("timeline", str(incident_id))]

    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        await tx.attach_alerts(incident_id, [a.key])
    assert set(await changes_after(store, seq)) == {
        ("alerts", "prom"),
        ("incident", str(incident_id)),
    }

    seq = await store.last_change()
    async with store.transaction(now=T0) as tx:
        await tx.acknowledge_alerts([a.key], "bob")
    assert await changes_after(store, seq) == [("alerts", "prom")]

    seq = await store.last_change()
    assert await store.try_acquire_lease("me", later(10) - T0, now=T0)
    assert await changes_after(store, seq) == [("lease", "engine")]

    seq = await store.last_change()
    await store.release_lease("me")
    assert await changes_after(store, seq) == [("lease", "engine")]


async def test_feed_is_monotonic_and_one_row_per_entity_per_transaction(store: Store) -> None:
    async with store.transaction(now=T0) as tx:
        first = await tx.create_incident("one", Impact.LOW, "alice")
        await tx.add_event(first, EventKind.NOTE, "alice", "a")
        await tx.add_event(first, EventKind.NOTE, "alice", "b")
        await tx.update_incident(first, title="one!")
    changes = await store.changes_since(0)
    seqs = [c.seq for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    pairs = [(c.entity, c.entity_id) for c in changes]
    assert sorted(pairs) == [("incident", str(first)), ("timeline", str(first))]


async def test_failed_transaction_leaves_no_trace(store: Store) -> None:
    seq = await store.last_change()
    with pytest.raises(RuntimeError):
        async with store.transaction(now=T0) as tx:
            await tx.apply_snapshot("prom", [make_alert("A")])
            await tx.create_incident("never", Impact.LOW, "alice")
            raise RuntimeError("boom")
    assert await store.active_alerts() == []
    assert await store.incidents(include_resolved=True) == []
    assert await changes_after(store, seq) == []
    # and the writer is usable afterwards
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [make_alert("A")])
    assert len(await store.active_alerts()) == 1


async def test_prune_changes_keeps_the_newest(store: Store) -> None:
    for i in range(20):
        async with store.transaction(now=later(i)) as tx:
            await tx.add_event(None, EventKind.NOTE, "alice", f"n{i}")
    last = await store.last_change()
    async with store.transaction(now=later(30)) as tx:
        await tx.prune_changes(keep=5)
    remaining = await store.changes_since(0)
    assert [c.seq for c in remaining] == list(range(last - 4, last + 1))
    assert await store.last_change() == last


async def test_watch_yields_a_batch_for_a_write_by_another_connection(db_path: Path) -> None:
    reader = await open_store(db_path)
    writer = await open_store(db_path)
    try:
        feed = reader.watch()
        pending = asyncio.ensure_future(anext(feed))
        await asyncio.sleep(0.3)  # let the watcher take its baseline
        assert not pending.done()
        async with writer.transaction() as tx:
            incident_id = await tx.create_incident("Disk", Impact.HIGH, "alice")
        batch = await asyncio.wait_for(pending, timeout=2)
        assert [(c.entity, c.entity_id) for c in batch] == [("incident", str(incident_id))]
        await feed.aclose()
    finally:
        await reader.close()
        await writer.close()


async def test_watch_sees_writes_of_its_own_process(store: Store) -> None:
    feed = store.watch()
    pending = asyncio.ensure_future(anext(feed))
    await asyncio.sleep(0.3)
    async with store.transaction() as tx:
        await tx.add_event(None, EventKind.NOTE, "alice", "hello")
    batch = await asyncio.wait_for(pending, timeout=2)
    assert [(c.entity, c.entity_id) for c in batch] == [("timeline", "")]
    await feed.aclose()


async def test_watch_does_not_lose_a_commit_during_its_start(db_path: Path) -> None:
    reader = await open_store(db_path)
    writer = await open_store(db_path)
    try:
        original = reader.last_change

        async def last_change_then_someone_writes() -> int:
            seq = await original()
            async with writer.transaction() as tx:
                await tx.create_incident("raced", Impact.HIGH, "bob")
            return seq

        reader.last_change = last_change_then_someone_writes  # type: ignore[method-assign]
        feed = reader.watch()
        try:
            batch = await asyncio.wait_for(anext(feed), timeout=1.5)
        finally:
            await feed.aclose()
        assert [c.entity for c in batch] == ["incident"]
    finally:
        await reader.close()
        await writer.close()


async def test_two_watchers_on_one_store_both_see_a_change(db_path: Path) -> None:
    reader = await open_store(db_path)
    writer = await open_store(db_path)
    try:
        feeds = [reader.watch(), reader.watch()]
        pending = [asyncio.ensure_future(anext(f)) for f in feeds]
        await asyncio.sleep(0.3)
        async with writer.transaction() as tx:
            await tx.add_event(None, EventKind.NOTE, "alice", "hello")
        done, _ = await asyncio.wait(pending, timeout=1.5)
        for p in pending:
            p.cancel()
        for f in feeds:
            await f.aclose()
        assert len(done) == 2
    finally:
        await reader.close()
        await writer.close()


async def test_cancelled_while_waiting_for_the_write_lock_leaves_no_open_transaction(
    store: Store, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None, timeout=0.5)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing

        async def write() -> None:
            async with store.transaction() as tx:
                await tx.add_event(None, EventKind.NOTE, "alice", "blocked")

        task = asyncio.create_task(write())
        await asyncio.sleep(0.3)  # BEGIN IMMEDIATE is now waiting on the busy timeout
        task.cancel()  # e.g. the engine lost its lease and stops its pollers
        with pytest.raises(asyncio.CancelledError):
            await task
        other.execute("COMMIT")
        await asyncio.sleep(0.5)

        other.execute("BEGIN IMMEDIATE")  # others can write again
        other.execute("COMMIT")
        async with store.transaction() as tx:  # and so can we
            await tx.add_event(None, EventKind.NOTE, "alice", "after")
        assert [e.text for e in await store.timeline(None)] == ["after"]
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("start", range(1, SCHEMA_VERSION))
async def test_older_database_is_migrated_forward_keeping_its_data(
    tmp_path: Path, start: int
) -> None:
    from warroom.store.database import _statements
    from warroom.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    for script in MIGRATIONS[:start]:
        for statement in _statements(script):
            con.execute(statement)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(f"PRAGMA user_version = {start}")
    con.execute(
        "INSERT INTO incidents (title, impact, status, created_at, created_by, updated_at)"
        " VALUES ('kept', 3, 'open', 0, 'alice', 0)"
    )
    con.close()
    store = await open_store(path)
    try:
        assert [i.title for i in await store.incidents()] == ["kept"]
    finally:
        await store.close()
    assert _pragma(path, "user_version") == SCHEMA_VERSION


async def test_alerts_by_key_reads_many_keys_in_the_order_given(store: Store) -> None:
    alerts = [make_alert(f"A{i}", instance=str(i)) for i in range(1000)]
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    missing = AlertKey("prom", "not-there")
    wanted = [a.key for a in reversed(alerts[:900])]
    asked = [wanted[0], missing, *wanted, wanted[5]]  # a stranger and a repeat
    found = await store.alerts_by_key(asked)
    assert [t.key for t in found] == wanted
    assert found[0].alert == alerts[899]
    assert await store.alerts_by_key([]) == []
