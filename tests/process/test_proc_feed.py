"""The change feed across processes: a reader in one process sees another's writes."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.support.cli import clean_env, warroom

from warroom.engine import Service
from warroom.model import Impact
from warroom.store import open_store

from .helpers import HERE, LineReader, spawn, stop


async def test_reader_process_sees_an_incident_declared_elsewhere(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    db = tmp_path / "shared.db"
    reader = spawn([sys.executable, str(HERE / "watch_feed.py"), str(db)], env)
    try:
        lines = LineReader(reader.stdout)
        assert lines.next(timeout=15) == "ready"

        store = await open_store(db)
        try:
            started = time.time()
            incident_id = await Service(store, "alice").declare_incident(
                [], "Checkout is down", Impact.CRITICAL
            )
            committed = time.time()
        finally:
            await store.close()

        line = lines.next(timeout=3)
        assert line is not None, reader.stderr.read()  # type: ignore[union-attr]
        batch = json.loads(line)
        latency = batch["seen_at"] - committed
        print(
            f"\nchange feed: seen by the other process {latency * 1000:.0f} ms after commit"
            f" ({(batch['seen_at'] - started) * 1000:.0f} ms after the action began)"
        )
        entities = {(entity, entity_id) for _, entity, entity_id in batch["changes"]}
        assert ("incident", str(incident_id)) in entities
        assert ("timeline", str(incident_id)) in entities
        assert latency < 1.0

        # a second writer process (the CLI's engine) is seen as well
        result = warroom("--demo", "--db", str(db), "engine", "--once", env=env)
        assert result.returncode == 0, result.stderr
        seen: set[str] = set()
        deadline = time.monotonic() + 3
        while not {"alerts", "source"} <= seen and time.monotonic() < deadline:
            line = lines.next(timeout=3)
            assert line is not None
            seen.update(entity for _, entity, _ in json.loads(line)["changes"])
        assert {"alerts", "source"} <= seen
    finally:
        stop(reader)
