"""Read queries the screen and the CLI use; they run on the reader connection."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import aiosqlite

from warroom.model import AlertKey, Incident, SourceHealth, TimelineEvent, TrackedAlert
from warroom.model.clock import from_epoch
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.store import rows
from warroom.store.values import SilenceRecord


def _tracked_alerts(found: Sequence[Any]) -> list[TrackedAlert]:
    return [rows.tracked_alert(r) for r in found]


class ReadsMixin:
    _reader: aiosqlite.Connection

    async def active_alerts(self) -> list[TrackedAlert]:
        async with self._reader.execute(
            f"SELECT {rows.ALERT_COLUMNS} FROM alerts WHERE state != 'resolved'"
        ) as cursor:
            found = list(await cursor.fetchall())
        return await off_loop(len(found), OFFLOAD_ITEMS, _tracked_alerts, found)

    async def alerts_by_key(self, keys: Iterable[AlertKey]) -> list[TrackedAlert]:
        """Those of `keys` the store holds, in the order given."""
        wanted = list(dict.fromkeys(keys))
        found: dict[AlertKey, TrackedAlert] = {}
        for _, test, params in rows.key_chunks(wanted):
            async with self._reader.execute(
                f"SELECT {rows.ALERT_COLUMNS} FROM alerts WHERE {test}", params
            ) as cursor:
                for row in await cursor.fetchall():
                    tracked = rows.tracked_alert(row)
                    found[tracked.key] = tracked
        return [found[k] for k in wanted if k in found]

    async def incident_alerts(self, incident_id: int) -> list[TrackedAlert]:
        async with self._reader.execute(rows.INCIDENT_ALERTS, (incident_id,)) as cursor:
            return [rows.tracked_alert(r) for r in await cursor.fetchall()]

    async def incidents(self, include_resolved: bool = False) -> list[Incident]:
        where = "" if include_resolved else "WHERE i.status != 'resolved'"
        async with self._reader.execute(
            f"SELECT {rows.INCIDENT_COLUMNS} FROM incidents i {where}"
            " ORDER BY i.status = 'resolved', i.impact, i.created_at DESC"
        ) as cursor:
            return [rows.incident(r) for r in await cursor.fetchall()]

    async def incident(self, incident_id: int) -> Incident | None:
        async with self._reader.execute(
            f"SELECT {rows.INCIDENT_COLUMNS} FROM incidents i WHERE i.id = ?", (incident_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else rows.incident(row)

    async def timeline(
        self, incident_id: int | None, limit: int | None = None
    ) -> list[TimelineEvent]:
        """Events oldest first; with `limit`, the latest `limit` of them."""
        condition = "incident_id IS NULL" if incident_id is None else "incident_id = ?"
        params: tuple[object, ...] = () if incident_id is None else (incident_id,)
        sql = f"SELECT {rows.EVENT_COLUMNS} FROM timeline WHERE {condition} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        async with self._reader.execute(sql, params) as cursor:
            events = [rows.event(r) for r in await cursor.fetchall()]
        events.reverse()
        return events

    async def alert_digests(self, source: str) -> list[tuple[str, str]]:
        """(fingerprint, digest) of the source's active alerts: what a poll diffs
        against, read without the write lock (only the lease holder changes them)."""
        async with self._reader.execute(
            "SELECT fingerprint, digest FROM alerts WHERE source = ? AND state != 'resolved'",
            (source,),
        ) as cursor:
            # as fetched (TEXT columns: already str), not copied into a second list
            # of 50,000 pairs while the first still stands
            return list(await cursor.fetchall())  # type: ignore[arg-type]

    def keep_unsaved_health(self, health: SourceHealth) -> None:
        """A source's health that could not be written (a full disk): this process
        shows it in place of the stored row until `forget_unsaved_health`."""
        self._unsaved()[health.name] = health

    def forget_unsaved_health(self, name: str) -> None:
        self._unsaved().pop(name, None)

    def unsaved_health(self, name: str) -> SourceHealth | None:
        return self._unsaved().get(name)

    def _unsaved(self) -> dict[str, SourceHealth]:
        held: dict[str, SourceHealth] = self.__dict__.setdefault("_unsaved_health", {})
        return held

    async def retry_requests(self) -> dict[str, float]:
        """Sources a responder asked to poll now: name -> when (epoch seconds)."""
        async with self._reader.execute(
            "SELECT name, retry_requested FROM source_health WHERE retry_requested IS NOT NULL"
        ) as cursor:
            return {name: at for name, at in await cursor.fetchall()}

    async def source_health(self) -> list[SourceHealth]:
        stored = {h.name: h for h in await self._stored_health()}
        for name, kept in list(self._unsaved().items()):
            newer = stored.get(name)
            if (
                newer
                and newer.last_attempt
                and (kept.last_attempt is None or newer.last_attempt > kept.last_attempt)
            ):
                # another process polled since (it took the lease while this one could
                # not write): the database is right again, and this memory is stale
                self.forget_unsaved_health(name)
                continue
            stored[name] = kept
        return [stored[name] for name in sorted(stored)]

    async def _stored_health(self) -> list[SourceHealth]:
        async with self._reader.execute(
            "SELECT name, interval, last_success, last_attempt, last_error, failures, alert_count"
            " FROM source_health ORDER BY name"
        ) as cursor:
            return [
                SourceHealth(
                    name=name,
                    interval=timedelta(seconds=interval),
                    last_success=from_epoch(success),
                    last_attempt=from_epoch(attempt),
                    last_error=error,
                    failures=failures,
                    alert_count=count,
                )
                for (name, interval, success, attempt, error, failures, count) in (
                    await cursor.fetchall()
                )
            ]


class CoverageReads:
    _reader: aiosqlite.Connection

    async def alert_names(self) -> list[tuple[str, str, dict[str, str]]]:
        """(source, name, one label set) of every alert name ever seen."""
        async with self._reader.execute(
            "SELECT source, name, labels FROM alert_names ORDER BY source, name"
        ) as cursor:
            return [(s, n, json.loads(lb)) for s, n, lb in await cursor.fetchall()]


class SilenceReads:
    _reader: aiosqlite.Connection

    async def silence_record(self, source: str, silence_id: str) -> SilenceRecord | None:
        records = await self._silence_records("source = ? AND silence_id = ?", (source, silence_id))
        return records[0] if records else None

    async def open_ack_silences(self, source: str) -> list[SilenceRecord]:
        return await self._silence_records(
            "source = ? AND reason = 'ack' AND expired_at IS NULL", (source,)
        )

    async def _silence_records(self, where: str, params: tuple[object, ...]) -> list[SilenceRecord]:
        async with self._reader.execute(
            "SELECT source, silence_id, reason, created_by, incident_id, alerts FROM silences"
            f" WHERE {where}",
            params,
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            SilenceRecord(
                src, sid, reason, by, inc, tuple(AlertKey.parse(k) for k in json.loads(a))
            )
            for src, sid, reason, by, inc, a in rows
        ]
