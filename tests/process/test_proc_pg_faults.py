"""Faults only a database server has: a network partition between the engine and
PostgreSQL, a connection cut mid-transaction, the server restarted under load.

The partition is real TCP: the engine reaches PostgreSQL through a loopback
proxy (`tests.support.tcp_proxy`) that the test pauses, so the engine's
statements go out and nothing comes back, as across a broken network. The
promise checked: the holder that can no longer renew stops its duties before
its lease runs out, and the other engine starts only after it has.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import cast

import pytest
from tests.support.cli import clean_env
from tests.support.postgres import PostgresServer
from tests.support.tcp_proxy import tcp_proxy
from tests.support.waiting import wait_until

from warroom.engine import Service
from warroom.model import Impact
from warroom.store import StoreUnreachable, open_store

from .helpers import HERE, LineReader, holder_pid, lease_holder, query, spawn, stop

LEASE_TTL = 10.0  # warroom.engine.runtime.LEASE_TTL


def _polls(log: Path) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        pid, at = line.split()
        out.append((int(pid), float(at)))
    return out


def test_partitioned_holder_stops_polling_before_the_other_engine_starts(
    tmp_path: Path, pg_db: str, postgres_server: PostgresServer
) -> None:
    """Two engines; the holder's link to PostgreSQL is paused (no RST, no answer).

    Its source answers slowly (a fetch lasts 30 s and marks the log every 0.1 s),
    so a holder that does not stop on its own keeps polling through the partition.
    Before the fix it did: its renewal waited forever on the silent connection,
    its duties ran on, and it polled beside the engine that took over."""
    env = {**clean_env(tmp_path), "PROBE_FETCH_SECONDS": "30"}
    log = tmp_path / "polls.log"
    with tcp_proxy(postgres_server.port) as proxy:
        cut_off = [sys.executable, str(HERE / "engine_proc.py"), proxy.url(pg_db), str(log)]
        victim = spawn(cut_off, env)
        other = None
        try:
            assert (LineReader(victim.stdout).next(timeout=20) or "").startswith("ready")
            holder, _ = wait_until(lambda: lease_holder(pg_db), seconds=15)
            assert holder_pid(holder) == victim.pid
            other = spawn([sys.executable, str(HERE / "engine_proc.py"), pg_db, str(log)], env)
            assert (LineReader(other.stdout).next(timeout=20) or "").startswith("ready")
            wait_until(lambda: len(_polls(log)) >= 10, seconds=10)

            proxy.pause()
            paused_at = time.time()
            time.sleep(0.5)  # a renewal already on the server lands; later ones cannot
            _, expires_at = lease_holder(pg_db)  # type: ignore[misc]
            taken = wait_until(
                lambda: h if (h := lease_holder(pg_db)) and holder_pid(h[0]) == other.pid else None,
                seconds=LEASE_TTL + 10,
                interval=0.05,
            )
            took = time.time() - paused_at
            wait_until(lambda: any(p == other.pid for p, _ in _polls(log)), seconds=5)
            time.sleep(2.0)  # the cut-off engine has every chance to poll on

            polls = _polls(log)
            last_by_victim = max(at for p, at in polls if p == victim.pid)
            first_by_other = min(at for p, at in polls if p == other.pid)
            print(
                f"\npartition: the holder stopped polling {expires_at - last_by_victim:.2f}s"
                f" before its lease ran out; taken over {took:.2f}s after the pause,"
                f" first poll by the new holder {first_by_other - last_by_victim:.2f}s after"
                " the old holder's last"
            )
            assert taken[1] > expires_at
            assert last_by_victim < expires_at, "the cut-off holder polled past its lease"
            assert first_by_other >= expires_at - 0.2, "taken over before the lease expired"
            assert last_by_victim < first_by_other

            # the link comes back: the old holder finds the lease taken and stays off it
            proxy.resume()
            time.sleep(3.0)
            assert victim.poll() is None, victim.stderr.read()  # type: ignore[union-attr]
            holder_now = lease_holder(pg_db)
            assert holder_now is not None and holder_pid(holder_now[0]) == other.pid
            assert max(at for p, at in _polls(log) if p == victim.pid) == last_by_victim
            victim.send_signal(signal.SIGTERM)
            assert victim.wait(timeout=15) == 0
            err = victim.stderr.read()  # type: ignore[union-attr]
            assert "Traceback" not in err, err
            assert "database unreachable" in err, err
        finally:
            stop(victim)
            if other is not None:
                stop(other)


async def _terminate_backends(url: str) -> None:
    store = await open_store(url)
    try:
        async with store.transaction() as tx:
            await tx._db.execute(  # type: ignore[attr-defined]
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid != pg_backend_pid()"
            )
    finally:
        await store.close()


async def test_connection_cut_mid_transaction_commits_nothing_and_says_unreachable(
    pg_db: str, postgres_server: PostgresServer
) -> None:
    """An action whose connection is reset before COMMIT: StoreUnreachable, nothing
    written, and the next action on the same store works (the pool replaces it)."""
    with tcp_proxy(postgres_server.port) as proxy:
        url = proxy.url(pg_db)
        store = await open_store(url)
        try:
            service = Service(store, "alice")
            first = await service.declare_incident([], "before the cut", Impact.HIGH)
            with pytest.raises(StoreUnreachable) as raised:
                async with store.transaction() as tx:
                    await tx.create_incident("cut mid-transaction", Impact.HIGH, "alice")
                    proxy.cut()
                    await asyncio.sleep(0.1)
            assert "database unreachable" in str(raised.value)
            assert "Traceback" not in str(raised.value)
            titles = await asyncio.to_thread(
                query, pg_db, "SELECT title FROM incidents ORDER BY id"
            )
            assert titles == [("before the cut",)], "a transaction cut before COMMIT was kept"
            again = await service.declare_incident([], "after the cut", Impact.LOW)
            assert again > first
        finally:
            await store.close()


async def test_pg_terminate_backend_mid_transaction_is_unreachable_and_rolled_back(
    pg_db: str,
) -> None:
    """The server ends the connection (pg_terminate_backend) while a transaction is open."""
    store = await open_store(pg_db)
    try:
        with pytest.raises(StoreUnreachable):
            async with store.transaction() as tx:
                await tx.create_incident("terminated", Impact.HIGH, "alice")
                await _terminate_backends(pg_db)
                await tx.create_incident("terminated too", Impact.HIGH, "alice")
        count = await asyncio.to_thread(query, pg_db, "SELECT count(*) FROM incidents")
        assert count == [(0,)], "a transaction ended by the server was kept"
        service = Service(store, "alice")
        assert await service.declare_incident([], "after", Impact.LOW) >= 1
    finally:
        await store.close()


def test_postgresql_restarted_under_load(
    tmp_path: Path, pg_db: str, postgres_server: PostgresServer
) -> None:
    """The server restarts while an engine polls and a responder's script writes.

    Every note reported done is in the database afterwards; the ones written while
    it was down were refused in one line each ("database unreachable"), never a
    traceback; the engine polls and stores again once the server is back."""
    env = {**clean_env(tmp_path), "WRITER_PAUSE": "0.02"}
    log = tmp_path / "polls.log"
    incident = asyncio.run(_declare(pg_db))
    engine = spawn([sys.executable, str(HERE / "engine_proc.py"), pg_db, str(log)], env)
    writer = None
    try:
        assert (LineReader(engine.stdout).next(timeout=20) or "").startswith("ready")
        wait_until(lambda: lease_holder(pg_db), seconds=15)
        script = [sys.executable, str(HERE / "writer_proc.py"), pg_db, "alice"]
        writer = spawn([*script, str(incident), "400"], env)
        lines = LineReader(writer.stdout)
        assert lines.next(timeout=20) == "ready"
        assert (lines.next(timeout=20) or "").startswith("done 0")
        postgres_server.restart(down_seconds=2.0)
        back = time.time()
        out = [line for line in iter(lambda: lines.next(timeout=120), None)]
        assert writer.wait(timeout=60) == 0, writer.stderr.read()  # type: ignore[union-attr]
        err = writer.stderr.read()  # type: ignore[union-attr]
        assert "Traceback" not in err, err
        # the engine stores its polls again
        wait_until(
            lambda: (
                (r := query(pg_db, "SELECT last_success FROM source_health"))
                and cast(float, r[0][0]) > back
            ),
            seconds=20,
            what="the engine to store a poll after the restart",
        )
        assert engine.poll() is None, engine.stderr.read()  # type: ignore[union-attr]
    finally:
        stop(engine)
        if writer is not None:
            stop(writer)

    done = {int(line.split()[1]) for line in ["done 0 x", *out] if line.startswith("done ")}
    failed = [line for line in out if line.startswith("failed ")]
    notes = {
        int(str(t).split()[1])
        for (t,) in query(pg_db, "SELECT text FROM timeline WHERE kind = 'note'")
    }
    lost = sorted(done - notes)
    unreported = sorted(notes - done)
    print(
        f"\nrestart under load: {len(done)} notes reported done, {len(failed)} refused while"
        f" down, lost {len(lost)}, committed but reported failed {len(unreported)}"
    )
    assert failed, "the restart refused no note: did it happen while the script wrote?"
    assert all("database unreachable" in line for line in failed), failed[:3]
    assert lost == [], f"reported done, not in the database: {lost[:5]}"


async def _declare(url: str) -> int:
    store = await open_store(url)
    try:
        return await Service(store, "lead").declare_incident([], "restart", Impact.HIGH)
    finally:
        await store.close()
