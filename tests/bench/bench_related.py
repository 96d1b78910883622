"""Related items (prints figures): adding a 5 MiB attachment, and gathering an
incident's items (derived and kept) as the Incident tab does on every reload.

    python tests/bench/bench_related.py [--items 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.related import ATTACHMENT_MAX_BYTES
from warroom.store import open_store


async def main(items: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(Path(tmp) / "w.db")
        try:
            service = Service(store, "bench")
            incident = await service.declare_incident([], "bench", Impact.HIGH)
            blob = Path(tmp) / "big.log"
            blob.write_bytes(os.urandom(ATTACHMENT_MAX_BYTES))
            start = time.perf_counter()
            await service.add_related(incident, f"file:{blob}")
            attach = time.perf_counter() - start
            start = time.perf_counter()
            for n in range(items):
                await service.add_related(incident, f"https://wiki.example/page/{n}")
            adding = time.perf_counter() - start
            runs = 20
            start = time.perf_counter()
            for _ in range(runs):
                found = await service.related(incident)
            gather = (time.perf_counter() - start) / runs
        finally:
            await store.close()
    print(f"attach {ATTACHMENT_MAX_BYTES >> 20} MiB (read, sha256, insert): {attach * 1000:.1f} ms")
    print(f"add one link: {adding / items * 1000:.2f} ms each over {items}")
    print(f"gather {len(found)} items: {gather * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    asyncio.run(main(parser.parse_args().items))
