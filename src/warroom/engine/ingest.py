"""Storing one poll: a large snapshot in short transactions, so responders never wait.

Written in one transaction, a poll that changes 10,000 alerts held the write
lock for one to two seconds, and every acknowledgement from every console
waited behind it. So the difference is written a chunk at a time, each chunk
its own `BEGIN IMMEDIATE` sized to hold the lock about `TARGET_HOLD`, with a
pause after it: a process waiting for the lock retries every 1-25 ms in its
first ~180 ms of waiting (SQLite's busy handler), so a pause longer than that
lets it in, where a bare commit-and-begin would starve it.

What a crash or a lost lease between chunks can never leave behind:
- a half-written alert: each row is written whole, in exactly one chunk;
- a firing alert resolved: alerts that left the snapshot are resolved only
  after every new and changed alert is stored; the next poll finishes the job;
- an alert stored without its process: each chunk's alerts are triaged in that
  chunk's transaction (a group split over chunks declares its incident in the
  first and joins it in the next, as a later poll would);
- a write by a process that lost the lease: every chunk checks the lease's epoch.
The source's health says "polled" only in the last transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from warroom.engine.triage import Triage, TriageResult
from warroom.model import Alert
from warroom.store import LeaseToken, SnapshotDiff, SnapshotResult, Store, diff_snapshot

TARGET_HOLD = 0.03  # seconds of write lock per chunk
PAUSE = 0.03  # seconds between chunks: longer than the busy handler's early retries
FIRST_CHUNK = 200  # alert rows; then sized from how long the last chunk held the lock
MIN_CHUNK, MAX_CHUNK = 50, 20_000
TRIAGED_PER_ROW = 20  # unchanged alerts triaged in a chunk, per row it may write


class _Chunks:
    """Walks the units of a poll (its new and changed alerts, or the whole snapshot
    when plans triage it) and then the alerts gone, a chunk at a time."""

    def __init__(
        self, diff: SnapshotDiff, alerts: Sequence[Alert], digests: Sequence[str], triaging: bool
    ) -> None:
        self.diff = diff
        self.triaging = triaging
        if triaging:
            self.units: Sequence[Alert] = alerts
            self.unit_digests: Sequence[str] = digests
        else:
            self.units = [a for a, _ in diff.pending]
            self.unit_digests = [d for _, d in diff.pending]
        # taken out as written: each alert written once, and let go of once written
        self.pending = {a.fingerprint: (a, d) for a, d in diff.pending}
        self.pos = 0
        self.gone_pos = 0

    def take(self, size: int) -> tuple[slice, list[tuple[Alert, str]], list[str]]:
        """The next chunk: its slice of the units, the rows it writes, the alerts
        it resolves (only once every unit has been taken)."""
        start = self.pos
        rows: list[tuple[Alert, str]] = []
        limit = size * TRIAGED_PER_ROW if self.triaging else size
        while self.pos < len(self.units) and len(rows) < size and self.pos - start < limit:
            item = self.pending.pop(self.units[self.pos].fingerprint, None)
            if item is not None:
                rows.append(item)
            self.pos += 1
        gone: list[str] = []
        if self.pos >= len(self.units):
            room = max(size - len(rows), 0)
            gone = self.diff.gone[self.gone_pos : self.gone_pos + room]
            self.gone_pos += len(gone)
        return slice(start, self.pos), rows, gone

    @property
    def done(self) -> bool:
        return self.pos >= len(self.units) and self.gone_pos >= len(self.diff.gone)


async def store_snapshot(
    store: Store,
    source: str,
    interval_seconds: float,
    alerts: Sequence[Alert],
    digests: Sequence[str],
    triage: Triage | None = None,
    lease: LeaseToken | None = None,
    target_hold: float | None = None,
    pause: float | None = None,
) -> SnapshotResult:
    """Write the difference between `alerts` and what is stored, in short
    transactions fenced by `lease`; raises LeaseLost if it changed hands."""
    loop = asyncio.get_running_loop()
    target_hold = TARGET_HOLD if target_hold is None else target_hold
    pause = PAUSE if pause is None else pause
    # read without the write lock: only the lease holder changes these columns
    diff = await diff_snapshot(source, alerts, digests, await store.alert_digests(source))
    triaging = triage is not None and bool(triage.index.plans)
    chunks = _Chunks(diff, alerts, digests, triaging)
    tresult = TriageResult()
    size = FIRST_CHUNK
    inserted = updated = resolved = transactions = 0
    longest = 0.0
    while True:
        part, rows, gone = chunks.take(size)
        final = chunks.done
        whole = part.start == 0 and part.stop == len(chunks.units)
        if not (rows or gone or final or (triaging and part.stop > part.start)):
            continue
        async with store.transaction() as tx:
            began = loop.time()
            if lease is not None:
                await tx.check_lease(lease)
            ins, upd = await tx.write_alerts(source, rows, diff.fresh)
            if triage is not None and triaging:
                await triage.run_part(
                    tx,
                    source,
                    chunks.units[part],
                    chunks.unit_digests[part],
                    tx.now,
                    tresult,
                    whole=whole,
                )
            res = await tx.resolve_gone(source, gone)
            if final:
                if triage is not None:
                    await triage.finish(tx, source, alerts, tresult)
                await tx.record_poll(source, interval_seconds, ok=True, alert_count=len(alerts))
        hold = loop.time() - began
        inserted, updated, resolved = inserted + ins, updated + upd, resolved + res
        transactions += 1
        longest = max(longest, hold)
        if final:
            break
        # size the next chunk to hold the lock about target_hold, growing gently
        fitted = int(size * target_hold / max(hold, 0.001))
        size = max(MIN_CHUNK, min(MAX_CHUNK, size * 3 // 2, fitted))
        await asyncio.sleep(pause)
    return SnapshotResult(
        inserted, updated, resolved, diff.unchanged, transactions=transactions, longest_hold=longest
    )
