"""The PostgreSQL `contract.Store`: several bastions sharing one state (issue 13).

Transactions run under READ COMMITTED, concurrently across processes, so the
contract's isolation comes from the statements, not from a single writer:
reads that decide a write lock what they read (`FOR UPDATE`), acknowledgements
and the lease are conditional statements, and the change feed is numbered
last, from the one `feed_clock` row, which stays locked until COMMIT: numbers
are handed out in commit order, so a reader's cursor never passes a row that
commits later. A commit NOTIFYs `warroom_changes`, which wakes every watcher
on every host at once; watchers also poll, so a lost notification costs a
second at most.

The query text is shared with SQLite through `pg_connection.PgSession`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

import asyncpg

from warroom.model import Incident, TrackedAlert
from warroom.model.clock import to_epoch, utcnow
from warroom.model.escalation import Engagement
from warroom.model.filter import AlertFilter
from warroom.model.paging import OutboxRow
from warroom.store import rows
from warroom.store.alert_listing import AlertListing
from warroom.store.analysis import AnalysisReads
from warroom.store.errors import StoreError, StoreMissing, StoreReadOnly
from warroom.store.lease import LeaseMixin
from warroom.store.opener import PgAddress
from warroom.store.outbox import OUTBOX_COLUMNS, OutboxReads, due_order
from warroom.store.overrides import OverrideReads
from warroom.store.pg_alert_listing import shown_filtered
from warroom.store.pg_connection import PgSession, translate_error
from warroom.store.pg_schema import APPLICATION, FIRST_VERSION, MIGRATIONS, SCHEMA_VERSION
from warroom.store.pg_timeline import SHARE, TIMELINE_LOCK, PgTimelinePages
from warroom.store.reads import CoverageReads, ReadsMixin, SilenceReads
from warroom.store.related import RelatedReads
from warroom.store.runbooks import RunbookReads
from warroom.store.search_reads import SearchReads
from warroom.store.shift_reads import ShiftReads
from warroom.store.tx import SqliteTx
from warroom.store.values import Change, ShownAlert

CHANNEL = "warroom_changes"
# A watcher re-reads at least this often, notification or not.
POLL_SECONDS = 1.0
# Serialises migrations of one database across processes.
MIGRATION_LOCK = 0x5752524D


class PgTx(SqliteTx):
    """The shared primitives on one PostgreSQL transaction, with row locks where a
    read decides a write, and the feed numbered from the locked counter row."""

    LEASE_LOCK = " FOR SHARE"  # the lease cannot change hands before this commits
    _timeline_shared = False

    async def add_event(self, *args: Any, **kwargs: Any) -> int:
        """Hold the timeline's shared lock from before the first id is taken
        (`store.pg_timeline`): a paging reader waits for this transaction."""
        if not self._timeline_shared:
            await self._db.execute(SHARE, (TIMELINE_LOCK,))
            self._timeline_shared = True
        return await super().add_event(*args, **kwargs)

    async def incident(self, incident_id: int) -> Incident | None:
        async with self._db.execute(
            f"SELECT {rows.INCIDENT_COLUMNS} FROM incidents i WHERE i.id = ? FOR UPDATE",
            (incident_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else rows.incident(row)

    async def incident_alerts(self, incident_id: int) -> list[TrackedAlert]:
        async with self._db.execute(f"{rows.INCIDENT_ALERTS} FOR UPDATE", (incident_id,)) as c:
            return [rows.tracked_alert(r) for r in await c.fetchall()]

    async def resolve_gone(self, source: str, fingerprints: Sequence[str]) -> int:
        if not fingerprints:
            return 0
        now = self._now_epoch
        await self._db.executemany(
            "UPDATE alerts SET state = 'resolved', ends_at = least(coalesce(ends_at, ?), ?),"
            " updated_at = ?, digest = '' WHERE source = ? AND fingerprint = ?",
            [(now, now, now, source, fp) for fp in fingerprints],
        )
        self.touch("alerts", source)
        return len(fingerprints)

    async def record_silence(self, source: str, silence_id: str, *args: Any) -> None:
        await self._db.execute(
            "DELETE FROM silences WHERE source = ? AND silence_id = ?", (source, silence_id)
        )
        await super().record_silence(source, silence_id, *args)

    async def due_engagements(
        self, now: datetime, limit: int = 100
    ) -> list[tuple[int, Engagement]]:
        """Lock the due engagements' incidents first, as every action on an incident
        does, then read them: an acknowledgement open meanwhile has committed by
        then, and the engagement it stopped is what is read -- never a stale active
        one whose next stage would page after the acknowledgement."""
        await self._db.execute(
            "SELECT id FROM incidents WHERE id IN (SELECT incident_id FROM engagements"
            " WHERE next_at IS NOT NULL AND next_at <= ?) ORDER BY id FOR UPDATE",
            (to_epoch(now),),
        )
        return await super().due_engagements(now, limit)

    async def reclaim_claimed(self) -> list[OutboxRow]:
        """Share-lock the incidents of the claimed rows first: an acknowledgement
        still open then commits before the rows are judged (they become unknown),
        or waits for this and cancels them as pending -- never a superseded page
        put back to be sent after the acknowledgement."""
        await self._db.execute(
            "SELECT id FROM incidents WHERE id IN (SELECT incident_id FROM outbox"
            " WHERE state = 'claimed') ORDER BY id FOR SHARE"
        )
        return await super().reclaim_claimed()

    async def claim_due(self, now: datetime, epoch: int, limit: int = 20) -> list[OutboxRow]:
        """Claim with `FOR UPDATE SKIP LOCKED`: of claimers at once each row goes to
        one (a subquery alone would hand the same pending row to both). The rows are
        picked in a CTE, evaluated once: as an `IN (subquery)` the planner may run the
        locking subquery again per row and claim every due row, past `limit`."""
        claimed = await self.changed_rows(
            "WITH picked AS (SELECT id FROM outbox WHERE state = 'pending' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ? FOR UPDATE SKIP LOCKED)"
            " UPDATE outbox SET state = 'claimed', claimed_epoch = ?, claimed_at = ?,"
            " attempts = attempts + 1 FROM picked WHERE outbox.id = picked.id"
            f" AND outbox.state = 'pending' RETURNING {_qualified(OUTBOX_COLUMNS)}",
            (to_epoch(now), limit, epoch, self._now_epoch),
        )
        return sorted(claimed, key=due_order)

    async def write_changes(self) -> None:
        """Number the feed rows last, from the counter row locked until COMMIT."""
        if not self.touched:
            return
        touched = sorted(self.touched)
        async with self._db.execute(
            "UPDATE feed_clock SET seq = seq + ? WHERE one = 1 RETURNING seq", (len(touched),)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        first = int(row[0]) - len(touched) + 1
        await self._db.executemany(
            "INSERT INTO changes (seq, entity, entity_id, at) VALUES (?, ?, ?, ?)",
            [(first + n, e, i, self._now_epoch) for n, (e, i) in enumerate(touched)],
        )
        await self._db.execute(f"NOTIFY {CHANNEL}")


class PgStore(
    ReadsMixin,
    AlertListing,
    PgTimelinePages,
    SilenceReads,
    CoverageReads,
    LeaseMixin,
    OutboxReads,
    OverrideReads,
    RunbookReads,
    ShiftReads,
    RelatedReads,
    AnalysisReads,
    SearchReads,
):
    """The PostgreSQL `contract.Store`; open it with `store.open_store`."""

    def __init__(self, address: PgAddress, pool: asyncpg.Pool, read_only: bool) -> None:
        self._address = address
        self._location = address.location
        self._pool = pool
        self.read_only = read_only
        self._session = PgSession(pool, self._location)
        self._reader = cast(Any, self._session)
        self._committed = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._wakers: set[asyncio.Event] = set()

    @property
    def location(self) -> str:
        return self._location

    @classmethod
    async def open(
        cls, address: PgAddress, *, read_only: bool = False, create: bool = True
    ) -> PgStore:
        location = address.location
        try:
            # min_size 0: with a floor, asyncpg reconnects in the background after a
            # restart and logs a traceback per failed try (a line each second on the
            # responder's terminal); without one, the next statement reconnects and
            # a failure is that statement's StoreUnreachable
            pool = await asyncpg.create_pool(
                **address.connect_args(), min_size=0, max_size=4, timeout=10
            )
        except StoreError:
            raise
        except Exception as exc:
            raise translate_error(exc, location) from exc
        try:
            async with pool.acquire() as con:  # the first connection is made here
                await _migrate(con, location, read_only=read_only, create=create)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                raise translate_error(exc, location) from exc
            raise
        return cls(address, pool, read_only)

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        await self._pool.close()

    @asynccontextmanager
    async def transaction(self, now: datetime | None = None) -> AsyncIterator[PgTx]:
        if self.read_only:
            raise StoreReadOnly(f"{self._location}: opened read-only by a command that only reads")
        try:
            con = await self._pool.acquire()
        except Exception as exc:
            raise translate_error(exc, self._location) from exc
        try:
            session = PgSession(con, self._location)
            transaction = con.transaction()  # READ COMMITTED, the server's default
            try:
                await transaction.start()
            except Exception as exc:
                raise translate_error(exc, self._location) from exc
            tx = PgTx(cast(Any, session), now or utcnow())
            try:
                yield tx
                await tx.write_changes()
                await transaction.commit()
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    await transaction.rollback()
                if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                    translated = translate_error(exc, self._location)
                    if translated is not exc:
                        raise translated from exc
                raise
        finally:
            with contextlib.suppress(Exception):
                await self._pool.release(con)
        self._wake()

    def _wake(self) -> None:
        for event in self._wakers:
            event.set()

    async def shown_alerts(self, filter_text: str = "") -> list[ShownAlert]:
        """Unfiltered, the shared query; filtered, `pg_alert_listing`: the filter in
        the query, and in Python only what PostgreSQL cannot match exactly."""
        wanted = AlertFilter.parse(filter_text)
        if wanted.empty:
            return await AlertListing.shown_alerts(self, filter_text)
        try:
            return await shown_filtered(self._pool, wanted)
        except Exception as exc:
            raise translate_error(exc, self._location) from exc

    # -- the change feed --------------------------------------------------------------------

    async def last_change(self) -> int:
        async with self._reader.execute("SELECT coalesce(max(seq), 0) FROM changes") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def changes_since(self, seq: int) -> list[Change]:
        async with self._reader.execute(
            "SELECT seq, entity, entity_id FROM changes WHERE seq > ? ORDER BY seq", (seq,)
        ) as cursor:
            return [Change(int(s), e, i) for s, e, i in await cursor.fetchall()]

    async def _listen(self) -> None:
        """One LISTEN connection per store, opened by the first watcher."""
        if self._listener is not None and not self._listener.is_closed():
            return
        with contextlib.suppress(Exception):
            listener = await asyncpg.connect(**self._address.connect_args(), timeout=10)
            await listener.add_listener(CHANNEL, lambda *_: self._wake())
            self._listener = listener

    async def watch(self, since: int | None = None) -> AsyncGenerator[list[Change], None]:
        woken = asyncio.Event()
        self._wakers.add(woken)
        try:
            await self._listen()
            seq = await self.last_change() if since is None else since
            while True:
                batch = await self.changes_since(seq)
                if batch:
                    seq = batch[-1].seq
                    yield batch
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), POLL_SECONDS)
                woken.clear()
                await self._listen()
        finally:
            self._wakers.discard(woken)


async def _identity(con: asyncpg.Connection) -> tuple[int, str | None, int]:
    """(version, application, number of our-schema tables) as the database stands."""
    tables = int(
        await con.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    )
    has_schema = await con.fetchval("SELECT to_regclass('warroom_schema') IS NOT NULL")
    if not has_schema:
        return 0, None, tables
    row = await con.fetchrow("SELECT application, version FROM warroom_schema LIMIT 1")
    if row is None:
        return 0, None, tables
    return int(row["version"]), str(row["application"]), tables


def _shown(found: list[tuple[Any, ...]], wanted: AlertFilter) -> list[ShownAlert]:
    tracked = (rows.tracked_alert(r) for r in found)
    return [(str(t.key), t.incident_id) for t in tracked if wanted.matches(t)]


def _check_identity(location: str, version: int, application: str | None, tables: int) -> None:
    if tables and application != APPLICATION:
        raise StoreError(f"{location}: a database of another program; nothing was changed")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{location}: schema version {version} is newer than this warroom understands"
            f" ({SCHEMA_VERSION}); upgrade warroom. Nothing was changed."
        )


async def _migrate(
    con: asyncpg.Connection, location: str, *, read_only: bool, create: bool
) -> None:
    """Apply what the database lacks, in one transaction, once across processes
    (an advisory lock serialises them); refuse a stranger's or a newer one."""
    try:
        version, application, tables = await _identity(con)
        _check_identity(location, version, application, tables)
        if version == SCHEMA_VERSION:
            return
        if version == 0 and (read_only or not create):
            raise StoreMissing(
                f"{location}: no warroom store in this database yet; open it once"
                " with a command that writes (warroom engine) to create it"
            )
        if read_only:
            raise StoreReadOnly(
                f"{location}: schema version {version} is older than this warroom's"
                f" ({SCHEMA_VERSION}); run `warroom engine --once` to upgrade it"
            )
        async with con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            version, application, tables = await _identity(con)
            _check_identity(location, version, application, tables)
            start = FIRST_VERSION if version == 0 else version + 1
            for number in range(start, SCHEMA_VERSION + 1):
                await con.execute(MIGRATIONS[number])
            await con.execute("UPDATE warroom_schema SET version = $1", SCHEMA_VERSION)
    except StoreError:
        raise
    except Exception as exc:
        raise translate_error(exc, location) from exc


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _qualified(columns: str) -> str:
    """`a, b` as `outbox.a, outbox.b`: `picked` has an `id` too."""
    return ", ".join(f"outbox.{c.strip()}" for c in columns.split(","))
