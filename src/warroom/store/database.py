"""Opening the one SQLite file that every console and engine on the bastion shares.

Two connections per process: a writer for short `BEGIN IMMEDIATE` transactions,
and a reader for queries and for watching `PRAGMA data_version`, which changes
whenever any *other* connection commits -- including our own writer -- so one
mechanism wakes the screen for local and remote writes alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiosqlite

from warroom.model.clock import utcnow
from warroom.store import files
from warroom.store.alert_listing import AlertListing, register_filter_functions
from warroom.store.analysis import AnalysisReads
from warroom.store.connection import BUSY_TIMEOUT_MS, StoreConnection, connect
from warroom.store.errors import StoreError, StoreFull, StoreLocked, StoreMissing, StoreReadOnly
from warroom.store.errors import translate as _translate
from warroom.store.feed import FeedMixin
from warroom.store.lease import LeaseMixin
from warroom.store.outbox import OutboxReads
from warroom.store.overrides import OverrideReads
from warroom.store.reads import CoverageReads, ReadsMixin, SilenceReads
from warroom.store.related import RelatedReads
from warroom.store.runbooks import RunbookReads
from warroom.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from warroom.store.search_reads import SearchReads
from warroom.store.shift_reads import ShiftReads
from warroom.store.timeline_pages import TimelinePages
from warroom.store.tx import SqliteTx


class SqliteStore(
    ReadsMixin,
    AlertListing,
    TimelinePages,
    SilenceReads,
    CoverageReads,
    FeedMixin,
    LeaseMixin,
    OutboxReads,
    OverrideReads,
    RunbookReads,
    ShiftReads,
    RelatedReads,
    AnalysisReads,
    SearchReads,
):
    """The SQLite `contract.Store`; open it with `store.open_store`."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        read_only: bool = False,
    ):
        self.path = path
        self._writer = writer
        self._reader = reader
        self.read_only = read_only
        self._write_lock = asyncio.Lock()
        # set on every commit of this process: its own screen wakes at once,
        # other processes' commits are seen within the feed's poll interval
        self._committed = asyncio.Event()

    @property
    def location(self) -> str:
        return str(self.path)

    @classmethod
    async def open(cls, path: Path, *, read_only: bool = False, create: bool = True) -> SqliteStore:
        """Open or create the database; refuse anything that is not ours to change.

        `read_only` is for commands that only look (`incidents`, `coverage`): they
        never create a database, never take the write lock while the schema is
        current, and work on a file or directory they cannot write. Without
        `create` a missing file is StoreMissing.
        """
        if read_only:
            return await cls._open_read_only(path)
        path = await asyncio.to_thread(_prepare_for_writing, path, create)
        writer = await connect(path)
        try:
            await _switch_to_wal(writer)
            await _migrate(path, writer)
            reader = await connect(path)
        except BaseException:
            await writer.close()
            raise
        await register_filter_functions(reader)
        return cls(path, writer, reader)

    @classmethod
    async def _open_read_only(cls, path: Path) -> SqliteStore:
        path = await asyncio.to_thread(files.prepare, path, False)
        header = await asyncio.to_thread(files.check_header, path)
        if not header:
            raise StoreMissing(
                f"no warroom database at {path} yet: the file is empty ({files.CREATE_HINT})"
            )
        wal, shm = files.sidecars(path)
        # No -wal/-shm: no connection has it open. If we cannot create them either,
        # SQLite refuses even a read-only open; read the file as it stands
        # (immutable). Only its owner could start writing meanwhile, and then a
        # one-shot listing may be a moment old -- better than no listing at all.
        immutable = not wal.exists() and not shm.exists() and not files.directory_writable(path)
        reader = await connect(path, read_only=True, immutable=immutable)
        try:
            version, app_id, tables = await _identity(reader)
            _check_identity(path, app_id, version, tables)
            if not tables:
                raise StoreMissing(
                    f"no warroom database at {path} yet: the file is empty ({files.CREATE_HINT})"
                )
            if version < SCHEMA_VERSION:
                await _upgrade_for_reading(path, version)
            await register_filter_functions(reader)
        except BaseException:
            await reader.close()
            raise
        return cls(path, reader, reader, read_only=True)

    async def close(self) -> None:
        await self._reader.close()
        if self._writer is not self._reader:
            await self._writer.close()

    @asynccontextmanager
    async def transaction(self, now: datetime | None = None) -> AsyncIterator[SqliteTx]:
        """One short write transaction; the change feed is appended before COMMIT."""
        if self.read_only:
            raise StoreReadOnly(f"{self.path}: opened read-only by a command that only reads")
        async with self._write_lock:
            if self._writer.in_transaction:  # left open by a cancelled caller: undo it
                # SQLite may have rolled back already (a full disk): "cannot rollback -
                # no transaction is active" is then no failure of this transaction
                with contextlib.suppress(StoreError, sqlite3.OperationalError):
                    await self._writer.execute("ROLLBACK")
            await self._finish(self._writer.execute("BEGIN IMMEDIATE"), undo=True)
            tx = SqliteTx(self._writer, now or utcnow())
            try:
                yield tx
                await tx.write_changes()
                await self._finish(self._writer.execute("COMMIT"), undo=True)
            except BaseException as exc:
                if self._writer.in_transaction:
                    # the first failure is the one to report, not the rollback's
                    # (after a full disk SQLite may already have rolled back)
                    with contextlib.suppress(StoreError, sqlite3.OperationalError):
                        await self._finish(self._writer.execute("ROLLBACK"), undo=False)
                if isinstance(exc, StoreFull):
                    await self._reclaim_wal()
                raise
            self._committed.set()

    async def _reclaim_wal(self) -> None:
        """Give the disk back what the failed transaction wrote into the WAL.

        A checkpoint that cannot finish (other readers, the disk still full) is
        simply skipped; `journal_size_limit` trims the WAL at a later one.
        """
        with contextlib.suppress(StoreError):
            await self._writer.execute("PRAGMA busy_timeout = 200")
            try:
                await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                await self._writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    async def _finish(self, statement: Awaitable[object], undo: bool) -> None:
        """Run a transaction statement to the end even if our caller is cancelled.

        aiosqlite runs it in its thread regardless; abandoning the await would
        leave, after a cancelled BEGIN, a write lock that blocks every process.
        """
        task = asyncio.ensure_future(statement)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await task
            if undo and self._writer.in_transaction:
                with contextlib.suppress(Exception):
                    await self._writer.execute("ROLLBACK")
            raise


