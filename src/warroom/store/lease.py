"""The lease: exactly one process polls, escalates and delivers at a time.

The holder renews well before expiry; if it dies, the row expires and another
process takes over. A clean exit releases at once so hand-over is quick.

Expiry alone cannot stop a holder that was paused (a stalled VM, a fetch that
outlived the TTL) from writing after another process took over. So the lease
carries an epoch, a fencing token that grows every time the lease changes
hands, and every write only the holder may make checks it inside its own
transaction (`Tx.check_lease`): a process that lost the lease can never commit.

Taking the lease is one conditional statement (`_TAKE`), not a read and then a
write, so it stays correct where several writers run at once (PostgreSQL under
READ COMMITTED), not only under SQLite's single writer. A released lease keeps
its row (holder '', expired) so that its epoch is never handed out again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from warroom.model import LeaseInfo
from warroom.model.clock import from_epoch, to_epoch, utcnow
from warroom.store.values import ENGINE_LEASE, LeaseLost, LeaseToken

__all__ = ["ENGINE_LEASE", "LeaseChecks", "LeaseLost", "LeaseMixin", "LeaseToken"]

# Nobody holds a released lease: its row stays, so the epoch keeps counting.
NOBODY = ""

# Take the lease if it is free, expired or already ours; renew it if ours. The
# epoch grows only when the holder changes. No row comes back when another
# holder's unexpired lease stands: the WHERE of DO UPDATE is the whole decision.
_TAKE = """
INSERT INTO lease (name, holder, acquired_at, expires_at, epoch) VALUES (?, ?, ?, ?, 1)
ON CONFLICT (name) DO UPDATE SET
    epoch = CASE WHEN lease.holder = excluded.holder THEN lease.epoch ELSE lease.epoch + 1 END,
    acquired_at = CASE WHEN lease.holder = excluded.holder
                       THEN lease.acquired_at ELSE excluded.acquired_at END,
    holder = excluded.holder,
    expires_at = excluded.expires_at
WHERE lease.holder = excluded.holder OR lease.expires_at <= excluded.acquired_at
RETURNING epoch, acquired_at
"""


class LeaseChecks:
    """The fence, mixed into Tx: checked in the same transaction as the write."""

    _db: aiosqlite.Connection
    # how the read holds the row until COMMIT where writers run at once (PostgreSQL:
    # " FOR SHARE"); SQLite's write lock, taken at BEGIN, holds it already
    LEASE_LOCK = ""

    async def check_lease(self, token: LeaseToken) -> None:
        """Raise LeaseLost unless `token` is still the lease (same holder, same epoch).

        Expiry is not checked: a holder whose lease merely ran out is still the
        only writer until someone else takes it, and taking it bumps the epoch
        under the same write lock this transaction holds.
        """
        async with self._db.execute(
            f"SELECT holder, epoch FROM lease WHERE name = ?{self.LEASE_LOCK}", (token.name,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] != token.holder or row[1] != token.epoch:
            current = None if row is None or row[0] == NOBODY else str(row[0])
            raise LeaseLost(token, current)


class LeaseMixin:
    """Taking, renewing, releasing and reading the lease, for every backend: each
    write is one statement in the store's own transaction (`tx._db`), correct
    under SQLite's single writer and PostgreSQL's concurrent ones alike."""

    _reader: aiosqlite.Connection

    async def acquire_lease(
        self, holder: str, ttl: timedelta, name: str = ENGINE_LEASE, now: datetime | None = None
    ) -> LeaseToken | None:
        """Take or renew the lease; its token when `holder` has it afterwards.

        The epoch stays while the same holder keeps (or re-takes its own expired)
        lease, and grows whenever it goes to a holder that did not have it.
        """
        if not holder:
            raise ValueError("a lease holder needs a name")
        now = now or utcnow()
        now_e = to_epoch(now)
        async with self.transaction(now) as tx:  # type: ignore[attr-defined]
            async with tx._db.execute(_TAKE, (name, holder, now_e, to_epoch(now + ttl))) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            if row[1] == now_e:  # a new tenure: consoles show who polls now
                tx.touch("lease", name)
            return LeaseToken(name, holder, int(row[0]))

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
        async with self.transaction(now) as tx:  # type: ignore[attr-defined]
            cursor = await tx._db.execute(
                "UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ? AND epoch = ?",
                (to_epoch(now + ttl), token.name, token.holder, token.epoch),
            )
            return bool(cursor.rowcount == 1)

    async def release_lease(self, holder: str, name: str = ENGINE_LEASE) -> None:
        """Let go at once, so another process takes over within a retry, not a TTL."""
        async with self.transaction() as tx:  # type: ignore[attr-defined]
            cursor = await tx._db.execute(
                "UPDATE lease SET holder = ?, expires_at = 0 WHERE name = ? AND holder = ?",
                (NOBODY, name, holder),
            )
            if cursor.rowcount:
                tx.touch("lease", name)

    async def lease(self, name: str = ENGINE_LEASE) -> LeaseInfo | None:
        async with self._reader.execute(
            "SELECT holder, expires_at FROM lease WHERE name = ? AND holder != ?", (name, NOBODY)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        expires = from_epoch(row[1])
        assert expires is not None
        return LeaseInfo(name=name, holder=row[0], expires_at=expires)
