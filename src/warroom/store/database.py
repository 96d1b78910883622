"""Opening the one SQLite file that every console and engine on the bastion shares.

Two connections per process: a writer for short `BEGIN IMMEDIATE` transactions,
and a reader for queries and for watching `PRAGMA data_version`, which changes
whenever any *other* connection commits -- including our own writer -- so one
mechanism wakes the screen for local and remote writes alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiosqlite

from warroom.model.clock import utcnow
from warroom.store.errors import StoreError
from warroom.store.feed import FeedMixin
from warroom.store.lease import LeaseMixin
from warroom.store.reads import CoverageReads, ReadsMixin, SilenceReads
from warroom.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from warroom.store.tx import Tx

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


class Store(ReadsMixin, SilenceReads, CoverageReads, FeedMixin, LeaseMixin):
    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        # set on every commit of this process: its own screen wakes at once,
        # other processes' commits are seen within the feed's poll interval
        self._committed = asyncio.Event()

    @classmethod
    async def open(cls, path: Path) -> Store:
        """Open or create the database; refuse anything that is not ours to change."""
        path = await asyncio.to_thread(_prepare_path, path)
        writer = await _connect(path)
        try:
            await _migrate(path, writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self, now: datetime | None = None) -> AsyncIterator[Tx]:
        """One short write transaction; the change feed is appended before COMMIT."""
        async with self._write_lock:
            if self._writer.in_transaction:  # left open by a cancelled caller: undo it
                await self._writer.execute("ROLLBACK")
            await self._finish(self._writer.execute("BEGIN IMMEDIATE"), undo=True)
            tx = Tx(self._writer, now or utcnow())
            try:
                yield tx
                await tx.write_changes()
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk):
                # a second ROLLBACK would raise and hide the real failure
                if self._writer.in_transaction:
                    await self._finish(self._writer.execute("ROLLBACK"), undo=False)
                raise
            await self._finish(self._writer.execute("COMMIT"), undo=False)
            self._committed.set()

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


def _prepare_path(path: Path) -> Path:
    """Directory 0700 and file 0600: incident notes are nobody else's business."""
    path = Path(path).expanduser()
    directory = path.parent
    try:
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"{directory}: cannot create the state directory: {exc.strerror}") from exc
    if not directory.is_dir():
        raise StoreError(f"{directory}: not a directory")
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the database: {exc.strerror}") from exc
        if header and header != SQLITE_HEADER:
            raise StoreError(
                f"{path}: not a SQLite database (its first bytes are not a SQLite header);"
                " nothing was changed. Move it aside or pass --db with another path."
            )
        if header:
            _inspect_before_wal(path)
        return path
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass  # another process created it between our check and now
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the database: {exc.strerror}") from exc
    return path


def _inspect_before_wal(path: Path) -> None:
    """Refuse a stranger's or a newer database before anything is written to it.

    Switching to WAL rewrites two header bytes, so a database still in rollback
    mode (byte 18 is 1) is read first through a read-only connection. One in
    WAL mode is left to `_migrate`, which checks again inside its transaction.
    """
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or header[18] != 1:
        return
    try:
        uri = f"{path.as_uri()}?mode=ro"
        with contextlib.closing(
            sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        ) as db:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: not a usable SQLite database ({exc}); nothing was changed"
        ) from exc
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


async def _connect(path: Path) -> aiosqlite.Connection:
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the database: {exc}") from exc
    try:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA foreign_keys = ON")
        row = await _switch_to_wal(db)
        if row is None or str(row[0]).lower() != "wal":
            raise StoreError(f"{path}: could not switch the database to WAL mode")
        await db.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        await db.close()
        raise StoreError(
            f"{path}: not a usable SQLite database ({exc}); nothing was changed"
        ) from exc
    except BaseException:
        await db.close()
        raise
    return db


async def _switch_to_wal(db: aiosqlite.Connection) -> sqlite3.Row | None:
    """Switching a new file to WAL can be refused as "locked" without the busy
    handler being consulted while another process does the same: retry a while."""
    deadline = asyncio.get_running_loop().time() + BUSY_TIMEOUT_MS / 1000
    delay = 0.01
    while True:
        try:
            async with db.execute("PRAGMA journal_mode = WAL") as cursor:
                return await cursor.fetchone()
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc) or "busy" in str(exc)
            if not locked or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)


async def _migrate(path: Path, db: aiosqlite.Connection) -> None:
    """Apply the migrations this file lacks, in one transaction, once across processes."""
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            version = await _pragma_int(db, "user_version")
            app_id = await _pragma_int(db, "application_id")
            async with db.execute(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ) as cursor:
                row = await cursor.fetchone()
            _check_identity(path, app_id, version, row[0] if row else 0)
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    await db.execute(statement)
            if version < SCHEMA_VERSION:
                await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        await db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: not a usable SQLite database ({exc}); nothing was changed"
        ) from exc


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


async def _pragma_int(db: aiosqlite.Connection, name: str) -> int:
    async with db.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
