"""Engagements and the outbox in SQLite: the write primitives (mixed into the Tx)
and the reads the console and `warroom pages` show.

The outbox's promises (see migration 8 and `engine/delivery.py`):
- `enqueue` ignores a row whose key exists, so a replayed transaction or two
  consoles writing the same page write it once;
- `claim_due` moves due rows to `claimed` with the claimer's epoch in the
  caller's transaction, which checks the lease; the claim commits before any
  network call;
- `record` writes an outcome only where the row is still claimed under the same
  epoch: a holder that lost the lease mid-send cannot overwrite what the next
  holder did with the row;
- `cancel_open` turns pending rows of an incident to `cancelled` in the
  acknowledgement's own transaction, so nothing is claimed after it commits
  (to `unknown` where an earlier send's outcome was lost: the provider may have
  it, so the acknowledgement's follow-up still goes to that channel);
- `reclaim_claimed` does not put back in the queue a trigger its incident's
  acknowledgement (or resolve) came after: resending it would page after the
  acknowledgement committed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from warroom.model.clock import from_epoch, to_epoch
from warroom.model.escalation import Engagement, Status
from warroom.model.paging import OutboxItem, OutboxKind, OutboxRow, RowState
from warroom.store.rows import dumps

# The row's incident was acknowledged or resolved after the row was written: a
# trigger then pages someone who already answered (a re-armed engagement's pages,
# written after the acknowledgement, are not superseded by it).
SUPERSEDED = (
    "EXISTS (SELECT 1 FROM incidents i WHERE i.id = outbox.incident_id AND (i.status = 'resolved'"
    " OR (i.status = 'acknowledged' AND i.acknowledged_at >= outbox.created_at)))"
)
ENGAGEMENT_COLUMNS = "incident_id, plan, status, stage, loop, next_at, started_at"
# a pending row cancelled: one that may have been sent already is `unknown`, never sent again
_CANCEL = (
    "UPDATE outbox SET state = CASE WHEN possible_repeat THEN 'unknown' ELSE 'cancelled' END,"
    " detail = ?, done_at = ?"
)
OUTBOX_COLUMNS = (
    "id, key, incident_id, kind, action, target, channel, payload, state, due_at, attempts,"
    " claimed_epoch, detail, reference, possible_repeat, created_at, done_at"
)


def engagement(row: Sequence[Any]) -> tuple[int, Engagement]:
    started = from_epoch(row[6])
    assert started is not None
    return int(row[0]), Engagement(
        row[1], Status(row[2]), int(row[3]), int(row[4]), from_epoch(row[5]), started
    )


def outbox_row(row: Sequence[Any]) -> OutboxRow:
    try:
        payload = json.loads(row[7])
    except ValueError:
        payload = {}
    due, created = from_epoch(row[9]), from_epoch(row[15])
    assert due is not None and created is not None
    return OutboxRow(
        id=int(row[0]),
        key=row[1],
        incident_id=row[2],
        kind=OutboxKind(row[3]),
        action=row[4],
        target=row[5],
        channel=row[6],
        payload=payload if isinstance(payload, dict) else {},
        state=RowState(row[8]),
        due_at=due,
        attempts=int(row[10]),
        claimed_epoch=row[11],
        detail=row[12],
        reference=row[13],
        possible_repeat=bool(row[14]),
        created_at=created,
        done_at=from_epoch(row[16]),
    )


class OutboxWrites:
    """Mixed into SqliteTx."""

    _db: aiosqlite.Connection
    _now_epoch: float | None

    def touch(self, entity: str, entity_id: object) -> None:
        raise NotImplementedError

    async def changed_rows(self, sql: str, params: Sequence[Any] = ()) -> list[OutboxRow]:
        """Run an `UPDATE outbox ... RETURNING` of `OUTBOX_COLUMNS`: the rows it
        changed, each one's incident marked changed for the feed."""
        async with self._db.execute(sql, params) as cursor:
            changed = [outbox_row(r) for r in await cursor.fetchall()]
        for row in changed:
            self.touch("outbox", row.incident_id)
        return changed

    async def engagements_of(self, incident_id: int) -> list[Engagement]:
        async with self._db.execute(
            f"SELECT {ENGAGEMENT_COLUMNS} FROM engagements WHERE incident_id = ? ORDER BY rowid",
            (incident_id,),
        ) as cursor:
            return [engagement(r)[1] for r in await cursor.fetchall()]

    async def save_engagement(self, incident_id: int, state: Engagement) -> None:
        await self._db.execute(
            "INSERT INTO engagements (incident_id, plan, status, stage, loop, next_at,"
            " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (incident_id, plan) DO UPDATE SET status = excluded.status,"
            " stage = excluded.stage, loop = excluded.loop, next_at = excluded.next_at,"
            " updated_at = excluded.updated_at",
            (
                incident_id,
                state.plan,
                state.status.value,
                state.stage,
                state.loop,
                to_epoch(state.next_at),
                to_epoch(state.started_at),
                self._now_epoch,
            ),
        )
        self.touch("engagement", incident_id)

    async def due_engagements(
        self, now: datetime, limit: int = 100
    ) -> list[tuple[int, Engagement]]:
        async with self._db.execute(
            f"SELECT {ENGAGEMENT_COLUMNS} FROM engagements WHERE next_at IS NOT NULL"
            " AND next_at <= ? ORDER BY next_at LIMIT ?",
            (to_epoch(now), limit),
        ) as cursor:
            return [engagement(r) for r in await cursor.fetchall()]

    async def enqueue(self, items: Iterable[OutboxItem]) -> int:
        """Write rows whose keys are new; how many were."""
        written = 0
        for item in items:
            cursor = await self._db.execute(
                "INSERT INTO outbox (key, incident_id, kind, action, target, channel, payload,"
                " state, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (
                    item.key,
                    item.incident_id,
                    item.kind.value,
                    item.action,
                    item.target,
                    item.channel,
                    dumps(dict(item.payload)),
                    to_epoch(item.due_at),
                    self._now_epoch,
                ),
            )
            if cursor.rowcount > 0:
                written += 1
                self.touch("outbox", item.incident_id)
        return written

    async def cancel_open(
        self, incident_id: int, actions: Collection[str], detail: str
    ) -> list[OutboxRow]:
        """Cancel this incident's pending rows of these actions; the rows cancelled."""
        marks = ", ".join("?" for _ in actions)
        return await self.changed_rows(
            f"{_CANCEL} WHERE incident_id = ? AND state = 'pending' AND action IN ({marks})"
            f" RETURNING {OUTBOX_COLUMNS}",
            (detail, self._now_epoch, incident_id, *actions),
        )

    async def cancel_keyed(self, prefix: str, detail: str) -> list[OutboxRow]:
        """Cancel the pending rows whose key starts with `prefix` (a runbook notify
        attempt that timed out: not sent after its step failed); the rows cancelled.
        A claimed row is its claimer's, as with `cancel_open`."""
        return await self.changed_rows(
            f"{_CANCEL} WHERE substr(key, 1, ?) = ? AND state = 'pending'"
            f" RETURNING {OUTBOX_COLUMNS}",
            (detail, self._now_epoch, len(prefix), prefix),
        )

    async def paged_channels(self, incident_id: int) -> list[tuple[str, str]]:
        """(contact, channel) pairs a trigger reached or may have reached."""
        async with self._db.execute(
            "SELECT DISTINCT target, channel FROM outbox WHERE incident_id = ? AND kind = 'page'"
            " AND action = 'trigger' AND state IN ('claimed', 'sent', 'unknown')"
            " ORDER BY target, channel",
            (incident_id,),
        ) as cursor:
            return [(r[0], r[1]) for r in await cursor.fetchall()]

    async def count_rows(self, incident_id: int, action: str) -> int:
        async with self._db.execute(
            "SELECT count(*) FROM outbox WHERE incident_id = ? AND action = ?",
            (incident_id, action),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def reclaim_claimed(self) -> list[OutboxRow]:
        """Rows left claimed by a holder that is gone (or by this one before it
        restarted its duty): back to pending, marked as possible repeats, since
        their send may have happened; a trigger whose incident was acknowledged or
        resolved after it was written becomes `unknown` instead, never sent again."""
        superseded = await self.changed_rows(
            "UPDATE outbox SET state = 'unknown', possible_repeat = 1, done_at = ?,"
            " detail = 'the engine stopped while sending it; not sent again: acknowledged"
            " or resolved since' WHERE state = 'claimed' AND action = 'trigger'"
            f" AND {SUPERSEDED} RETURNING {OUTBOX_COLUMNS}",
            (self._now_epoch,),
        )
        return superseded + await self.changed_rows(
            "UPDATE outbox SET state = 'pending', possible_repeat = 1 WHERE state = 'claimed'"
            f" RETURNING {OUTBOX_COLUMNS}"
        )

    async def claim_due(self, now: datetime, epoch: int, limit: int = 20) -> list[OutboxRow]:
        claimed = await self.changed_rows(
            "UPDATE outbox SET state = 'claimed', claimed_epoch = ?, claimed_at = ?,"
            " attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox"
            " WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?)"
            f" RETURNING {OUTBOX_COLUMNS}",
            (epoch, self._now_epoch, to_epoch(now), limit),
        )
        return sorted(claimed, key=due_order)

    async def record(
        self,
        row_id: int,
        epoch: int,
        state: RowState,
        detail: str,
        reference: str = "",
        due_at: datetime | None = None,
        possible_repeat: bool = False,
    ) -> bool:
        """What became of a claimed row; False if it is no longer this claim's
        (another holder took it over). `due_at` with PENDING: try again then."""
        done = None if state is RowState.PENDING else self._now_epoch
        cursor = await self._db.execute(
            "UPDATE outbox SET state = ?, detail = ?, reference = ?, done_at = ?,"
            " due_at = coalesce(?, due_at), possible_repeat = max(possible_repeat, ?)"
            " WHERE id = ? AND state = 'claimed' AND claimed_epoch = ?",
            (
                state.value,
                detail,
                reference,
                done,
                to_epoch(due_at),
                int(possible_repeat),
                row_id,
                epoch,
            ),
        )
        return cursor.rowcount > 0

    async def prune_outbox(self, older_than: datetime) -> int:
        """Forget rows done before `older_than` (their outcome stays on the timeline
        where it mattered); open rows are never pruned."""
        cursor = await self._db.execute(
            "DELETE FROM outbox WHERE state NOT IN ('pending', 'claimed') AND done_at < ?",
            (to_epoch(older_than),),
        )
        return cursor.rowcount


def due_order(row: OutboxRow) -> tuple[datetime, int]:
    """The order rows fall due in (RETURNING keeps none)."""
    return row.due_at, row.id


class OutboxReads:
    """Mixed into SqliteStore: what the Incident tab and `warroom pages` show."""

    _reader: aiosqlite.Connection

    async def engagements(self, incident_id: int | None = None) -> list[tuple[int, Engagement]]:
        where, params = ("WHERE incident_id = ?", (incident_id,)) if incident_id else ("", ())
        async with self._reader.execute(
            f"SELECT {ENGAGEMENT_COLUMNS} FROM engagements {where} ORDER BY incident_id, rowid",
            params,
        ) as cursor:
            return [engagement(r) for r in await cursor.fetchall()]

    async def outbox_due_at(self) -> datetime | None:
        """When the first pending row is due: the deliver duty opens no write
        transaction while nothing is (a quiet console takes no write lock twice a second)."""
        return await self._first("SELECT min(due_at) FROM outbox WHERE state = 'pending'")

    async def engagement_due_at(self) -> datetime | None:
        return await self._first("SELECT min(next_at) FROM engagements WHERE next_at IS NOT NULL")

    async def _first(self, sql: str) -> datetime | None:
        async with self._reader.execute(sql) as cursor:
            row = await cursor.fetchone()
        return from_epoch(row[0]) if row else None

    async def outbox(self, incident_id: int | None = None, limit: int = 1000) -> list[OutboxRow]:
        """Newest last; an incident's rows, or the latest `limit` of all."""
        where, params = ("WHERE incident_id = ?", (incident_id,)) if incident_id else ("", ())
        async with self._reader.execute(
            f"SELECT {OUTBOX_COLUMNS} FROM (SELECT * FROM outbox {where}"
            " ORDER BY id DESC LIMIT ?) ORDER BY id",
            (*params, limit),
        ) as cursor:
            return [outbox_row(r) for r in await cursor.fetchall()]

    async def outbox_keyed(self, prefix: str) -> list[OutboxRow]:
        """The rows whose key starts with `prefix`, oldest first: one runbook notify
        attempt's rows (`model.runbook_notify.key_prefix`)."""
        async with self._reader.execute(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE substr(key, 1, ?) = ? ORDER BY id",
            (len(prefix), prefix),
        ) as cursor:
            return [outbox_row(r) for r in await cursor.fetchall()]
