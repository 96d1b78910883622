"""The search across incidents and timelines over a month of history (prints figures).

    python tests/bench/bench_search.py [--incidents 1000] [--events 100000]

Fills a database as tests/bench/bench_handoff.py does (1,000 incidents, 100,000
timeline events), then times `store.search_incidents` in process (the console's
`/` on the Incidents tab) for a rare text, a common one, one that matches
everything (bounded by the event limit) and one that matches nothing (a whole
scan), and `warroom incidents --search` as a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_handoff import fill
from tests.support.cli import clean_env, warroom_command

from warroom.store import open_store

NEEDLES = ("#handoff", "event 4242", "incident 99", "e", "no such text")


async def in_process(path: Path, rounds: int) -> None:
    store = await open_store(path, read_only=True)
    try:
        for needle in NEEDLES:
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                hits = await store.search_incidents(needle)
                times.append(time.perf_counter() - start)
            print(
                f"search {needle!r:16}: {len(hits):4} hits, median"
                f" {statistics.median(times) * 1000:6.1f} ms, max {max(times) * 1000:6.1f} ms"
            )
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        fill(path, args.incidents, args.events, time.time())
        print(f"{args.incidents} incidents, {args.events} timeline events")
        asyncio.run(in_process(path, args.rounds))
        start = time.perf_counter()
        done = subprocess.run(
            warroom_command("--db", path, "incidents", "--search", "#handoff"),
            env={**clean_env(path.parent), "TZ": "UTC"},
            capture_output=True,
            text=True,
            check=True,
        )
        took = time.perf_counter() - start
        print(
            f"warroom incidents --search '#handoff': {took:.2f} s,"
            f" {len(done.stdout.splitlines()) - 1} rows"
        )


if __name__ == "__main__":
    main()
