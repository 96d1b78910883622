"""Write transactions: every change of state, its timeline event and its change-feed
row commit together or not at all.

Services open one transaction (`contract.Tx`), call the primitives, and leave; the
feed rows are written just before COMMIT from what the primitives touched, so no
caller can forget them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence, Set
from datetime import datetime
from typing import Any

import aiosqlite

from warroom.model import (
    Alert,
    AlertKey,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
    TrackedAlert,
)
from warroom.model.alert import RETURN_GRACE
from warroom.model.clock import to_epoch
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.store.analysis import AnalysisWrites
from warroom.store.lease import LeaseChecks
from warroom.store.outbox import OutboxWrites
from warroom.store.overrides import OverrideWrites
from warroom.store.related import RelatedWrites
from warroom.store.rows import (
    INCIDENT_ALERTS,
    INCIDENT_COLUMNS,
    alert_row,
    dumps,
    key_chunks,
    text_map_json,
    tracked_alert,
)
from warroom.store.rows import incident as incident_from_row
from warroom.store.runbooks import RunbookWrites
from warroom.store.snapshot import DigestCache as DigestCache  # its old home, for tests
from warroom.store.snapshot import diff_snapshot, snapshot_digests
from warroom.store.values import SnapshotResult


def _rows(pending: Sequence[tuple[Alert, str]]) -> list[tuple[Any, ...]]:
    return [alert_row(alert, digest) for alert, digest in pending]


# resolved rows are history: a re-fired one is rewritten by the upsert
_STORED_DIGESTS = "SELECT fingerprint, digest FROM alerts WHERE source = ? AND state != 'resolved'"


_UPSERT = """
INSERT INTO alerts (source, fingerprint, name, state, severity, labels, annotations,
                    starts_at, ends_at, url, digest, first_seen, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source, fingerprint) DO UPDATE SET
    name = excluded.name,
    state = excluded.state,
    severity = excluded.severity,
    labels = excluded.labels,
    annotations = excluded.annotations,
    starts_at = excluded.starts_at,
    ends_at = excluded.ends_at,
    url = excluded.url,
    digest = excluded.digest,
    updated_at = excluded.updated_at,
    -- a resolved alert that fires again is a new occurrence: the old ack does not
    -- hold, unless it was gone only a moment (RETURN_GRACE: an Alertmanager restart)
    acknowledged_at = CASE WHEN {renewed} THEN NULL ELSE alerts.acknowledged_at END,
    acknowledged_by = CASE WHEN {renewed} THEN NULL ELSE alerts.acknowledged_by END
