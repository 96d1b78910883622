"""One aiosqlite connection whose failures arrive as store errors.

Every statement, fetch, commit and close of an aiosqlite connection passes
through `Connection._execute`, whatever module issued it (reads, the change
feed, the lease, a poll's write), so translating there is the one place that
keeps raw `sqlite3.OperationalError` from ever reaching the engine, the screen
or the CLI. The original error stays attached as `__cause__`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

from warroom.store.errors import StoreError, StorePermission, translate
from warroom.store.files import sidecars

BUSY_TIMEOUT_MS = 5000
# After a checkpoint SQLite truncates the WAL back to this size, so one large
# poll cannot leave a WAL that holds on to the disk for good.
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024


class StoreConnection(aiosqlite.Connection):
    path: Path

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        produced: list[Any] = []

        def call() -> Any:
            result = fn(*args, **kwargs)
            produced.append(result)
            return result

        try:
            return await super()._execute(call)  # type: ignore[no-untyped-call]
        except asyncio.CancelledError:
            # The call runs (or ran) on the connection's thread all the same. A cursor
            # it returns is nobody's, yet the caller's traceback may keep it alive, and
            # an un-exhausted one is an open read transaction: this connection would
            # see the database as it was, for good. Close it there, after the call
            # (the thread's queue is first in, first out).
            closing = asyncio.ensure_future(super()._execute(partial(_close_cursors, produced)))  # type: ignore[no-untyped-call]
            _CLOSING.add(closing)
            closing.add_done_callback(_CLOSING.discard)
            raise
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from exc


# the closes under way, held so that none is collected before it ran
_CLOSING: set[asyncio.Future[Any]] = set()


def _close_cursors(produced: list[Any]) -> None:
    for result in produced:
        if isinstance(result, sqlite3.Cursor):
            result.close()
    produced.clear()


def _store_error(exc: sqlite3.Error, path: Path) -> Exception:
    error = translate(exc, path, BUSY_TIMEOUT_MS / 1000)
    if error is None:
        return exc
    name = getattr(exc, "sqlite_errorname", "")
    if name in ("SQLITE_READONLY_DIRECTORY", "SQLITE_CANTOPEN") and not path.parent.is_dir():
        return StoreError(f"{path}: its directory {path.parent} is gone")
    if name == "SQLITE_READONLY_DIRECTORY":
        wal, shm = sidecars(path)
        return StorePermission(
            f"permission denied: {path.parent} (need w to create {wal.name} and {shm.name})"
        )
    return error


async def connect(
    path: Path, *, read_only: bool = False, immutable: bool = False
) -> StoreConnection:
    """A connection with the busy timeout set; read-only ones use SQLite's `mode=ro`.

    `immutable` is for a database whose directory nobody can write (a read-only
    mount, a copy handed over for a review): no other process can be writing it.
    """
    if read_only:
        query = "immutable=1" if immutable else "mode=ro"
        target, uri = f"{path.as_uri()}?{query}", True
    else:
        target, uri = str(path), False

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(
            target,
            uri=uri,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )

    db = StoreConnection(connector, 64)
    db.path = path
    try:
        await db
    except sqlite3.Error as exc:
        raise _store_error(exc, path) from exc
    try:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    except BaseException:
        await db.close()
        raise
    return db
