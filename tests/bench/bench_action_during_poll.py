"""A responder's action while the engine writes a poll that changes 10,000 alerts.

    python tests/bench/bench_action_during_poll.py [--alerts 10000] [--polls 3]
                                                   [--mode chunked|single|both]
                                                   [--backend sqlite|postgresql|both]

Two real processes on one database file, as a console and `warroom engine` are:

- the writer (a subprocess) seeds the alerts, then writes `--polls` polls that
  each change every alert (a new annotation value), through the engine's real
  path (`engine.ingest.store_snapshot`, fenced by the lease: "chunked"), or in
  one transaction as the engine did before ("single": `Tx.apply_snapshot`);
- this process meanwhile adds notes through `Service.add_note` on its own
  connection, one after another with 10 ms between, and times each.

Prints, per mode, the median, p99 and max latency of the actions made while a
poll was being written (normalising the payload does not count), and
the longest write-lock hold of a poll (BEGIN IMMEDIATE to COMMIT, measured by
the writer). Prints figures only. With `--backend postgresql` (or `both`) the
same runs go to a real PostgreSQL on loopback, a fresh database per run: there
the "hold" is the poll's transaction, which no longer blocks other writers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_store import SOURCE, raw_alert
from tests.support.postgres import running_postgres

from warroom.engine import Service
from warroom.engine.ingest import store_snapshot
from warroom.model import Impact
from warroom.sources.alertmanager import normalise_alerts
from warroom.store import open_store
from warroom.store.snapshot import snapshot_digests

ACTION_GAP = 0.01


async def writer(db: Path | str, mode: str, count: int, polls: int) -> None:
    store = await open_store(db)
    token = await store.acquire_lease("bench-writer", timedelta(hours=1))
    assert token is not None
    seed = normalise_alerts(SOURCE, [raw_alert(i) for i in range(count)])
    await store_snapshot(store, SOURCE, 15, seed, snapshot_digests(seed), lease=token)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    for poll in range(1, polls + 1):
        alerts = normalise_alerts(
            SOURCE, [raw_alert(i, revision=poll, poll=poll) for i in range(count)]
        )
        digests = snapshot_digests(alerts)
        started = time.perf_counter()
        wall = time.time()
        if mode == "chunked":
            result = await store_snapshot(store, SOURCE, 15, alerts, digests, lease=token)
            hold, transactions = result.longest_hold, result.transactions
        else:
            async with store.transaction() as tx:
                began = time.perf_counter()
                await tx.check_lease(token)
                result = await tx.apply_snapshot(SOURCE, alerts, digests)
                await tx.record_poll(SOURCE, 15, ok=True, alert_count=len(alerts))
            hold, transactions = time.perf_counter() - began, 1
        took = time.perf_counter() - started
        assert result.updated == count, result
        print(f"poll {poll} {took:.4f} {hold:.4f} {transactions} {wall:.6f}", flush=True)
        await asyncio.sleep(0.3)
    print("done", flush=True)
    await store.close()


async def run_mode(mode: str, count: int, polls: int, url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = url or Path(tmp) / "bench.db"
        store = await open_store(db)
        service = Service(store, "responder")
        incident = await service.declare_incident([], "bench", Impact.LOW)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--writer",
            str(db),
            mode,
            str(count),
            str(polls),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        actions: list[tuple[float, float]] = []  # (wall start, seconds)
        windows: list[tuple[float, float]] = []  # each poll's write, wall clock
        holds: list[float] = []
        took: list[float] = []
        transactions: list[int] = []
        done = asyncio.Event()

        async def read_writer() -> None:
            assert proc.stdout is not None
            while line := (await proc.stdout.readline()).decode().split():
                if line[0] == "poll":
                    took.append(float(line[2]))
                    holds.append(float(line[3]))
                    transactions.append(int(line[4]))
                    windows.append((float(line[5]), float(line[5]) + float(line[2])))
                elif line[0] == "done":
                    break
            done.set()

        reader = asyncio.create_task(read_writer())
        n = 0
        while not done.is_set():
            wall, started = time.time(), time.perf_counter()
            await service.add_note(incident, f"note {n}")
            actions.append((wall, time.perf_counter() - started))
            n += 1
            await asyncio.sleep(ACTION_GAP)
        await reader
        await proc.wait()
        await store.close()
    # only the actions made while a poll was being written
    latencies = sorted(
        took for at, took in actions if any(a <= at + took and at <= b for a, b in windows)
    )
    return {
        "actions": len(latencies),
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "poll_s": statistics.median(took),
        "hold_ms": max(holds) * 1000,
        "transactions": statistics.median(transactions),
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        db, mode, count, polls = sys.argv[2:6]
        where = db if db.startswith("postgresql://") else Path(db)
        asyncio.run(writer(where, mode, int(count), int(polls)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--mode", choices=("chunked", "single", "both"), default="both")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args()
    modes = ("single", "chunked") if args.mode == "both" else (args.mode,)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"{args.alerts} alerts changed per poll, {args.polls} polls, a note every 10 ms")
    print(
        f"{'backend':10} {'mode':8} {'actions':>7} {'median':>9} {'p99':>9} {'max':>9}"
        f" {'poll':>7} {'tx':>4} {'longest hold':>13}"
    )
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running_postgres()) if "postgresql" in backends else None
        for n, (backend, mode) in enumerate((b, m) for b in backends for m in modes):
            url = None
            if backend == "postgresql":
                assert server is not None
                server.psql(f"CREATE DATABASE storm_{n}")
                url = server.url(f"storm_{n}")
            r = asyncio.run(run_mode(mode, args.alerts, args.polls, url))
            print(
                f"{backend:10} {mode:8} {r['actions']:7.0f} {r['median_ms']:7.1f}ms"
                f" {r['p99_ms']:7.1f}ms {r['max_ms']:7.1f}ms {r['poll_s']:6.2f}s"
                f" {r['transactions']:4.0f} {r['hold_ms']:11.1f}ms",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
