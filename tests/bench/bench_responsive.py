"""Key-to-screen delay while the console polls an alert storm (prints figures).

    python tests/bench/bench_responsive.py [--alerts 50000] [--polls 3] [--size 80x24]
        [--series]

Serves N alerts in Alertmanager's format from loopback, runs the console
(Textual's headless driver, 80x24) polling it every 5 s, and presses `down`/`up`
every 20 ms. Each press is injected as the terminal would (no waiting for the
app to go idle) and timed until the table's cursor has moved and the app has
painted since (the next compositor refresh after the move). Reports the worst
and median delay during polls (fetch, parse, normalise, diff, store, redraw)
and between them.

`--series` adds a Prometheus (the same loopback) that has a rule for every storm
alert and answers its range queries, so at 100 columns or more the Alerts tab's
TREND column fetches sparklines for the rows on screen while the keys are timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.storm import storm_body

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.sources.base import SourceSpec
from warroom.tui.app import WarroomApp


def prometheus_reply(request: Request) -> Reply:
    """A rule per storm name, and a small wave for each query: what `--series` asks."""
    if request.path == "/api/v1/rules":
        rules = [
            {"name": f"Storm{i}", "query": f'storm_load{{n="{i}"}} > 1', "type": "alerting"}
            for i in range(40)
        ]
        data: object = {"groups": [{"name": "storm", "rules": rules}]}
    elif request.path == "/api/v1/query_range":
        start, end = float(request.query["start"][0]), float(request.query["end"][0])
        step = float(request.query["step"][0].rstrip("s"))
        values, at = [], start
        while at <= end:
            values.append([at, str(1 + (at // step) % 5)])
            at += step
        data = {"resultType": "matrix", "result": [{"metric": {"job": "node"}, "values": values}]}
    else:
        data = {"alerts": []}
    return Reply(200, json.dumps({"status": "success", "data": data}).encode())


async def run(alerts: int, polls: int, size: tuple[int, int], series: bool) -> None:
    body = storm_body(alerts)
    requests: list[float] = []
    ranges: list[float] = []

    def handler(request: Request) -> Reply:
        if request.path.startswith("/api/v1/"):
            ranges.append(time.monotonic())
            return prometheus_reply(request)
        requests.append(time.monotonic())
        return Reply(200, body)

    with tempfile.TemporaryDirectory() as tmp, loopback(handler) as server:
        spec = SourceSpec(
            "am",
            "alertmanager",
            interval=timedelta(seconds=5),
            url=server.url,
            options={"timeout": "60s"},
        )
        prom = SourceSpec("prom", "prometheus", interval=timedelta(hours=1), url=server.url)
        sources = (spec, prom) if series else (spec,)
        config = Config(database=Path(tmp) / "w.db", sources=sources)
        async with open_console(config, actor="bench") as app, app.run_test(size=size):
            await app.ready.wait()
            samples: list[tuple[float, float, bool]] = []  # (at, delay, polling)
            successes: list[float] = []
            last_success = None
            key = "down"
            deadline = time.monotonic() + 120
            while len(successes) < polls and time.monotonic() < deadline:
                health = await app.store.source_health()
                success = health[0].last_success if health else None
                if success is not None and success != last_success:
                    last_success = success
                    successes.append(time.monotonic())
                polling = len(requests) > len(successes)
                table: Any = app.query_one("#alerts-table")
                if table.row_count < 2:  # nothing to move through yet
                    await asyncio.sleep(0.02)
                    continue
                row = table.cursor_row
                started = time.monotonic()
                app.simulate_key(key)
                while table.cursor_row == row and time.monotonic() - started < 10:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                await painted(app)
                samples.append((started, time.monotonic() - started, polling))
                key = "up" if key == "down" else "down"
                await asyncio.sleep(0.02)
            during = [d for _, d, p in samples if p]
            outside = [d for _, d, p in samples if not p]
            view: Any = app.query_one("#view-alerts")
            print(
                f"== {alerts:,} alerts, {len(successes)} polls, {len(samples)} key presses,"
                f" {size[0]}x{size[1]}, {len(ranges)} Prometheus requests"
            )
            print(
                f"rows listed by the Alerts tab: {view.table.row_count:,};"
                f" alerts it holds (on screen and near): {len(view.loaded):,}"
            )
            for label, values in (("during a poll", during), ("between polls", outside)):
                if values:
                    median = statistics.median(values) * 1000
                    p99 = (
                        statistics.quantiles(values, n=100, method="inclusive")[98] * 1000
                        if len(values) > 1
                        else 0
                    )
                    print(
                        f"{label:14}  presses {len(values):4}  median {median:7.1f} ms"
                        f"  p99 {p99:7.1f} ms  worst {max(values) * 1000:7.1f} ms"
                    )


async def painted(app: WarroomApp) -> None:
    """Wait for the screen's next refresh after the change (the frame the responder sees)."""
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await asyncio.wait_for(done.wait(), 10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--size", default="80x24", help="the terminal, COLUMNSxROWS")
    parser.add_argument("--series", action="store_true", help="a Prometheus with series too")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    asyncio.run(run(args.alerts, args.polls, (columns, rows), args.series))


if __name__ == "__main__":
    main()
