"""The lease: exactly one process polls, escalates and delivers at a time.

The holder renews well before expiry; if it dies, the row expires and another
process takes over. A clean exit releases at once so hand-over is quick.

Expiry alone cannot stop a holder that was paused (a stalled VM, a fetch that
outlived the TTL) from writing after another process took over. So the lease
carries an epoch, a fencing token that grows every time the lease changes
hands, and every write only the holder may make checks it inside its own
transaction (`Tx.check_lease`): a process that lost the lease can never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from warroom.model import LeaseInfo
from warroom.model.clock import from_epoch, to_epoch, utcnow

ENGINE_LEASE = "engine"


@dataclass(frozen=True, slots=True)
class LeaseToken:
    """Proof of holding the lease: fenced writes carry it into their transaction."""

    name: str
    holder: str
    epoch: int


class LeaseLost(Exception):
    """The lease changed hands: this process must stop its holder-only work."""

    def __init__(self, token: LeaseToken, current: str | None) -> None:
        self.token = token
        self.current = current
        now = f"{current} holds it now" if current else "nobody holds it now"
        super().__init__(
            f"lost the {token.name} lease (epoch {token.epoch}); {now}; nothing was written"
        )


class LeaseChecks:
    """The fence, mixed into Tx: checked in the same transaction as the write."""

    _db: aiosqlite.Connection

    async def check_lease(self, token: LeaseToken) -> None:
        """Raise LeaseLost unless `token` is still the lease (same holder, same epoch).

        Expiry is not checked: a holder whose lease merely ran out is still the
        only writer until someone else takes it, and taking it bumps the epoch
        under the same write lock this transaction holds.
        """
        async with self._db.execute(
            "SELECT holder, epoch FROM lease WHERE name = ?", (token.name,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] != token.holder or row[1] != token.epoch:
            raise LeaseLost(token, None if row is None else str(row[0]))


class LeaseMixin:
    _reader: aiosqlite.Connection
    _writer: aiosqlite.Connection

    async def acquire_lease(
        self, holder: str, ttl: timedelta, name: str = ENGINE_LEASE, now: datetime | None = None
    ) -> LeaseToken | None:
        """Take or renew the lease; its token when `holder` has it afterwards.

        The epoch stays while the same holder keeps (or re-takes its own expired)
        lease, and grows whenever it goes to a holder that did not have it.
        """
        now = now or utcnow()
        now_e, expires = to_epoch(now), to_epoch(now + ttl)
        async with self.transaction(now) as tx:  # type: ignore[attr-defined]
            async with self._writer.execute(
                "SELECT holder, expires_at, epoch FROM lease WHERE name = ?", (name,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] != holder and row[1] > now_e:
                return None
            if row is not None and row[0] == holder:
                await self._writer.execute(
                    "UPDATE lease SET expires_at = ? WHERE name = ?", (expires, name)
                )
                return LeaseToken(name, holder, int(row[2]))
            # a new hand: the epoch counter outlives released (deleted) lease rows
            async with self._writer.execute(
                "INSERT INTO lease_epochs (name, epoch) VALUES (?, 1) ON CONFLICT (name)"
                " DO UPDATE SET epoch = lease_epochs.epoch + 1 RETURNING epoch",
                (name,),
            ) as cursor:
                counted = await cursor.fetchone()
            assert counted is not None
            epoch = int(counted[0])
            await self._writer.execute(
                "INSERT OR REPLACE INTO lease (name, holder, acquired_at, expires_at, epoch)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, holder, now_e, expires, epoch),
            )
            tx.touch("lease", name)
            return LeaseToken(name, holder, epoch)

    async def try_acquire_lease(
        self, holder: str, ttl: timedelta, name: str = ENGINE_LEASE, now: datetime | None = None
    ) -> bool:
        """Take or renew the lease; True when `holder` has it afterwards."""
        return await self.acquire_lease(holder, ttl, name, now) is not None

    async def renew_lease(
        self, token: LeaseToken, ttl: timedelta, now: datetime | None = None
    ) -> bool:
        """Extend exactly this tenure; False once the lease has changed hands.

        Unlike `acquire_lease` it never starts a new tenure, so work fenced with
        `token` learns it lost the lease instead of carrying on under a new epoch.
        """
        now = now or utcnow()
        async with self.transaction(now):  # type: ignore[attr-defined]
            cursor = await self._writer.execute(
                "UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ? AND epoch = ?",
                (to_epoch(now + ttl), token.name, token.holder, token.epoch),
            )
            return cursor.rowcount == 1

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
