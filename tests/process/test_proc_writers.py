"""Three responders' scripts writing at once beside a polling engine, on each backend.

Every action reported done is in the database exactly once (lost actions: 0,
duplicates: 0); of three acknowledgements of one incident exactly one is told it
acknowledged; and the engine kept polling all along (its writes and theirs
interleave). On SQLite the writers take turns on one file; on PostgreSQL they
write at once under READ COMMITTED. Prints the counts.

`WARROOM_WRITER_ACTIONS` (default 150) sets each writer's number of notes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.loopback import Reply, Request, loopback
from tests.support.cli import alertmanager_config, clean_env, warroom_command
from tests.support.waiting import wait_until

from warroom.engine import Service
from warroom.model import EventKind, Impact
from warroom.store import open_store

from .helpers import HERE, Db, query, spawn, stop

ACTIONS = int(os.environ.get("WARROOM_WRITER_ACTIONS", "150"))
WRITERS = ("alice", "bob", "carol")
ALERTS = 200


def _answer() -> tuple[object, itertools.count[int]]:
    polls = itertools.count(1)
    now = datetime.now(UTC)

    def handler(request: Request) -> Reply:
        n = next(polls)  # every poll changes every alert: the engine writes each time
        return Reply(
            200,
            json.dumps(
                [
                    {
                        "labels": {"alertname": "Busy", "instance": f"host-{i}"},
                        "annotations": {"summary": f"poll {n}"},
                        "startsAt": (now - timedelta(minutes=1)).isoformat(),
                        "fingerprint": f"busy-{i}",
                        "status": {"state": "active"},
                    }
                    for i in range(ALERTS)
                ]
            ).encode(),
        )

    return handler, polls


async def _incident(db: Db) -> int:
    store = await open_store(db)
    try:
        return await Service(store, "lead").declare_incident([], "Busy", Impact.HIGH)
    finally:
        await store.close()


async def _timeline(db: Db, incident: int) -> list[tuple[EventKind, str, str, int]]:
    store = await open_store(db)
    try:
        return [(e.kind, e.actor, e.text, e.id) for e in await store.timeline(incident)]
    finally:
        await store.close()


def _last_success(db: Db) -> float:
    rows = query(db, "SELECT last_success FROM source_health WHERE name = 'am'")
    return float(rows[0][0]) if rows and rows[0][0] is not None else 0.0  # type: ignore[arg-type]


def test_three_writers_beside_a_polling_engine_lose_nothing(tmp_path: Path, shared_db: Db) -> None:
    env = clean_env(tmp_path)
    db = shared_db
    incident = asyncio.run(_incident(db))
    handler, polls = _answer()
    with loopback(handler) as server:  # type: ignore[arg-type]
        config = alertmanager_config(tmp_path, server.url, database=db, interval="1s")
        engine = spawn(warroom_command("--config", config, "engine"), env)
        writers = []
        try:
            wait_until(lambda: _last_success(db), seconds=30, what="the engine's first poll")
            started = time.time()
            script = [sys.executable, str(HERE / "writer_proc.py"), str(db)]
            # the writes must outlast the engine's 1 s interval, or "it kept polling"
            # is not tested: in one CI run 3 x 150 notes took 0.7 s in all. At 10 ms
            # between a writer's notes they span 1.5 s at least, on any machine.
            paced = {**env, "WRITER_PAUSE": "0.01"}
            argv = [[*script, name, str(incident), str(ACTIONS)] for name in WRITERS]
            writers = [spawn(args, paced) for args in argv]
            outputs = {}
            for name, writer in zip(WRITERS, writers, strict=True):
                out, err = writer.communicate(timeout=300)
                assert writer.returncode == 0, err
                assert "Traceback" not in err, err
                outputs[name] = out.splitlines()
            took = time.time() - started
            polled_during = _last_success(db) > started
            assert engine.poll() is None, engine.stderr.read()  # type: ignore[union-attr]
        finally:
            for proc in (*writers, engine):
                stop(proc)

    events = asyncio.run(_timeline(db, incident))
    notes = Counter(text for kind, _, text, _ in events if kind is EventKind.NOTE)
    reported = {
        f"{name} {line.split()[1]}"
        for name, lines in outputs.items()
        for line in lines
        if line.startswith("done ")
    }
    refused = sum(1 for lines in outputs.values() for line in lines if line.startswith("failed "))
    lost = sorted(reported - set(notes))
    duplicates = sorted(t for t, n in notes.items() if n > 1)
    unreported = sorted(set(notes) - reported)
    acked = [name for name, lines in outputs.items() if "ack True" in lines]
    backend = "postgresql" if isinstance(db, str) else "sqlite"
    print(
        f"\n{backend}: {len(WRITERS)} writers x {ACTIONS} notes beside a polling engine in"
        f" {took:.1f}s: reported done {len(reported)}, refused {refused}, lost {len(lost)},"
        f" duplicates {len(duplicates)}, committed but reported failed {len(unreported)};"
        f" acknowledged by {acked}; engine polls {next(polls) - 1}"
    )
    assert lost == [], f"reported done but not in the database: {lost[:5]}"
    assert duplicates == [], duplicates
    assert unreported == [], f"committed but reported as failed: {unreported[:5]}"
    assert len(acked) == 1, f"acknowledged by {acked}: exactly one should be told it did"
    assert [a for k, a, _, _ in events if k is EventKind.ACKNOWLEDGED] == acked
    assert polled_during, "the engine stopped polling while the writers wrote"
