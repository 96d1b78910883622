"""The lease: exactly one process polls, escalates and delivers at a time.

The holder renews well before expiry; if it dies, the row expires and another
process takes over. A clean exit releases at once so hand-over is quick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from warroom.model import LeaseInfo
from warroom.model.clock import from_epoch, to_epoch, utcnow

ENGINE_LEASE = "engine"


class LeaseMixin:
    _reader: aiosqlite.Connection
    _writer: aiosqlite.Connection

    async def try_acquire_lease(
        self, holder: str, ttl: timedelta, name: str = ENGINE_LEASE, now: datetime | None = None
    ) -> bool:
        """Take or renew the lease; True when `holder` has it afterwards."""
        now = now or utcnow()
        now_e, expires = to_epoch(now), to_epoch(now + ttl)
        async with self.transaction(now) as tx:  # type: ignore[attr-defined]
            async with self._writer.execute(
                "SELECT holder, expires_at FROM lease WHERE name = ?", (name,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] != holder and row[1] > now_e:
                return False
            await self._writer.execute(
                "INSERT INTO lease (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at,"
                " acquired_at = CASE WHEN lease.holder = excluded.holder"
                "   THEN lease.acquired_at ELSE excluded.acquired_at END",
                (name, holder, now_e, expires),
            )
            if row is None or row[0] != holder:
                tx.touch("lease", name)
            return True

    async def release_lease(self, holder: str, name: str = ENGINE_LEASE) -> None:
        async with self.transaction() as tx:  # type: ignore[attr-defined]
            await self._writer.execute(
                "DELETE FROM lease WHERE name = ? AND holder = ?", (name, holder)
            )
            tx.touch("lease", name)

    async def lease(self, name: str = ENGINE_LEASE) -> LeaseInfo | None:
        async with self._reader.execute(
            "SELECT holder, expires_at FROM lease WHERE name = ?", (name,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        expires = from_epoch(row[1])
        assert expires is not None
        return LeaseInfo(name=name, holder=row[0], expires_at=expires)
