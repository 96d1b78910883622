"""Bytes per second an idle console writes to its terminal: the cost of leaving it open over SSH.

    python tests/bench/bench_idle_bytes.py [--window 30] [--settle 5] [--scenario steady]

Starts the console on the demo source (`--scenario steady`: nothing changes
but the clock and the alerts' ages, the issue's idle case; `night`: the moving
story) on an 80x24 pseudo-terminal with a fresh database, waits
for the first alerts and then `--settle` seconds more, then counts every byte
written during `--window` seconds with no key pressed. The issue's target is
at most 150 bytes per second.

Besides the total it prints the per-second breakdown, which screen rows the
bytes went to (Textual starts each painted run with a cursor move, so bytes are
attributed to the row moved to), the updates grouped by the rows they touched,
and the changes the demo scenario itself made during the window (it polls every
5 s, and alerts fire, resolve and age), so a spike can be told from a leak.

The pty does not answer Textual's terminal queries, so frames are not wrapped
in synchronized-output markers; on a terminal that supports them each update
costs 16 bytes more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ptyrun import (
    Chunk,
    PtyProcess,
    bytes_by_row,
    chunks_in,
    load_note,
    per_second,
    text_by_row,
)

from warroom.model.clock import format_age
from warroom.sources.base import SourceSpec
from warroom.sources.demo import DemoSource

TARGET_BYTES_PER_SECOND = 150
READY_MARKER = "KubePodCrashLooping"
BURST_GAP = 0.01  # reads closer together than this are one screen update


def bursts(chunks: Sequence[Chunk]) -> list[list[Chunk]]:
    """Group reads into screen updates (a large update arrives in several reads)."""
    groups: list[list[Chunk]] = []
    for chunk in chunks:
        if groups and chunk.at - groups[-1][-1].at < BURST_GAP:
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    return groups


def describe_rows(rows: Sequence[int]) -> str:
    """`3-22,24` for a sorted list of row numbers."""
    parts: list[str] = []
    start = prev = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == prev + 1:
            prev = row
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if row is not None:
            start = prev = row
    return ",".join(parts)


def scenario_changes(wall_start: float, seconds: int) -> list[str]:
    """What the demo source itself changed during the window, second by second."""
    source = DemoSource(SourceSpec(name="demo", type="demo", interval=timedelta(seconds=5)))
    events: list[str] = []
    previous: dict[str, tuple[str, str, str]] | None = None
    for second in range(seconds + 1):
        now = datetime.fromtimestamp(wall_start + second, UTC)
        current = {
            a.fingerprint: (a.name, a.state.value, format_age(now - a.starts_at))
            for a in source.snapshot(now)
        }
        if previous is not None:
            notes: list[str] = []
            for fp, (name, state, age) in current.items():
                old = previous.get(fp)
                if old is None:
                    notes.append(f"+{name} ({state})")
                elif old[1] != state:
                    notes.append(f"{name} {old[1]}->{state}")
                elif old[2] != age:
                    notes.append(f"{name} age {old[2]}->{age}")
            notes += [
                f"-{name} (resolved)" for fp, (name, _, _) in previous.items() if fp not in current
            ]
            if notes:
                events.append(f"  t={second - 1:>3}..{second:<3} " + "; ".join(notes))
        previous = current
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=int, default=30, help="seconds to count (default 30)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after first alerts")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for start")
    parser.add_argument(
        "--show-updates", action="store_true", help="print every update's rows and text"
    )
    parser.add_argument(
        "--scenario",
        choices=("steady", "night"),
        default="steady",
        help="demo scenario: steady = only the clock and alert ages tick (the issue's"
        " idle case, default); night = alerts fire and resolve too",
    )
    args = parser.parse_args(argv)
    window: int = args.window

    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        db = Path(tmp) / "warroom.db"
        config = Path(tmp) / "config.yaml"
        config.write_text(
            "sources:\n  - name: demo\n    type: demo\n    interval: 5s\n"
            f"    scenario: {args.scenario}\n"
        )
        argv_ = [sys.executable, "-m", "warroom", "--config", str(config), "--db", str(db)]
        with PtyProcess(argv_) as proc:
            if proc.wait_for_text(READY_MARKER, args.timeout) is None:
                print(f"warroom did not show {READY_MARKER!r} within {args.timeout}s")
                print(f"last bytes: {proc.transcript.data[-400:]!r}")
                return 1
            proc.read_for(args.settle)
            start, wall_start = time.monotonic(), time.time()
            proc.read_for(window)
            end = start + window
            exited = proc.proc.poll()
            chunks = list(proc.transcript.chunks)
            startup = proc.transcript.total(end=start)

    inside = list(chunks_in(chunks, start, end))
    total = sum(len(c.data) for c in inside)
    seconds = per_second(chunks, start, window)
    rate = total / window
    print(f"idle console, 80x24, window {window} s after {args.settle:g} s settle")
    if exited is not None:
        print(f"WARNING: warroom exited (code {exited}) during the measurement")
    print(f"startup wrote {startup:,} bytes (not counted); {load_note()}")
    print(
        f"window: {total:,} bytes = {rate:.1f} bytes/s   target <= {TARGET_BYTES_PER_SECOND}:"
        f" {'within target' if rate <= TARGET_BYTES_PER_SECOND else 'OVER target'}"
    )
    print(
        f"per second: max {max(seconds):,}  median {statistics.median(seconds):g}"
        f"  min {min(seconds):,}"
    )
    print("per-second bytes: " + " ".join(str(n) for n in seconds))

    # A spike is a second well above the typical one (the clock tick, usually).
    typical = statistics.median(seconds)
    spikes = [i for i, n in enumerate(seconds) if n > max(2 * typical, typical + 100)]
    updates = bursts(inside)
    print(f"\n{len(updates)} screen updates in the window; spikes (> 2x median second):")
    if not spikes:
        print("  none")
    for second in spikes:
        lo, hi = start + second, start + second + 1
        parts = []
        for update in updates:
            if lo <= update[0].at < hi:
                data = b"".join(c.data for c in update)
                rows = sorted(r for r in bytes_by_row(data) if r)
                parts.append(f"{len(data):,} B rows {describe_rows(rows) if rows else '-'}")
        print(f"  t={second:>3}s {seconds[second]:>6,} B: " + "; ".join(parts))

    # Where the bytes went: per screen row, labelled by what the row last showed.
    window_data = b"".join(c.data for c in inside)
    by_row = bytes_by_row(window_data)
    last_text: dict[int, str] = {}
    for update in bursts(chunks):
        last_text.update(text_by_row(b"".join(c.data for c in update)))
    print("\nbytes by screen row (row 0: cursor parking, modes, anything not drawing text):")
    for row, count in sorted(by_row.items(), key=lambda item: -item[1]):
        label = (last_text.get(row) or "(blank)")[:56] if row else "(control)"
        print(f"  row {row:>2}: {count:>7,} B {100 * count / max(1, total):5.1f}%  {label}")

    # Updates grouped by the rows they touched: what kinds of redraw happen, how often.
    kinds: Counter[str] = Counter()
    kind_bytes: Counter[str] = Counter()
    for update in updates:
        data = b"".join(c.data for c in update)
        rows = sorted(r for r in bytes_by_row(data) if r)
        key = describe_rows(rows) if rows else "no rows"
        kinds[key] += 1
        kind_bytes[key] += len(data)
    print("\nupdates by rows touched:")
    for key, count in kind_bytes.most_common():
        n = kinds[key]
        each, per_s = count // n, count / window
        print(f"  rows {key:<14} {n:>3} x {each:>6,} B = {count:>7,} B ({per_s:.1f} B/s)")

    if args.show_updates:
        print("\nevery update in the window (t from window start):")
        for update in updates:
            data = b"".join(c.data for c in update)
            print(f"  t={update[0].at - start:7.3f}s {len(data):>6,} B")
            for row, text in sorted(text_by_row(data).items()):
                print(f"      row {row:>2}: {text[:70] or '(blank)'}")

    changes = scenario_changes(wall_start, window)
    print("\nwhat the demo scenario changed in the window (alerts and their AGE labels):")
    print("\n".join(changes) if changes else "  nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