def _prepare_for_writing(path: Path, create: bool) -> Path:
    path = files.prepare(path, create=create)
    _inspect_before_wal(path)
    files.check_writable(path)
    return path


def _inspect_before_wal(path: Path) -> None:
    """Refuse a stranger's or a newer database before anything is written to it.

    Switching to WAL rewrites two header bytes, so a database still in rollback
    mode (byte 18 is 1) is read first through a read-only connection. One in
    WAL mode is left to `_migrate`, which checks it before writing anything.
    """
    header = files.check_header(path)
    if len(header) < 100 or header[18] != 1:
        return
    try:
        uri = f"{path.as_uri()}?mode=ro"
        with contextlib.closing(
            sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        ) as db:
            version, app_id, tables = db.execute(_IDENTITY).fetchone()
    except sqlite3.DatabaseError as exc:
        error = _translate(exc, path, BUSY_TIMEOUT_MS / 1000)
        if error is None or not isinstance(error, StoreLocked):
            error = StoreError(f"{path}: not a usable SQLite database ({exc}); nothing was changed")
        raise error from exc
    _check_identity(path, app_id, version, tables)


def _check_identity(path: Path, app_id: int, version: int, tables: int) -> None:
    """Ours, empty, or refused -- whose file it is comes before which version."""
    if tables and app_id != APPLICATION_ID:
        raise StoreError(f"{path}: a SQLite database of another program; nothing was changed")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {version} is newer than this warroom understands"
            f" ({SCHEMA_VERSION}); upgrade warroom. Nothing was changed."
        )


async def _switch_to_wal(db: StoreConnection) -> None:
    """WAL, unless it already is: asking to switch a WAL file again costs a lock.

    Switching a new file to WAL can be refused as "locked" without the busy
    handler being consulted while another process does the same: retry a while.
    """
    if await _pragma_text(db, "journal_mode") == "wal":
        await db.execute("PRAGMA synchronous = NORMAL")
        return
    deadline = asyncio.get_running_loop().time() + BUSY_TIMEOUT_MS / 1000
    delay = 0.01
    while True:
        try:
            mode = await _pragma_text(db, "journal_mode = WAL")
            break
        except StoreLocked:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
    if mode != "wal":
        raise StoreError(f"{db.path}: could not switch the database to WAL mode")
    await db.execute("PRAGMA synchronous = NORMAL")


# Whose file and which version: one statement, so one snapshot, whatever the
# transaction around it (none, or the migration's BEGIN IMMEDIATE).
_IDENTITY = (
    "SELECT (SELECT user_version FROM pragma_user_version),"
    " (SELECT application_id FROM pragma_application_id),"
    " (SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')"
)


async def _identity(db: aiosqlite.Connection) -> tuple[int, int, int]:
    """(user_version, application_id, table count); takes no lock of its own."""
    async with db.execute(_IDENTITY) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return 0, 0, 0
    return int(row[0]), int(row[1]), int(row[2])


async def _migrate(path: Path, db: aiosqlite.Connection) -> None:
    """Apply the migrations this file lacks, in one transaction, once across processes.

    The write lock is taken only when the plain read says a migration is due:
    opening a current database must never wait for (or block) a writer.
    """
    version, app_id, tables = await _identity(db)
    _check_identity(path, app_id, version, tables)
    if version == SCHEMA_VERSION:
        return
    await db.execute("BEGIN IMMEDIATE")
    try:
        # again under the lock: another process may have migrated meanwhile
        version, app_id, tables = await _identity(db)
        _check_identity(path, app_id, version, tables)
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[number - 1]):
                await db.execute(statement)
        if version < SCHEMA_VERSION:
            await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(StoreError):
                await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


async def _upgrade_for_reading(path: Path, version: int) -> None:
    """An older warroom's database: upgrade it if we may write it, else say who can."""
    if not files.directory_writable(path) or not await asyncio.to_thread(_writable, path):
        raise StoreReadOnly(
            f"{path}: schema version {version} is older than this warroom's"
            f" ({SCHEMA_VERSION}) and this user cannot write the file to upgrade it;"
            " run `warroom engine --once` as its owner"
        )
    writer = await connect(path)
    try:
        await _migrate(path, writer)
    finally:
        await writer.close()


def _writable(path: Path) -> bool:
    try:
        files.check_writable(path)
    except StoreError:
        return False
    return True


def _statements(script: str) -> list[str]:
    """Split a migration into statements; `executescript` would COMMIT our transaction."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


async def _pragma_text(db: aiosqlite.Connection, name: str) -> str:
    async with db.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return str(row[0]).lower() if row else ""
