"""`warroom handoff` over a month of history (prints figures).

    python tests/bench/bench_handoff.py [--incidents 1000] [--events 100000]

Builds a database with the schema of `open_store`, then fills it with plain SQL
(fast): incidents spread over 30 days, the last 50 still open, timeline events
spread over the same days, 2,000 alerts. Runs `warroom handoff` (text and --json)
as a separate process, as a responder would, and prints its wall time and the
child's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.cli import clean_env, warroom_command

from warroom.store import open_store

DAY = 86400.0


def fill(path: Path, incidents: int, events: int, now: float) -> None:
    async def create() -> None:
        store = await open_store(path)
        await store.close()

    asyncio.run(create())
    rng = random.Random(12)
    db = sqlite3.connect(path)
    open_from = incidents - 50
    rows: list[tuple[object, ...]] = []
    for i in range(1, incidents + 1):
        created = now - rng.uniform(0, 30 * DAY)
        if i > open_from:
            rows.append((i, f"incident {i}", 3, "open", created, "bot", None, None, created))
        else:
            done = min(now, created + rng.uniform(600, 6 * 3600))
            rows.append((i, f"incident {i}", 3, "resolved", created, "bot", done, "bob", done))
    db.executemany(
        "INSERT INTO incidents (id, title, impact, status, created_at, created_by,"
        " resolved_at, resolved_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    kinds = ["note", "paged", "alert-added", "impact"]
    db.executemany(
        "INSERT INTO timeline (incident_id, at, kind, actor, text, data) VALUES (?,?,?,?,?,'{}')",
        (
            (
                rng.randint(1, incidents),
                now - rng.uniform(0, 30 * DAY),
                kinds[n % 4],
                "bot",
                f"event {n}" + (" #handoff" if n % 997 == 0 else ""),
            )
            for n in range(events)
        ),
    )
    db.executemany(
        "INSERT INTO alerts (source, fingerprint, name, state, severity, labels, annotations,"
        " starts_at, digest, first_seen, updated_at) VALUES (?,?,?,?,?,'{}','{}',?,'',?,?)",
        (
            (
                "am",
                f"fp{n}",
                f"Alert{n % 40}",
                "firing" if n % 5 == 0 else "resolved",
                "warning",
                now - rng.uniform(0, 3 * DAY),
                now - 3 * DAY,
                now - rng.uniform(0, 3 * DAY),
            )
            for n in range(2000)
        ),
    )
    db.commit()
    db.close()


def measure(path: Path, *more: str) -> tuple[float, int, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        warroom_command("--db", path, "handoff", *more),
        env={**clean_env(path.parent), "TZ": "UTC"},
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"warroom handoff failed: {done.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(peak, before), len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        fill(path, args.incidents, args.events, time.time())
        print(
            f"filled {args.incidents} incidents, {args.events} events"
            f" in {time.perf_counter() - start:.1f} s"
        )
        floor = measure(path, "--since", "1s")  # start-up and plans, almost nothing to say
        print(f"handoff --since 1s  : {floor[0]:.2f} s, peak RSS {floor[1] / 1024:.0f} MB")
        for label, more in (("text", ()), ("--json", ("--json",)), ("7d text", ("--since", "7d"))):
            took, peak, size = measure(path, *more)
            print(
                f"handoff {label:12}: {took:.2f} s, peak RSS {peak / 1024:.0f} MB,"
                f" {size / 1024:.0f} kB out"
            )
        events = json.loads(
            subprocess.run(
                warroom_command("--db", path, "handoff", "--json"),
                env={**clean_env(path.parent), "TZ": "UTC"},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        changes = sum(len(o["changes"]) for o in events["open"])
        print(
            f"12 h report: {len(events['open'])} open, {len(events['resolved'])} resolved,"
            f" {changes} changes, {len(events['notes'])} notes"
        )


if __name__ == "__main__":
    main()
