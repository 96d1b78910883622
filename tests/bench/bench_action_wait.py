"""Key-to-screen delay while a responder's action waits on the network (prints figures).

    python tests/bench/bench_action_wait.py [--delay 3] [--rounds 5]

A loopback Alertmanager stand-in serves 200 alerts and answers silence calls
after `--delay` seconds. Each round acknowledges the alert under the cursor
with `silence_on_ack` (so the action waits on the silence call), then presses
`down`/`up` every 20 ms while the action is pending, timing each press until
the cursor moved and the app painted. Before the actions ran in the background,
`a` then `down` moved the cursor after 3.04 s.
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

from tests.bench.bench_responsive import painted
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.storm import storm_body

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.sources.base import SourceSpec


async def run(delay: float, rounds: int) -> None:
    body = storm_body(200)
    silences = 0

    def handler(request: Request) -> Reply:
        nonlocal silences
        if request.path.endswith("/silences") and request.method == "POST":
            time.sleep(delay)
            silences += 1
            return Reply(200, json.dumps({"silenceID": f"s-{silences}"}).encode())
        if "/silences" in request.path:
            return Reply(200, b"[]")
        return Reply(200, body)

    with tempfile.TemporaryDirectory() as tmp, loopback(handler) as server:
        spec = SourceSpec(
            "am",
            "alertmanager",
            interval=timedelta(seconds=5),
            url=server.url,
            options={"silence_on_ack": True},
        )
        config = Config(database=Path(tmp) / "w.db", sources=(spec,))
        async with open_console(config, actor="bench") as app, app.run_test(size=(80, 24)):
            await app.ready.wait()
            table: Any = app.query_one("#alerts-table")
            while table.row_count < 200:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            table.focus()
            delays: list[float] = []
            waited: list[float] = []
            for _ in range(rounds):
                started = time.monotonic()
                app.simulate_key("a")
                while not app.pending_actions and time.monotonic() - started < 5:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                key = "down"
                while app.pending_actions:
                    row = table.cursor_row
                    if row == 0:
                        key = "down"  # up at the top would never move
                    pressed = time.monotonic()
                    app.simulate_key(key)
                    while table.cursor_row == row and time.monotonic() - pressed < 10:  # noqa: ASYNC110
                        await asyncio.sleep(0.001)
                    await painted(app)
                    delays.append(time.monotonic() - pressed)
                    key = "up" if key == "down" else "down"
                    await asyncio.sleep(0.02)
                waited.append(time.monotonic() - started)
                app.simulate_key("down")
                await asyncio.sleep(0.1)
            print(f"== {rounds} acknowledgements, each waiting {delay:.1f} s on the silence call")
            print(f"action took (key to done): median {statistics.median(waited):.2f} s")
            print(
                f"cursor key to screen while waiting: presses {len(delays)}"
                f"  median {statistics.median(delays) * 1000:.1f} ms"
                f"  p99 {sorted(delays)[int(len(delays) * 0.99) - 1] * 1000:.1f} ms"
                f"  worst {max(delays) * 1000:.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.delay, args.rounds))


if __name__ == "__main__":
    main()
