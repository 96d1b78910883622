"""Two engines on one database file, as two real processes: one holds the lease and
polls; when it stops (cleanly or killed) the other takes over."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Loopback, Reply, Request, loopback
from tests.support.cli import alertmanager_config, clean_env, warroom_command
from tests.support.waiting import wait_until

from warroom.engine import Service
from warroom.model import AlertKey
from warroom.store import open_store

from .helpers import HERE, Db, LineReader, holder_pid, lease_holder, query, spawn, stop

LEASE_TTL = 10.0  # warroom.engine.runtime.LEASE_TTL


def _last_attempt(db: Db, source: str) -> float | None:
    rows = query(db, "SELECT last_attempt FROM source_health WHERE name = ?", (source,))
    return float(rows[0][0]) if rows and rows[0][0] is not None else None  # type: ignore[arg-type]


def test_term_hands_the_lease_over_quickly(tmp_path: Path, shared_db: Db) -> None:
    """`warroom --demo engine` twice; TERM the holder, the other polls within ~1 s."""
    env = clean_env(tmp_path)
    db = shared_db
    cmd = warroom_command("--db", db, "--demo", "engine")
    procs = [spawn(cmd, env), spawn(cmd, env)]
    try:
        by_pid = {p.pid: p for p in procs}
        holder, _ = wait_until(lambda: lease_holder(db), seconds=15)
        pid = holder_pid(holder)
        assert pid in by_pid, f"lease holder {holder!r} is none of our engines {list(by_pid)}"
        first_poll = wait_until(lambda: _last_attempt(db, "demo"), seconds=10)
        # a second later the lease is still the same process's: no flapping
        time.sleep(1.5)
        current = lease_holder(db)
        assert current is not None and holder_pid(current[0]) == pid
        assert current[1] > time.time(), "the holder keeps its lease renewed"
        survivor = next(p for p in procs if p.pid != pid)
        assert survivor.poll() is None

        term_at = time.time()
        by_pid[pid].send_signal(signal.SIGTERM)
        _new_holder, _ = wait_until(
            lambda: h if (h := lease_holder(db)) and holder_pid(h[0]) == survivor.pid else None,
            seconds=5,
            interval=0.02,
        )
        took = time.time() - term_at
        print(f"\nTERM hand-over: lease taken by pid {survivor.pid} after {took:.2f}s")
        assert took < 3.0, f"a released lease should be taken within ~1s, took {took:.2f}s"
        assert by_pid[pid].wait(timeout=5) == 0, by_pid[pid].stderr.read()  # type: ignore[union-attr]

        # the new holder polls at once
        polled = wait_until(
            lambda: (t := _last_attempt(db, "demo")) and t > term_at and t, seconds=5
        )
        assert polled > first_poll
        assert survivor.poll() is None
    finally:
        for p in procs:
            stop(p)


def _polls(log: Path) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        pid, at = line.split()
        out.append((int(pid), float(at)))
    return out


def test_only_the_holder_polls_and_kill_9_is_taken_over_after_the_ttl(
    tmp_path: Path, shared_db: Db
) -> None:
    env = clean_env(tmp_path)
    db = shared_db
    log = tmp_path / "polls.log"
    cmd = [sys.executable, str(HERE / "engine_proc.py"), str(db), str(log)]
    procs = [spawn(cmd, env), spawn(cmd, env)]
    try:
        for p in procs:
            line = LineReader(p.stdout).next(timeout=15)
            assert line and line.startswith("ready"), line
        holder, _ = wait_until(lambda: lease_holder(db), seconds=10)
        pid = holder_pid(holder)
        assert pid in {p.pid for p in procs}
        other = next(p for p in procs if p.pid != pid)
        victim = next(p for p in procs if p.pid == pid)

        time.sleep(2.0)  # about ten polls at 0.2 s
        polls = _polls(log)
        assert len(polls) >= 5, polls
        assert {p for p, _ in polls} == {pid}, "only the lease holder may poll"
        assert query(db, "SELECT count(*) FROM alerts WHERE source = 'probe'") == [(1,)]

        _, expires_at = lease_holder(db)  # type: ignore[misc]
        killed_at = time.time()
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=5)
        # the row stays: nobody released it
        assert holder_pid(lease_holder(db)[0]) == pid  # type: ignore[index]

        _new_holder, _ = wait_until(
            lambda: h if (h := lease_holder(db)) and holder_pid(h[0]) == other.pid else None,
            seconds=LEASE_TTL + 5,
            interval=0.05,
        )
        took = time.time() - killed_at
        print(
            f"\nkill -9 take-over after {took:.2f}s (lease had {expires_at - killed_at:.2f}s left)"
        )
        assert took >= expires_at - killed_at - 0.2, "taken over before the lease expired"
        assert took <= LEASE_TTL + 2.5

        wait_until(lambda: any(p == other.pid for p, _ in _polls(log)), seconds=3)
        polls = _polls(log)
        assert {p for p, _ in polls} == {pid, other.pid}
        first_by_other = min(at for p, at in polls if p == other.pid)
        assert first_by_other >= expires_at - 0.2, "the survivor polled while it had no lease"
        assert other.poll() is None
    finally:
        for p in procs:
            stop(p)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_clean_stop_releases_the_lease(tmp_path: Path, signum: int) -> None:
    env = clean_env(tmp_path)
    db = tmp_path / "solo.db"
    proc = spawn(warroom_command("--db", db, "--demo", "engine"), env)
    try:
        holder, _ = wait_until(lambda: lease_holder(db), seconds=15)
        assert holder_pid(holder) == proc.pid
        proc.send_signal(signum)
        assert proc.wait(timeout=5) == 0
        assert lease_holder(db) is None, "a clean stop must release the lease at once"
    finally:
        stop(proc)


# ------------------------------------------------ --once beside an engine: fencing


def _am_alerts(prefix: str, count: int) -> bytes:
    now = datetime.now(UTC)
    return json.dumps(
        [
            {
                "labels": {"alertname": "Fenced", "instance": f"{prefix}-{i}"},
                "annotations": {"summary": f"{prefix} {i}"},
                "startsAt": (now - timedelta(minutes=3)).isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
                "fingerprint": f"{prefix}-{i}",
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            }
            for i in range(count)
        ]
    ).encode()


def _config(tmp_path: Path, url: str, db: Db) -> Path:
    return alertmanager_config(tmp_path, url, database=db, interval="1s", timeout="120s")


def _active_new(db: Db) -> tuple[int, int]:
    """(active alerts of the newer snapshot, how many of them are acknowledged)."""
    rows = query(
        db,
        "SELECT count(*), count(acknowledged_at) FROM alerts"
        " WHERE source = 'am' AND fingerprint LIKE 'new-%' AND state != 'resolved'",
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)  # type: ignore[call-overload]


def _acknowledge_new(db: Db) -> None:
    """A responder acknowledges every alert of the newer snapshot (the service's path)."""

    async def ack() -> None:
        store = await open_store(db)
        try:
            keys = [AlertKey("am", f"new-{i}") for i in range(ALERTS)]
            await Service(store, "responder").acknowledge_alerts(keys)
        finally:
            await store.close()

    asyncio.run(ack())


ALERTS = 50


def _slow_first_answer(hang: float) -> tuple[Callable[[Request], Reply], threading.Event]:
    """The first request (--once's) gets the older snapshot after `hang` seconds;
    every later one (the engine's) the newer one at once."""
    first = threading.Event()
    old, new = _am_alerts("old", ALERTS), _am_alerts("new", ALERTS)

    def handler(request: Request) -> Reply:
        if not first.is_set():
            first.set()
            return Reply(200, old, hang_seconds=hang)
        return Reply(200, new)

    return handler, first


def _acks_survive(db: Db, server: Loopback) -> None:
    """Two more polls of the engine after the ack: every acknowledgement is still there."""
    polled = len(server.requests)
    wait_until(lambda: len(server.requests) >= polled + 2, seconds=15)
    time.sleep(0.5)  # the last poll's write
    assert _active_new(db) == (ALERTS, ALERTS), "acknowledgements were lost"


def test_once_whose_fetch_outlives_the_ttl_keeps_the_lease_and_every_ack(
    tmp_path: Path, shared_db: Db
) -> None:
    """Fault suite: `engine --once` with a fetch longer than the TTL, an engine waiting.

    Before, --once never renewed: the engine took over, stored the newer snapshot,
    a responder acknowledged it, and --once then wrote its older one over it
    (50 of 50 acknowledgements lost at the engine's next poll)."""
    env = clean_env(tmp_path)
    db = shared_db
    handler, first = _slow_first_answer(LEASE_TTL + 3)
    with loopback(handler) as server:
        config = _config(tmp_path, server.url, db)
        once = spawn(warroom_command("--config", config, "engine", "--once"), env)
        engine = None
        try:
            assert first.wait(timeout=20), "--once never asked the source"
            engine = spawn(warroom_command("--config", config, "engine"), env)
            wait_until(lambda: _active_new(db)[0] == ALERTS, seconds=LEASE_TTL + 20)
            beside = once.poll() is None
            _acknowledge_new(db)
            assert once.wait(timeout=30) == 0, once.stderr.read()  # type: ignore[union-attr]
            _acks_survive(db, server)
            # and the engine polled only once --once was done: it renewed all along
            assert not beside, "the engine polled beside a running --once"
        finally:
            stop(once)
            if engine is not None:
                stop(engine)


def test_once_that_lost_the_lease_while_stalled_writes_nothing(
    tmp_path: Path, shared_db: Db
) -> None:
    """A --once stopped (SIGSTOP: a stalled VM) past the TTL loses the lease; when it
    wakes, its older snapshot is refused by the fence: one line, exit 1, acks kept."""
    env = clean_env(tmp_path)
    db = shared_db
    handler, first = _slow_first_answer(1.0)
    with loopback(handler) as server:
        config = _config(tmp_path, server.url, db)
        once = spawn(warroom_command("--config", config, "engine", "--once"), env)
        engine = None
        try:
            assert first.wait(timeout=20), "--once never asked the source"
            once.send_signal(signal.SIGSTOP)
            engine = spawn(warroom_command("--config", config, "engine"), env)
            wait_until(lambda: _active_new(db)[0] == ALERTS, seconds=LEASE_TTL + 20)
            _acknowledge_new(db)
            once.send_signal(signal.SIGCONT)
            assert once.wait(timeout=30) == 1
            err = once.stderr.read()  # type: ignore[union-attr]
            assert "Traceback" not in err, err
            assert "lost the engine lease" in err, err
            assert query(db, "SELECT count(*) FROM alerts WHERE fingerprint LIKE 'old-%'") == [
                (0,)
            ], "the stale --once stored its snapshot"
            _acks_survive(db, server)
        finally:
            if once.poll() is None:
                once.send_signal(signal.SIGCONT)
            stop(once)
            if engine is not None:
                stop(engine)
