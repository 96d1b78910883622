"""How fast a large snapshot goes through the real diff-and-store path, and what it writes.

    python tests/bench/bench_store.py [--sizes 10000 50000] [--backend sqlite|postgresql|both]

`--backend postgresql` (or `both`) runs the same passes on a real PostgreSQL
started on loopback (`tests.support.postgres`), a fresh database per size, and
ends with the two backends side by side.

For each size, in a fresh process (so peak RSS is that size's own) and a fresh
database, synthetic Alertmanager /api/v2/alerts payloads (8 labels, 2
annotations, RFC 3339 timestamps with nanoseconds) go through the real
normaliser (`sources.alertmanager.normalise_alerts`) and are applied with
`Store.transaction()` + `Tx.apply_snapshot`, exactly as the poller does. Each
pass is a new payload, as a new poll is, with endsAt/updatedAt moved:

    first        every alert new: all rows inserted
    unchanged    the same alerts, only volatile fields moved: must write 0 rows
    1% changed   one alert in a hundred has a new annotation value
    10% gone     one alert in ten no longer reported: resolved
    steady       the 10%-gone payload again: must write 0 rows

Normalisation (raw dict -> Alert) is timed on its own, and so is `alert_digest`
(the per-alert CPU part of every diff), so the reader can see how
a pass's time splits between building alerts, hashing them and SQLite.

Prints figures only; exits 1 if a pass wrote other than the rows it should have
(a correctness bug, not a slow run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.postgres import running_postgres

from warroom.sources.alertmanager import normalise_alerts
from warroom.store import SnapshotResult, open_store
from warroom.store.rows import alert_digest

SOURCE = "am-prod"
DEFAULT_SIZES = (10_000, 50_000)

RawAlert = dict[str, Any]

_NAMES = (
    ("KubePodCrashLooping", "critical"),
    ("KubePodNotReady", "warning"),
    ("KubeDeploymentReplicasMismatch", "warning"),
    ("HighErrorRate", "critical"),
    ("LatencyP99High", "warning"),
    ("DiskAlmostFull", "warning"),
    ("TargetDown", "warning"),
    ("CPUThrottlingHigh", "info"),
    ("ContainerOOMKilled", "error"),
    ("CertificateExpiringSoon", "info"),
)
_CLUSTERS = ("prod-eu-1", "prod-eu-2", "prod-us-1", "prod-us-2", "prod-ap-1")
_NAMESPACES = ("payments", "checkout", "search", "identity", "notifications", "monitoring")


def raw_alert(i: int, revision: int = 0, poll: int = 0) -> RawAlert:
    """Alert `i` as Alertmanager's GET /api/v2/alerts returns it.

    `revision` changes an annotation (a real change); `poll` moves only the
    fields Alertmanager bumps on every evaluation (endsAt, updatedAt), which
    must not count as a change.
    """
    name, severity = _NAMES[i % len(_NAMES)]
    cluster = _CLUSTERS[i % len(_CLUSTERS)]
    namespace = _NAMESPACES[(i // 7) % len(_NAMESPACES)]
    service = f"{namespace}-svc-{i % 97:02d}"
    pod = f"{service}-{(i * 2654435761) % 0xFFFFFFFF:08x}-{i:06d}"
    second = i % 86_400
    day = f"2026-05-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    return {
        "labels": {
            "alertname": name,
            "severity": severity,
            "cluster": cluster,
            "namespace": namespace,
            "service": service,
            "pod": pod,
            "instance": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}:8080",
            "job": "kubernetes-pods",
        },
        "annotations": {
            "summary": f"{name} on {namespace}/{pod} in {cluster}",
            "description": (
                f"{service} has been in this state for more than 5 minutes"
                f" (observed value {(i * 37) % 1000 / 10:.1f}, revision {revision})."
            ),
        },
        "startsAt": f"{day}.{i % 1_000_000_000:09d}Z",
        "endsAt": f"2026-05-02T00:{4 + poll % 50:02d}:00.000Z",
        "updatedAt": f"2026-05-02T00:{poll % 60:02d}:30.123456789Z",
        # Alertmanager's own label hash; a bijection of i here, so every alert is distinct
        "fingerprint": f"{(i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF:016x}",
        "generatorURL": (
            f"https://prometheus.{cluster}.example/graph"
            f"?g0.expr=ALERTS%7Balertname%3D%22{name}%22%7D&g0.tab=1"
        ),
        "receivers": [{"name": f"{namespace}-pager"}],
        "status": {
            "state": "suppressed" if i % 50 == 0 else "active",
            "silencedBy": ["a1b2c3"] if i % 50 == 0 else [],
            "inhibitedBy": [],
        },
    }


@dataclass(frozen=True, slots=True)
class Pass:
    label: str
    payload: Callable[[], list[RawAlert]]  # built just before the pass, not timed
    expect: SnapshotResult  # the exact counts a correct diff gives


@dataclass(frozen=True, slots=True)
class Measured:
    label: str
    alerts: int
    normalise_s: float
    params_s: float
    apply_s: float
    result: SnapshotResult
    expect: SnapshotResult

    @property
    def correct(self) -> bool:
        return self.result == self.expect


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def build_passes(size: int) -> list[Pass]:
    """The passes in order; each payload is built just before its pass, so only one is live."""
    changed_every, gone_every = 100, 10
    n_changed = len(range(0, size, changed_every))
    n_gone = len(range(0, size, gone_every))

    def payload(poll: int, revised: bool = False, drop_gone: bool = False) -> list[RawAlert]:
        return [
            raw_alert(i, revision=int(revised and i % changed_every == 0), poll=poll)
            for i in range(size)
            if not (drop_gone and i % gone_every == 0)
        ]

    left = size - n_gone
    return [
        Pass("first (all new)", lambda: payload(0), SnapshotResult(inserted=size)),
        Pass("unchanged", lambda: payload(1), SnapshotResult(unchanged=size)),
        Pass(
            "1% changed",
            lambda: payload(2, revised=True),
            SnapshotResult(updated=n_changed, unchanged=size - n_changed),
        ),
        Pass(
            "10% gone",
            lambda: payload(3, revised=True, drop_gone=True),
            SnapshotResult(resolved=n_gone, unchanged=left),
        ),
        Pass(
            "steady after",
            lambda: payload(4, revised=True, drop_gone=True),
            SnapshotResult(unchanged=left),
        ),
    ]


async def run_size(size: int, db_path: Path | str) -> tuple[list[Measured], dict[str, float]]:
    passes = build_passes(size)
    extra: dict[str, float] = {}
    store = await open_store(db_path)
    measured: list[Measured] = []
    try:
        for p in passes:
            raws = p.payload()
            extra.setdefault("rss_after_first_payload_mb", rss_mb())
            gc.collect()  # the last pass's garbage is not this pass's cost
            t0 = time.perf_counter()
            alerts = normalise_alerts(SOURCE, raws)
            t1 = time.perf_counter()
            for alert in alerts:  # the per-alert CPU work inside apply_snapshot, alone
                alert_digest(alert)
            t2 = time.perf_counter()
            async with store.transaction() as tx:
                result = await tx.apply_snapshot(SOURCE, alerts)
            t3 = time.perf_counter()
            measured.append(
                Measured(p.label, len(alerts), t1 - t0, t2 - t1, t3 - t2, result, p.expect)
            )
            if p.label.startswith("first"):
                extra["db_mb_after_first"] = await _db_size(db_path) / 1e6
            del alerts, raws
        t0 = time.perf_counter()
        active = await store.active_alerts()
        extra["active_alerts_read_s"] = time.perf_counter() - t0
        extra["active_alerts"] = len(active)
    finally:
        await store.close()
    extra["db_mb_final"] = await _db_size(db_path) / 1e6
    return measured, extra


async def _db_size(path: Path | str) -> int:
    if isinstance(path, str):  # a PostgreSQL URL
        import asyncpg

        con = await asyncpg.connect(path)
        try:
            return int(await con.fetchval("SELECT pg_database_size(current_database())"))
        finally:
            await con.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def report(size: int, measured: list[Measured], extra: dict[str, float], baseline: float) -> bool:
    print(f"\n== {size:,} alerts (source {SOURCE!r}, 8 labels, 2 annotations) ==")
    header = (
        f"{'pass':<16} {'alerts':>7} {'normalise s':>11} {'params s':>9} {'apply s':>8}"
        f" {'rows written':>12} {'ins/upd/res/same':>24}  check"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for m in measured:
        r = m.result
        counts = f"{r.inserted}/{r.updated}/{r.resolved}/{r.unchanged}"
        if m.correct:
            verdict = "ok"
        else:
            ok = False
            e = m.expect
            verdict = f"WRONG, expected {e.inserted}/{e.updated}/{e.resolved}/{e.unchanged}"
        print(
            f"{m.label:<16} {m.alerts:>7,} {m.normalise_s:>11.3f} {m.params_s:>9.3f}"
            f" {m.apply_s:>8.3f} {r.rows_written:>12,} {counts:>24}  {verdict}"
        )
    print(
        "(params s: apply_snapshot's per-alert digest work, timed alone;"
        " apply s includes it, the stored-digest SELECT, the writes and the COMMIT)"
    )
    first = measured[0]
    per_alert_us = 1e6 * first.apply_s / max(1, first.alerts)
    steady = measured[1]
    print(
        f"first pass: {per_alert_us:.1f} µs/alert in apply_snapshot;"
        f" unchanged pass: {1e6 * steady.apply_s / max(1, steady.alerts):.1f} µs/alert"
        f" (params/digest alone ≈ {1e6 * steady.params_s / max(1, steady.alerts):.1f} µs);"
        f" normalise: {1e6 * first.normalise_s / max(1, first.alerts):.1f} µs/alert"
    )
    print(
        f"read back active_alerts() (what the console does on every change):"
        f" {extra['active_alerts_read_s']:.3f} s for {int(extra['active_alerts']):,} rows"
    )
    print(
        f"database: {extra['db_mb_after_first']:.1f} MB after first pass,"
        f" {extra['db_mb_final']:.1f} MB at the end (file + WAL, or the PostgreSQL database)"
    )
    print(
        f"peak RSS: {rss_mb():.0f} MB (interpreter + imports {baseline:.0f} MB;"
        f" after building the first payload {extra['rss_after_first_payload_mb']:.0f} MB)"
    )
    unchanged_passes = [m for m in measured if m.label in ("unchanged", "steady after")]
    for m in unchanged_passes:
        if m.result.rows_written:
            print(f"CORRECTNESS BUG: {m.label!r} pass wrote {m.result.rows_written} rows, not 0")
    return ok


def run_one(size: int, url: str | None) -> int:
    baseline = rss_mb()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        measured, extra = asyncio.run(run_size(size, url or Path(tmp) / "bench.db"))
    ok = report(size, measured, extra, baseline)
    times = " ".join(f"{m.apply_s:.4f}" for m in measured)
    print(f"SIDE {'postgresql' if url else 'sqlite'} {size} {times} {rss_mb():.0f}", flush=True)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # one size, in-process
    parser.add_argument("--url", help=argparse.SUPPRESS)  # its PostgreSQL database
    args = parser.parse_args(argv)
    if args.size is not None:
        return run_one(args.size, args.url)
    print(f"python {sys.version.split()[0]}, sqlite via aiosqlite, postgresql via asyncpg;")
    print("times are wall seconds")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    failed = False
    side: list[list[str]] = []
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running_postgres()) if "postgresql" in backends else None
        for backend in backends:
            for n, size in enumerate(args.sizes):
                command = [sys.executable, __file__, "--size", str(size)]
                if backend == "postgresql":
                    assert server is not None
                    name = f"bench_{os.getpid()}_{n}"
                    server.psql(f"CREATE DATABASE {name}")
                    command += ["--url", server.url(name)]
                print(f"\n### {backend}", flush=True)
                # A process per size, so each size's peak RSS is its own.
                done = subprocess.run(command, check=False, capture_output=True, text=True)
                for line in done.stdout.splitlines():
                    if line.startswith("SIDE "):
                        side.append(line.split()[1:])
                    else:
                        print(line)
                if done.returncode and done.stderr:
                    print(done.stderr[-2000:])
                failed |= done.returncode != 0
    _side_by_side(side)
    if failed:
        print("\nFAILED: a pass wrote a different number of rows than a correct diff would")
    return 1 if failed else 0


def _side_by_side(side: list[list[str]]) -> None:
    if not side:
        return
    labels = ("first", "unchanged", "1% changed", "10% gone", "steady")
    print("\n== apply seconds, side by side ==")
    print(f"{'backend':<11} {'alerts':>7} " + " ".join(f"{x:>10}" for x in labels) + "  peak MB")
    for backend, size, *times, peak in side:
        cells = " ".join(f"{float(t):>10.3f}" for t in times)
        print(f"{backend:<11} {int(size):>7,} {cells}  {peak:>7}")


if __name__ == "__main__":
    sys.exit(main())
