"""A burst of keys in one raw terminal write, to the real console on a real pty.

This is how SSH delivers fast typing: `/a` arrives in one read. The `a` must
land in the filter, never acknowledge the incident under the cursor.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench.ptyrun import PtyProcess, bench_env, text_by_row

from warroom.engine import Service
from warroom.model import Alert, AlertKey, AlertState, Impact, IncidentStatus, Severity
from warroom.store import open_store


async def _seed(db: Path) -> int:
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            await tx.apply_snapshot(
                "am",
                [
                    Alert(
                        source="am",
                        fingerprint="disk",
                        name="DiskFull",
                        state=AlertState.FIRING,
                        severity=Severity.CRITICAL,
                        starts_at=datetime.now(UTC) - timedelta(minutes=5),
                        labels={"alertname": "DiskFull", "instance": "db-1"},
                        annotations={"summary": "disk 97% on db-1"},
                    )
                ],
            )
        return await Service(store, "bob").declare_incident(
            [AlertKey("am", "disk")], "Disk trouble", Impact.MEDIUM
        )
    finally:
        await store.close()


async def _incident_status(db: Path, incident_id: int) -> IncidentStatus:
    store = await open_store(db)
    try:
        found = await store.incident(incident_id)
        assert found is not None
        return found.status
    finally:
        await store.close()


def test_slash_a_in_one_raw_write_types_a_into_the_filter(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {db}\nsources: []\n")
    incident_id = asyncio.run(_seed(db))
    argv = [sys.executable, "-m", "warroom", "--config", str(config)]
    with PtyProcess(argv, env=bench_env()) as console:
        assert console.wait_for_text("DiskFull", timeout=30) is not None, (
            "the console never showed the seeded alert"
        )
        console.read_for(0.5)  # let it settle: the cursor is on the only row
        os.write(console.master, b"/a")  # one write, as SSH delivers a fast typist
        start = time.monotonic()
        console.read_for(2.0)
        status = asyncio.run(_incident_status(db, incident_id))
        assert status is IncidentStatus.OPEN, "the a acknowledged the incident"
        after = text_by_row(console.transcript.between(start, time.monotonic()))
        # the filter field's last paint: its border and the a typed into it
        last_paints = [row.split(" | ")[-1].strip("▊▎ ") for row in after.values()]
        assert "a" in last_paints, after
