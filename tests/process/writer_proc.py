"""A responder's script in its own process: COUNT notes on one incident, then an
acknowledgement of it, each through the service API as the console makes them.

Usage: python writer_proc.py DB NAME INCIDENT COUNT   (DB: a file or a postgresql:// URL)

Prints `done I EVENT_ID` once note I is reported done (the call returned),
`failed I MESSAGE` when the store refused it, then `ack True|False`: what a
responder would have been told. The test holds the database against these lines.
WRITER_PAUSE (seconds, default 0) paces the notes, so a fault lands among them.
"""

from __future__ import annotations

import asyncio
import os
import sys

from warroom.engine import Service
from warroom.store import StoreError, open_store


async def main(db: str, name: str, incident: int, count: int) -> int:
    store = await open_store(db, create=False)
    try:
        service = Service(store, name)
        print("ready", flush=True)
        pause = float(os.environ.get("WRITER_PAUSE", "0"))
        for i in range(count):
            await asyncio.sleep(pause)
            try:
                event = await service.add_note(incident, f"{name} {i}")
            except StoreError as exc:
                print(f"failed {i} {str(exc).splitlines()[0]}", flush=True)
                continue
            print(f"done {i} {event}", flush=True)
        acked = await service.acknowledge(incident)
        print(f"ack {acked}", flush=True)
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    db, name, incident, count = sys.argv[1:5]
    sys.exit(asyncio.run(main(db, name, int(incident), int(count))))
