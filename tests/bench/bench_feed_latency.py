"""A change seen by another host's console: commit to feed wake-up, on both backends.

    python tests/bench/bench_feed_latency.py [--actions 200] [--backend sqlite|postgresql|both]

The "other host" is a separate process on the change feed
(`tests/process/watch_feed.py`, what a console's watcher does): on SQLite it
wakes on `PRAGMA data_version`, on PostgreSQL on LISTEN/NOTIFY (with a 1 s poll
behind it). This process adds notes through `Service.add_note`, one at a time
with a random gap, and for each one times:

    commit -> seen    from the action's return (its COMMIT done) to the watcher's batch
    action -> seen    from the action's start to the watcher's batch (what a
                      responder on the other host waits, the writer's time included)

Prints median, p99 and max of each. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import running_postgres  # noqa: E402

from warroom.engine import Service  # noqa: E402
from warroom.model import Impact  # noqa: E402
from warroom.store import open_store  # noqa: E402

WATCHER = ROOT / "tests" / "process" / "watch_feed.py"


async def _run(db: str, actions: int) -> tuple[list[float], list[float]]:
    store = await open_store(db)
    service = Service(store, "bench")
    incident = await service.declare_incident([], "feed latency", Impact.LOW)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WATCHER), db, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        assert (await proc.stdout.readline()).strip() == b"ready"
        await asyncio.sleep(0.3)
        after_commit, after_start = [], []
        for n in range(actions):
            await asyncio.sleep(random.uniform(0.02, 0.1))
            started = time.time()
            await service.add_note(incident, f"note {n}")
            committed = time.time()
            while True:
                batch = json.loads(await asyncio.wait_for(proc.stdout.readline(), 10))
                if any(e == "timeline" for _, e, _ in batch["changes"]):
                    break
            after_commit.append(max(0.0, batch["seen_at"] - committed))
            after_start.append(batch["seen_at"] - started)
        return after_commit, after_start
    finally:
        proc.terminate()
        await proc.wait()
        await store.close()


def _line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:<16} median {statistics.median(ordered) * 1000:6.1f} ms"
        f"  p99 {p99 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="warroom-feed-")))
        server = stack.enter_context(running_postgres()) if "postgresql" in backends else None
        for backend in backends:
            if backend == "postgresql":
                assert server is not None
                server.psql("CREATE DATABASE feed")
                db = server.url("feed")
            else:
                db = str(tmp / "feed.db")
            commit, start = asyncio.run(_run(db, args.actions))
            print(f"{backend}: {args.actions} notes, watched by another process")
            print("  " + _line("commit -> seen", commit))
            print("  " + _line("action -> seen", start), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
