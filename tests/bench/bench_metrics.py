"""The Metrics tab: time to the first chart, render cost, bytes on the wire (prints figures).

    python tests/bench/bench_metrics.py [--window 35] [--renders 300]

1. Render: `chart.render` of a 181-point series with a gap, a threshold and three
   events at 78x18 (what an 80x24 tab gives one chart), and the widget's Text built
   from it, per chart.
2. With a real Prometheus (a rule over its own `go_goroutines` that fires) and a
   fresh database holding an incident of that alert, the console on an 80x24
   pseudo-terminal: the time from pressing F9 (Incident open) to the chart's
   threshold line on screen, the bytes of one forced refresh (ctrl+r) with no new
   sample, and the bytes per second over `--window` seconds while the tab refreshes
   by itself every 15 s (a new sample every step arrives and is repainted).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ptyrun import PtyProcess, bench_env, load_note
from tests.e2e.servers import prometheus

from warroom.engine import Service
from warroom.engine.poller import poll_once
from warroom.model import Impact
from warroom.model.series import Chart, Mark, Series
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.store import open_store

RULES = """
groups:
  - name: bench
    interval: 1s
    rules:
      - alert: ManyGoroutines
        expr: go_goroutines{job="self"} > 1
        labels: {severity: warning}
"""
THRESHOLD_MARKER = "╌ > 1"


def bench_render(count: int) -> None:
    from rich.text import Text

    from warroom.tui.chart import render
    from warroom.tui.metrics_view import ROLE_STYLES

    t0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    points = tuple(
        (t0 + timedelta(seconds=30 * i), 0.1 + 0.001 * i + 0.03 * math.sin(i / 7))
        for i in range(181)
        if not 90 <= i < 95
    )
    chart = Chart(
        "k",
        "HighLatency · p99",
        "q",
        "prom",
        t0,
        t0 + timedelta(minutes=90),
        (Series({"job": "api"}, points),),
        threshold=0.25,
        operator=">",
        marks=(
            Mark(t0 + timedelta(minutes=40), "declared"),
            Mark(t0 + timedelta(minutes=43), "acknowledged"),
            Mark(t0 + timedelta(minutes=80), "resolved"),
        ),
    )
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        rows = render(chart, 78, 18, UTC)
        text = Text(no_wrap=True)
        for row in rows:
            for chunk, role in row:
                text.append(chunk, style=ROLE_STYLES.get(role, ""))
        timings.append(time.perf_counter() - began)
    runs = sum(len(row) for row in rows)
    print(
        f"render 78x18, 176 points, threshold, 3 events: median"
        f" {statistics.median(timings) * 1000:.2f} ms, p95"
        f" {sorted(timings)[int(0.95 * len(timings))] * 1000:.2f} ms ({count} renders,"
        f" {runs} style runs)"
    )


async def seed(db: Path, url: str) -> int:
    """The rule's alert, polled from Prometheus into the store, and an incident of it."""
    store = await open_store(db)
    source = PrometheusSource(SourceSpec("prom", "prometheus", url=url))
    try:
        for _ in range(120):
            await poll_once(store, source)
            alerts = [a for a in await store.active_alerts() if a.alert.name == "ManyGoroutines"]
            if alerts:
                break
            await asyncio.sleep(0.5)
        else:
            raise SystemExit("the rule's alert never reached the store")
        return await Service(store, "bench").declare_incident(
            [alerts[0].key], "goroutines", Impact.HIGH
        )
    finally:
        await source.close()
        await store.close()


def bench_console(window: float) -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        with prometheus(tmp / "prom", rules=RULES) as url:
            db = tmp / "w.db"
            asyncio.run(seed(db, url))
            config = tmp / "config.yaml"
            config.write_text(
                f"database: {db}\nsources:\n  - name: prom\n    type: prometheus\n"
                f"    url: {url}\n    interval: 1h\n"
            )
            argv = [sys.executable, "-m", "warroom", "--config", str(config), "console"]
            with PtyProcess(argv, env=bench_env({"TZ": "UTC"})) as pty:
                if pty.wait_for_text("ManyGoroutines", 60) is None:
                    raise SystemExit("the console never showed the alert")
                pty.read_for(1.0)
                for key in (b"\x1bOQ", b"\r"):  # F2, enter: the incident opens
                    os.write(pty.master, key)
                    pty.read_for(1.0)
                pressed = time.monotonic()
                os.write(pty.master, b"\x1b[20~")  # F9
                seen = pty.wait_for(lambda text: THRESHOLD_MARKER in text[-20000:], 60)
                if seen is None:
                    raise SystemExit("no chart drawn")
                first = pty.started + seen - pressed
                print(f"F9 to the first chart drawn (real Prometheus): {first * 1000:.0f} ms")
                pty.read_for(2.0)
                before = pty.transcript.total()
                os.write(pty.master, b"\x12")  # ctrl+r, right away: no new sample
                pty.read_for(2.0)
                print(f"a refresh with no new sample: {pty.transcript.total() - before} bytes")
                start = time.monotonic()
                before = pty.transcript.total()
                pty.read_for(window)
                sent = pty.transcript.total() - before
                span = time.monotonic() - start
                print(
                    f"refreshing by itself every 15 s for {span:.0f} s:"
                    f" {sent} bytes, {sent / span:.0f} bytes/s (status bar clock included)"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=35.0)
    parser.add_argument("--renders", type=int, default=300)
    args = parser.parse_args()
    print(load_note())
    bench_render(args.renders)
    bench_console(args.window)


if __name__ == "__main__":
    main()
