"""On-call overrides made from the console or the CLI: the SQL, for SQLite.

The plan files hold the overrides planned ahead; these are the ones taken at
03:00 ("I'll cover Bob until he lands"). Rows are never deleted: cancelling one
records who and when, so the story of who was on call stays whole. Every write
touches the feed entity `oncall` (id: the schedule), which the On-call tab watches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from warroom.model.clock import from_epoch, to_epoch
from warroom.model.oncall import Override
from warroom.store.values import OverrideRecord

FEED_ENTITY = "oncall"

_COLUMNS = (
    "id, schedule, start_at, end_at, replace, with_, author, reason, created_at,"
    " cancelled_at, cancelled_by"
)


def _record(row: Sequence[Any]) -> OverrideRecord:
    (oid, schedule, start, end, replace, with_, author, reason, created, cancelled, by) = row
    start_at, end_at, created_at = from_epoch(start), from_epoch(end), from_epoch(created)
    assert start_at is not None and end_at is not None and created_at is not None
    return OverrideRecord(
        id=int(oid),
        schedule=str(schedule),
        override=Override(start_at, end_at, replace, with_, str(author), str(reason)),
        created_at=created_at,
        cancelled_at=from_epoch(cancelled),
        cancelled_by=by,
    )


class OverrideWrites:
    """Write primitives for overrides (mixed into the SQLite Tx)."""

    _db: aiosqlite.Connection
    _now_epoch: float | None

    def touch(self, entity: str, entity_id: object) -> None:
        raise NotImplementedError

    async def add_override(self, schedule: str, override: Override) -> int:
        cursor = await self._db.execute(
            "INSERT INTO overrides (schedule, start_at, end_at, replace, with_, author, reason,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                schedule,
                to_epoch(override.start),
                to_epoch(override.end),
                override.replace,
                override.with_,
                override.author,
                override.reason,
                self._now_epoch,
            ),
        )
        assert cursor.lastrowid is not None
        self.touch(FEED_ENTITY, schedule)
        return cursor.lastrowid

    async def override(self, override_id: int) -> OverrideRecord | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM overrides WHERE id = ?", (override_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _record(row)

    async def cancel_override(self, override_id: int, actor: str) -> bool:
        async with self._db.execute(
            "UPDATE overrides SET cancelled_at = ?, cancelled_by = ?"
            " WHERE id = ? AND cancelled_at IS NULL RETURNING schedule",
            (self._now_epoch, actor, override_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False
        self.touch(FEED_ENTITY, row[0])
        return True


class OverrideReads:
    """Read queries for overrides (mixed into the SQLite Store; the reader connection)."""

    _reader: aiosqlite.Connection

    async def overrides(
        self,
        schedule: str | None = None,
        *,
        ending_after: datetime | None = None,
        starting_before: datetime | None = None,
        cancelled: bool = False,
    ) -> list[OverrideRecord]:
        where = [] if cancelled else ["cancelled_at IS NULL"]
        params: list[object] = []
        if schedule is not None:
            where.append("schedule = ?")
            params.append(schedule)
        if ending_after is not None:
            where.append("end_at > ?")
            params.append(to_epoch(ending_after))
        if starting_before is not None:
            where.append("start_at < ?")
            params.append(to_epoch(starting_before))
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        async with self._reader.execute(
            f"SELECT {_COLUMNS} FROM overrides{condition} ORDER BY created_at, id", params
        ) as cursor:
            return [_record(r) for r in await cursor.fetchall()]

    async def override(self, override_id: int) -> OverrideRecord | None:
        async with self._reader.execute(
            f"SELECT {_COLUMNS} FROM overrides WHERE id = ?", (override_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _record(row)
