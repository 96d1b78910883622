"""Writes one poll through the engine's chunked path, in its own process, to be killed.

Usage: python ingest_proc.py DB COUNT REVISION KEEP   (DB: a file or a postgresql:// URL)

The snapshot holds alerts 0..KEEP-1 of `storm(COUNT, REVISION)`: those are
changed (when REVISION moved), the rest are gone. Chunks are kept small and
paced so a test can kill -9 the process between, or in the middle of, them.
Prints `writing` before the first chunk and `done` after the last.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from warroom.engine import ingest, process_identity
from warroom.model import Alert, AlertState, Severity
from warroom.store import open_store
from warroom.store.snapshot import snapshot_digests

SOURCE = "crash"


def storm(count: int, revision: int) -> list[Alert]:
    return [
        Alert(
            source=SOURCE,
            fingerprint=f"fp-{i:05d}",
            name="Crash",
            state=AlertState.FIRING,
            severity=Severity.WARNING,
            starts_at=datetime(2026, 1, 1, tzinfo=UTC),
            labels={"alertname": "Crash", "instance": f"host-{i}", "rev": str(revision)},
            annotations={"summary": f"rev {revision}", "description": "x" * 200},
        )
        for i in range(count)
    ]


async def main(db: str, count: int, revision: int, keep: int) -> int:
    ingest.FIRST_CHUNK = ingest.MAX_CHUNK = 50
    ingest.PAUSE = 0.02
    store = await open_store(db)
    token = await store.acquire_lease(process_identity(), timedelta(minutes=5))
    assert token is not None
    alerts = storm(count, revision)[:keep]
    print("writing", flush=True)
    await ingest.store_snapshot(store, SOURCE, 15, alerts, snapshot_digests(alerts), lease=token)
    await store.release_lease(token.holder)
    await store.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    db, count, revision, keep = sys.argv[1:5]
    sys.exit(asyncio.run(main(db, int(count), int(revision), int(keep))))
