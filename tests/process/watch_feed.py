"""A reader process on the change feed: one JSON line per batch, flushed at once.

Usage: python watch_feed.py DB

Prints `ready` once the watcher has taken its baseline, then for every batch
`{"seen_at": EPOCH, "changes": [[seq, entity, entity_id], ...]}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

from warroom.store import open_store


async def main(db: Path) -> None:
    store = await open_store(db)
    feed = store.watch()
    try:
        first = asyncio.ensure_future(anext(feed))
        await asyncio.sleep(0.1)  # the generator has read its baseline and is polling
        print("ready", flush=True)
        batch = await first
        while True:
            line = {
                "seen_at": time.time(),
                "changes": [[c.seq, c.entity, c.entity_id] for c in batch],
            }
            print(json.dumps(line), flush=True)
            batch = await anext(feed)
    finally:
        await feed.aclose()
        await store.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(Path(sys.argv[1])))
