"""Stored overrides: what escalation and the On-call tab pay for them (prints figures).

    python tests/bench/bench_overrides.py [--schedules 50] [--overrides 0,100,1000]

On a real SQLite file, for each count of overrides in force: one
`effective_schedules` call over the next 15 minutes (what escalation asks before
paging) and over a week, and the On-call tab's rows (now, next, overrides and a
week of shifts for every schedule), the work of one redraw.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_oncall import schedules

from warroom.engine.overrides import effective_schedules
from warroom.model.oncall import Override
from warroom.store import open_store
from warroom.tui.oncall_view import oncall_rows

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
REPEAT = 20


async def run(count: int, overrides: int) -> None:
    estate = {s.name: s for s in schedules(count)}
    with tempfile.TemporaryDirectory() as folder:
        store = await open_store(Path(folder) / "bench.db")
        try:
            async with store.transaction(NOW) as tx:
                for i in range(overrides):
                    name = f"s{i % count}"
                    start = NOW + timedelta(hours=i % 48)
                    cover = Override(start, start + timedelta(hours=2), f"p{i % count}-0", "x")
                    await tx.add_override(name, cover)
            for label, span in (("15 min", timedelta(minutes=15)), ("a week", timedelta(days=7))):
                began = time.perf_counter()
                for _ in range(REPEAT):
                    await effective_schedules(store, estate, NOW, NOW + span)
                each = (time.perf_counter() - began) / REPEAT * 1e3
                print(
                    f"{count} schedules, {overrides} overrides: effective_schedules over"
                    f" {label}: {each:.2f} ms"
                )
            records = await store.overrides(ending_after=NOW)
            merged = await effective_schedules(store, estate, NOW, NOW + timedelta(days=7))
            began = time.perf_counter()
            rows = oncall_rows(merged, records, NOW)
            took = (time.perf_counter() - began) * 1e3
            print(f"  On-call tab rows: {len(rows)} in {took:.1f} ms")
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=50)
    parser.add_argument("--overrides", default="0,100,1000")
    args = parser.parse_args()
    for overrides in (int(n) for n in args.overrides.split(",")):
        asyncio.run(run(args.schedules, overrides))


if __name__ == "__main__":
    main()