""".format(
    renewed="alerts.state = 'resolved' AND alerts.updated_at < excluded.updated_at - "
    + str(RETURN_GRACE.total_seconds())
)

_INCIDENT_FIELDS = frozenset(
    {
        "title",
        "summary",
        "impact",
        "status",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "parent_id",
        "plan",
        "dedupe_key",
    }
)


class SilenceRecords:
    """Write primitives for silences warroom created (mixed into Tx)."""

    _db: aiosqlite.Connection
    _now_epoch: float | None

    def touch(self, entity: str, entity_id: object) -> None:
        raise NotImplementedError

    async def record_silence(
        self,
        source: str,
        silence_id: str,
        reason: str,
        actor: str,
        ends_at: datetime,
        incident_id: int | None,
        alerts: Iterable[AlertKey],
    ) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO silences (source, silence_id, reason, created_by, created_at,"
            " ends_at, incident_id, alerts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source,
                silence_id,
                reason,
                actor,
                self._now_epoch,
                to_epoch(ends_at),
                incident_id,
                dumps([str(k) for k in alerts]),
            ),
        )
        self.touch("silence", f"{source}/{silence_id}")

    async def mark_silence_expired(self, source: str, silence_id: str) -> None:
        await self._db.execute(
            "UPDATE silences SET expired_at = ? WHERE source = ? AND silence_id = ?"
            " AND expired_at IS NULL",
            (self._now_epoch, source, silence_id),
        )
        self.touch("silence", f"{source}/{silence_id}")


class TriageQueries:
    """Reads and writes triage needs inside the poll's transaction (mixed into Tx)."""

    _db: aiosqlite.Connection

    async def attached_to_open(self, source: str, among: Sequence[str] | None = None) -> set[str]:
        """Fingerprints of this source's alerts that belong to an open incident
        (only those `among` these, when a poll is triaged a chunk at a time)."""
        sql = (
            "SELECT a.fingerprint FROM alerts a JOIN incidents i ON i.id = a.incident_id"
            " WHERE a.source = ? AND i.status != 'resolved'"
        )
        if among is None:
            async with self._db.execute(sql, (source,)) as cursor:
                return {row[0] for row in await cursor.fetchall()}
        found: set[str] = set()
        for start in range(0, len(among), 500):
            chunk = among[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.execute(
                f"{sql} AND a.fingerprint IN ({marks})", (source, *chunk)
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def open_incident_with_key(self, dedupe_key: str) -> int | None:
        async with self._db.execute(
            "SELECT id FROM incidents WHERE dedupe_key = ? AND status != 'resolved'"
            " ORDER BY id LIMIT 1",
            (dedupe_key,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def resolved_incident_with_key(self, dedupe_key: str, since: datetime) -> int | None:
        """The newest incident with this key resolved after `since`, to reopen."""
        async with self._db.execute(
            "SELECT id FROM incidents WHERE dedupe_key = ? AND status = 'resolved'"
            " AND resolved_at >= ? ORDER BY resolved_at DESC LIMIT 1",
            (dedupe_key, to_epoch(since)),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def open_plan_incidents_without_firing_alerts(self) -> list[tuple[int, str]]:
        """(id, plan) of open incidents from plans whose alerts have all resolved."""
        async with self._db.execute(
            "SELECT i.id, i.plan FROM incidents i WHERE i.status != 'resolved'"
            " AND i.plan IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id)"
            " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id"
            "                 AND a.state != 'resolved')"
        ) as cursor:
            return [(int(r[0]), str(r[1])) for r in await cursor.fetchall()]


class SqliteTx(
    SilenceRecords,
    TriageQueries,
    LeaseChecks,
    OutboxWrites,
    OverrideWrites,
    RunbookWrites,
    RelatedWrites,
    AnalysisWrites,
):
    """The SQLite `contract.Tx`: one `BEGIN IMMEDIATE` transaction on the writer."""

    def __init__(self, db: aiosqlite.Connection, now: datetime) -> None:
        self._db = db
        self.now = now
        self._now_epoch = to_epoch(now)
        self.touched: set[tuple[str, str]] = set()

    def touch(self, entity: str, entity_id: object) -> None:
        self.touched.add((entity, str(entity_id)))

    async def apply_snapshot(
        self, source: str, alerts: Sequence[Alert], digests: Sequence[str] | None = None
    ) -> SnapshotResult:
        """Write only the difference between the source's snapshot and what is stored.

        An alert the source no longer reports becomes resolved; one it reports
        unchanged costs no write at all. `digests` (from `snapshot_digests`, made
        before the transaction) keeps the write lock short. All in this one
        transaction; the engine's poll spreads a large one over several
        (`engine.ingest`) with the same primitives.
        """
        if digests is None:
            digests = snapshot_digests(alerts)
        diff = await diff_snapshot(source, alerts, digests, await self.stored_digests(source))
        inserted, updated = await self.write_alerts(source, diff.pending, diff.fresh)
        resolved = await self.resolve_gone(source, diff.gone)
        return SnapshotResult(inserted, updated, resolved, diff.unchanged)

    async def stored_digests(self, source: str) -> list[tuple[str, str]]:
        async with self._db.execute(_STORED_DIGESTS, (source,)) as cursor:
            # as fetched (TEXT columns: already str), not copied into a second list
            # of 50,000 pairs while the first still stands
            return list(await cursor.fetchall())  # type: ignore[arg-type]

    async def write_alerts(
        self, source: str, pending: Sequence[tuple[Alert, str]], fresh: Set[str]
    ) -> tuple[int, int]:
        """Upsert new and changed alerts, each row whole; returns (inserted, updated).

        `fresh` names those that were not active when diffed: one may still be a
        resolved row firing again, which counts as updated.
        """
        if not pending:
            return 0, 0
        now = self._now_epoch
        new = [a.fingerprint for a, _ in pending if a.fingerprint in fresh]
        refired = await self._resolved_among(source, new)
        rows = await off_loop(len(pending), OFFLOAD_ITEMS, _rows, pending)
        await self._db.executemany(_UPSERT, [(*row, now, now) for row in rows])
        if new:
            names = {a.name: a for a, _ in pending if a.fingerprint in fresh}
            await self._db.executemany(
                "INSERT INTO alert_names (source, name, labels, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, name)"
                " DO UPDATE SET last_seen = excluded.last_seen",
                [(source, n, text_map_json(a.labels), now, now) for n, a in names.items()],
            )
        self.touch("alerts", source)
        return len(new) - len(refired), len(pending) - len(new) + len(refired)

    async def resolve_gone(self, source: str, fingerprints: Sequence[str]) -> int:
        """Resolve alerts the source no longer reports; call only once the whole
        snapshot is stored, so a poll cut short never resolves a firing alert."""
        if not fingerprints:
            return 0
        now = self._now_epoch
        # gone from the source: it ended now at the latest (Alertmanager's endsAt
        # of an active alert lies in the future)
        await self._db.executemany(
            "UPDATE alerts SET state = 'resolved', ends_at = min(coalesce(ends_at, ?), ?),"
            " updated_at = ?, digest = '' WHERE source = ? AND fingerprint = ?",
            [(now, now, now, source, fp) for fp in fingerprints],
        )
        self.touch("alerts", source)
        return len(fingerprints)

    async def _resolved_among(self, source: str, fingerprints: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(fingerprints), 500):
            chunk = fingerprints[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.execute(
                f"SELECT fingerprint FROM alerts WHERE source = ? AND fingerprint IN ({marks})",
                (source, *chunk),
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def acknowledge_alerts(self, keys: Iterable[AlertKey], actor: str) -> list[AlertKey]:
        """Acknowledge those not yet acknowledged; returns exactly those.

        One conditional UPDATE per chunk, so two responders pressing `a` at once
        never both get credit for the same alert, whatever the isolation level.
        """
        wanted = list(dict.fromkeys(keys))
        fresh: list[AlertKey] = []
        for chunk, test, params in key_chunks(wanted):
            async with self._db.execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?"
                f" WHERE acknowledged_at IS NULL AND state != 'resolved' AND {test}"
                " RETURNING source, fingerprint",
                (self._now_epoch, actor, *params),
            ) as cursor:
                found = {AlertKey(s, f) for s, f in await cursor.fetchall()}
            fresh += [k for k in chunk if k in found]
        for source in {k.source for k in fresh}:
            self.touch("alerts", source)
        return fresh

    async def incident(self, incident_id: int) -> Incident | None:
        """The incident as this transaction sees it: check state here, then change it."""
        async with self._db.execute(
            f"SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = ?", (incident_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else incident_from_row(row)

    async def incident_alerts(self, incident_id: int) -> list[TrackedAlert]:
        """The incident's alerts as this transaction sees them (its own writes too)."""
        async with self._db.execute(INCIDENT_ALERTS, (incident_id,)) as cursor:
            return [tracked_alert(r) for r in await cursor.fetchall()]

    async def create_incident(
        self,
        title: str,
        impact: Impact,
        actor: str,
        summary: str = "",
        dedupe_key: str | None = None,
        plan: str | None = None,
    ) -> int:
        cursor = await self._db.execute(
            "INSERT INTO incidents (title, summary, impact, status, dedupe_key, plan,"
            " created_at, created_by, updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)",
            (
                title,
                summary,
                int(impact),
                dedupe_key,
                plan,
                self._now_epoch,
                actor,
                self._now_epoch,
            ),
        )
        incident_id = cursor.lastrowid
        assert incident_id is not None
        self.touch("incident", incident_id)
        return incident_id

    async def update_incident(self, incident_id: int, /, **fields: Any) -> bool:
        """Change these fields; False (nothing written) when there is no such incident."""
        return await self.update_incident_if(incident_id, None, **fields)

    async def update_incident_if(
        self,
        incident_id: int,
        if_status: IncidentStatus | Collection[IncidentStatus] | None,
        /,
        **fields: Any,
    ) -> bool:
        """Change these fields only while the status is `if_status` (one of them);
        False, nothing written, otherwise: a compare-and-set that another writer's
        committed change wins against, never one that overwrites it."""
        unknown = set(fields) - _INCIDENT_FIELDS
        if unknown:
            raise ValueError(f"not incident fields: {sorted(unknown)}")
        values = {
            k: (
                to_epoch(v)
                if isinstance(v, datetime)
                else v.value
                if isinstance(v, IncidentStatus)
                else int(v)
                if isinstance(v, Impact)
                else v
            )
            for k, v in fields.items()
        }
        assignments = "".join(f"{k} = ?, " for k in values)
        condition = ""
        expected: tuple[str, ...] = ()
        if if_status is not None:
            wanted = [if_status] if isinstance(if_status, IncidentStatus) else list(if_status)
            expected = tuple(s.value for s in wanted)
            condition = f" AND status IN ({','.join('?' * len(expected))})"
        cursor = await self._db.execute(
            f"UPDATE incidents SET {assignments}updated_at = ? WHERE id = ?{condition}",
            (*values.values(), self._now_epoch, incident_id, *expected),
        )
        if cursor.rowcount == 0:
            return False
        self.touch("incident", incident_id)
        return True

    async def attach_alerts(
        self, incident_id: int, keys: Iterable[AlertKey]
    ) -> dict[int, list[AlertKey]]:
        """Attach the alerts; returns those taken from other incidents, by incident."""
        keys = list(keys)
        moved: dict[int, list[AlertKey]] = {}
        for _, test, pairs in key_chunks(keys):
            async with self._db.execute(
                "SELECT source, fingerprint, incident_id FROM alerts"
                f" WHERE incident_id IS NOT NULL AND incident_id != ? AND {test}",
                [incident_id, *pairs],
            ) as cursor:
                for source, fingerprint, previous in await cursor.fetchall():
                    moved.setdefault(previous, []).append(AlertKey(source, fingerprint))
        params = [(incident_id, k.source, k.fingerprint) for k in keys]
        await self._db.executemany(
            "UPDATE alerts SET incident_id = ? WHERE source = ? AND fingerprint = ?", params
        )
        for source in {p[1] for p in params}:
            self.touch("alerts", source)
        self.touch("incident", incident_id)
        for previous in moved:
            self.touch("incident", previous)
        return moved

    async def add_event(
        self,
        incident_id: int | None,
        kind: EventKind,
        actor: str,
        text: str,
        data: Mapping[str, Any] | None = None,
    ) -> int:
        cursor = await self._db.execute(
            "INSERT INTO timeline (incident_id, at, kind, actor, text, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (incident_id, self._now_epoch, kind.value, actor, text, dumps(data or {})),
        )
        self.touch("timeline", "" if incident_id is None else incident_id)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def record_poll(
        self,
        source: str,
        interval_seconds: float,
        ok: bool,
        error: str | None = None,
        alert_count: int | None = None,
    ) -> None:
        """Health after a poll; a failure leaves last_success and the alerts alone."""
        now = self._now_epoch
        if ok:
            await self._db.execute(
                "INSERT INTO source_health (name, interval, last_success, last_attempt,"
                " last_error, failures, alert_count) VALUES (?, ?, ?, ?, NULL, 0, ?)"
                " ON CONFLICT (name) DO UPDATE SET interval = excluded.interval,"
                " last_success = excluded.last_success, last_attempt = excluded.last_attempt,"
                " last_error = NULL, failures = 0, alert_count = excluded.alert_count,"
                " retry_requested = NULL",
                (source, interval_seconds, now, now, alert_count or 0),
            )
        else:
            await self._db.execute(
                "INSERT INTO source_health (name, interval, last_attempt, last_error, failures)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (name) DO UPDATE SET"
                " interval = excluded.interval, last_attempt = excluded.last_attempt,"
                " last_error = excluded.last_error, failures = source_health.failures + 1,"
                " retry_requested = NULL",
                (source, interval_seconds, now, error),
            )
        self.touch("source", source)

    async def request_retry(self, source: str) -> bool:
        """Ask whoever polls to poll `source` now; False if it was never polled."""
        cursor = await self._db.execute(
            "UPDATE source_health SET retry_requested = ? WHERE name = ?",
            (self._now_epoch, source),
        )
        self.touch("source", source)
        return cursor.rowcount > 0

    async def prune_changes(self, keep: int = 10_000) -> None:
        """The feed is a wake-up signal, not history; the lease holder trims it."""
        await self._db.execute(
            "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", (keep,)
        )

    async def prune_resolved_alerts(self, older_than: datetime) -> int:
        """Resolved alerts outside any incident are forgotten after a while."""
        cursor = await self._db.execute(
            "DELETE FROM alerts WHERE state = 'resolved' AND incident_id IS NULL"
            " AND updated_at < ?",
            (to_epoch(older_than),),
        )
        return cursor.rowcount

    async def write_changes(self) -> None:
        """The feed rows, numbered last, under the write lock held since BEGIN
        IMMEDIATE: numbers are handed out in commit order, so a reader's cursor
        can never pass a row that commits later (`contract`, the change feed)."""
        if self.touched:
            await self._db.executemany(
                "INSERT INTO changes (entity, entity_id, at) VALUES (?, ?, ?)",
                [(entity, eid, self._now_epoch) for entity, eid in sorted(self.touched)],
            )
