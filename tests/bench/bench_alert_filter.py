"""The filtered Alerts view at storm size, SQLite and PostgreSQL side by side (prints figures).

    python tests/bench/bench_alert_filter.py [--alerts 50000]

Stores N alerts (8 labels, a summary) with `Tx.apply_snapshot` in a fresh
SQLite file and in a fresh database of a real PostgreSQL started in a
temporary directory, then times `Store.shown_alerts` (what the Alerts tab asks
on every change of the filter and every refresh) for the unfiltered view and
filters of each kind: equality, a regex, free words. For PostgreSQL it also
times the read it replaced (every active alert loaded and filtered in Python).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.postgres import running_postgres

from warroom.model import Alert, AlertState, Severity
from warroom.model.filter import AlertFilter
from warroom.store import Store, open_store, rows
from warroom.store.alert_listing import ALERT_ORDER

FILTERS = (
    "",
    'alertname="DiskFull"',
    "cluster=c3 namespace!=ns-1",
    'instance=~"web-1.*"',
    "disk",
    "c3 filling",
)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def storm(count: int) -> list[Alert]:
    names = ("DiskFull", "CpuHigh", "LatencyHigh", "TargetDown", "QueueBacklog")
    severities = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)
    return [
        Alert(
            source="am",
            fingerprint=f"fp{n:06d}",
            name=names[n % 5],
            state=AlertState.FIRING,
            severity=severities[n % 3],
            labels={
                "alertname": names[n % 5],
                "cluster": f"c{n % 7}",
                "namespace": f"ns-{n % 13}",
                "instance": f"web-{n}",
                "job": "node",
                "team": f"team-{n % 4}",
                "region": "eu-west-1",
                "pod": f"pod-{n % 101}",
            },
            annotations={"summary": f"{names[n % 5]} on web-{n}: filling fast"},
            starts_at=T0 + timedelta(seconds=n),
        )
        for n in range(count)
    ]


async def fill(store: Store, alerts: list[Alert]) -> None:
    async with store.transaction() as tx:
        await tx.apply_snapshot("am", alerts)


async def old_pg_read(store: Any, text: str) -> int:
    """What the PostgreSQL store did before: every active alert, filtered in Python."""
    wanted = AlertFilter.parse(text)
    found = await store._pool.fetch(
        f"SELECT {rows.ALERT_COLUMNS} FROM alerts WHERE state != 'resolved' ORDER BY {ALERT_ORDER}"
    )
    return sum(1 for r in found if wanted.matches(rows.tracked_alert(tuple(r))))


async def timed(call: Any, repeat: int = 3) -> tuple[float, int]:
    times, shown = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - start)
        shown = result if isinstance(result, int) else len(result)
    return statistics.median(times) * 1000, shown


async def measure(label: str, target: str, alerts: list[Alert], old: bool) -> None:
    store = await open_store(target)
    try:
        start = time.perf_counter()
        await fill(store, alerts)
        print(f"{label}: stored {len(alerts):,} alerts in {time.perf_counter() - start:.1f} s")
        for text in FILTERS:
            ms, shown = await timed(lambda t=text: store.shown_alerts(t))
            line = f"  {text or '(no filter)':32} {shown:>7,} shown  {ms:8.1f} ms"
            if old and text:
                before, _ = await timed(lambda t=text: old_pg_read(store, t))
                line += f"   (before: {before:8.1f} ms)"
            print(line)
    finally:
        await store.close()


async def main_async(count: int) -> None:
    alerts = storm(count)
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as server:
        await measure("sqlite", str(Path(tmp) / "bench.db"), alerts, old=False)
        server.psql("CREATE DATABASE bench")
        await measure("postgresql", server.url("bench"), alerts, old=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=50_000)
    asyncio.run(main_async(parser.parse_args().alerts))


if __name__ == "__main__":
    main()
