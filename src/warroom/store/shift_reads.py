"""Reads for the shift hand-off: what happened in a window, in a few queries.

A hand-off over a year-old database must not read every timeline: the events
of the window come in one query (a scan of `timeline` by time, cheap at 100,000
rows; see tests/bench/bench_handoff.py), and the incidents only those still open
or touched in it.
"""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from warroom.model import AlertKey, Incident, TimelineEvent, TrackedAlert
from warroom.model.clock import from_epoch, to_epoch
from warroom.store import rows
from warroom.store.values import StoredSilence


class ShiftReads:
    _reader: aiosqlite.Connection

    async def events_since(self, since: datetime) -> list[TimelineEvent]:
        """Every timeline event at or after `since`, oldest first."""
        async with self._reader.execute(
            f"SELECT {rows.EVENT_COLUMNS} FROM timeline WHERE at >= ? ORDER BY id",
            (to_epoch(since),),
        ) as cursor:
            return [rows.event(r) for r in await cursor.fetchall()]

    async def incidents_since(self, since: datetime) -> list[Incident]:
        """Incidents not resolved, and those resolved at or after `since`."""
        async with self._reader.execute(
            f"SELECT {rows.INCIDENT_COLUMNS} FROM incidents i"
            " WHERE i.status != 'resolved' OR i.resolved_at >= ? ORDER BY i.id",
            (to_epoch(since),),
        ) as cursor:
            return [rows.incident(r) for r in await cursor.fetchall()]

    async def alerts_since(self, since: datetime) -> list[TrackedAlert]:
        """Alerts firing now, and those that started or changed at or after `since`
        (resolved ones are kept until pruned, so a shift's flaps are still here)."""
        at = to_epoch(since)
        async with self._reader.execute(
            f"SELECT {rows.ALERT_COLUMNS} FROM alerts"
            " WHERE state != 'resolved' OR starts_at >= ? OR updated_at >= ?",
            (at, at),
        ) as cursor:
            return [rows.tracked_alert(r) for r in await cursor.fetchall()]

    async def live_silences(self, now: datetime) -> list[StoredSilence]:
        """Silences warroom made that are neither expired by hand nor over."""
        async with self._reader.execute(
            "SELECT source, silence_id, reason, created_by, created_at, ends_at,"
            " incident_id, alerts FROM silences WHERE expired_at IS NULL AND ends_at > ?"
            " ORDER BY ends_at, source, silence_id",
            (to_epoch(now),),
        ) as cursor:
            found = await cursor.fetchall()
        return [
            StoredSilence(
                src,
                sid,
                reason,
                by,
                from_epoch(created) or now,
                from_epoch(ends) or now,
                incident,
                tuple(AlertKey.parse(k) for k in json.loads(keys)),
            )
            for src, sid, reason, by, created, ends, incident, keys in found
        ]
