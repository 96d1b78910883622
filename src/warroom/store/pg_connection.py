"""asyncpg behind the small cursor interface the shared SQLite queries are written to.

The read and write primitives (`reads`, `outbox`, `overrides`, `tx`) speak
`db.execute(sql, params)` with `?` placeholders and read `rowcount` and
`lastrowid`. `PgSession` gives them the same on one asyncpg connection (a
transaction's) or on a pool (reads), rewriting `?` to `$n` and the few SQLite
spellings PostgreSQL lacks, so each query exists once for both backends.

Every asyncpg and socket failure a responder can act on leaves here as a
`StoreError` naming the database (without its password) and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from warroom.store.errors import (
    StoreError,
    StoreFull,
    StoreLocked,
    StoreMissing,
    StorePermission,
    StoreReadOnly,
    StoreUnreachable,
)

# SQLite spellings in the shared queries, and PostgreSQL's for them
_REWRITES = (
    ("max(possible_repeat, ?)", "greatest(possible_repeat, ?)"),
    ("INSERT OR IGNORE INTO", "INSERT INTO"),
    # the caller deletes the row first (PgTx.record_silence)
    ("INSERT OR REPLACE INTO", "INSERT INTO"),
    # integers are no booleans in PostgreSQL; a subquery in FROM needs a name
    ("CASE WHEN possible_repeat THEN", "CASE WHEN possible_repeat != 0 THEN"),
    ("LIMIT ?) ORDER BY id", "LIMIT ?) AS recent ORDER BY id"),
    # SQLite's `IS ?` compares with NULL too; PostgreSQL spells it out
    (" IS ? ", " IS NOT DISTINCT FROM ? "),
    # SQLite's LIKE ignores ASCII case; the search (search_reads) means that
    (" LIKE ? ESCAPE '\\'", " ILIKE ? ESCAPE '\\'"),
)
# tables whose inserts report the new row's id (SQLite's lastrowid)
_WITH_ID = re.compile(r"^\s*INSERT INTO (incidents|timeline|overrides|outbox|runbook_runs)\b", re.I)
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.I)
_translated: dict[str, tuple[str, bool, bool]] = {}


def translate_sql(sql: str) -> tuple[str, bool, bool]:
    """(PostgreSQL text, returns rows, reports an id), cached per statement."""
    known = _translated.get(sql)
    if known is not None:
        return known
    text = sql
    for old, new in _REWRITES:
        text = text.replace(old, new)
    if text.lstrip().upper().startswith("INSERT INTO") and "OR IGNORE" in sql.upper():
        text += " ON CONFLICT DO NOTHING"
    parts = text.split("'")
    number = 0
    for index in range(0, len(parts), 2):  # outside quotes only
        pieces = parts[index].split("?")
        rebuilt = pieces[0]
        for piece in pieces[1:]:
            number += 1
            rebuilt += f"${number}{piece}"
        parts[index] = rebuilt
    text = "'".join(parts)
    with_id = bool(_WITH_ID.match(text)) and not re.search(r"\bRETURNING\b", text, re.I)
    if with_id:
        text += " RETURNING id"
    result = (text, with_id or bool(_RETURNS_ROWS.search(text)), with_id)
    _translated[sql] = result
    return result


class PgCursor:
    """What an aiosqlite cursor gave the shared code: rows, rowcount, lastrowid."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._rows]

    async def fetchone(self) -> tuple[Any, ...] | None:
        return tuple(self._rows[0]) if self._rows else None

    async def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        """The next `size` rows (all were read already: asyncpg fetches whole)."""
        taken, self._rows = self._rows[:size], self._rows[size:]
        return [tuple(r) for r in taken]


class _Pending:
    """Awaitable and `async with`-able, as aiosqlite's `execute` result is."""

    def __init__(self, session: PgSession, sql: str, params: Sequence[Any]) -> None:
        self._call = session.run(sql, params)

    def __await__(self) -> Any:
        return self._call.__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._call

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgSession:
    """One connection (a transaction's) or a pool (reads): `execute` either way."""

    def __init__(self, target: asyncpg.Connection | asyncpg.Pool, location: str) -> None:
        self.target = target
        self.location = location
        self.in_transaction = False

    def execute(self, sql: str, params: Sequence[Any] | Iterable[Any] = ()) -> _Pending:
        return _Pending(self, sql, list(params))

    async def run(self, sql: str, params: Sequence[Any]) -> PgCursor:
        text, returns_rows, with_id = translate_sql(sql)
        try:
            if returns_rows:
                rows = list(await self.target.fetch(text, *params))
                lastrowid = int(rows[0][0]) if with_id and rows else None
                return PgCursor(rows, len(rows), lastrowid)
            status = await self.target.execute(text, *params)
        except Exception as exc:
            raise translate_error(exc, self.location) from exc
        count = status.rsplit(" ", 1)[-1]
        return PgCursor([], int(count) if count.isdigit() else -1, None)

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> PgCursor:
        text, _, _ = translate_sql(sql)
        text = text.removesuffix(" RETURNING id")
        try:
            await self.target.executemany(text, list(params))
        except Exception as exc:
            raise translate_error(exc, self.location) from exc
        return PgCursor([], -1, None)


def translate_error(exc: BaseException, location: str) -> BaseException:
    """The store error for `exc`, naming `location`; program bugs stay as they are."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return StoreMissing(
            f"{location}: no such database on that server; create it (createdb) or fix the URL"
        )
    if isinstance(
        exc, (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
    ):
        return StorePermission(
            f"{location}: authentication failed ({exc}); set the password"
            " (PGPASSWORD, ~/.pgpass) or the user in the URL"
        )
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return StorePermission(f"{location}: permission denied ({exc}); grant the user access")
    if isinstance(exc, asyncpg.DiskFullError):
        return StoreFull(f"{location}: the database server's disk is full; nothing was written")
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return StoreReadOnly(f"{location}: the server accepts no writes ({exc}); is it a replica?")
    if isinstance(
        exc,
        (
            asyncpg.DeadlockDetectedError,
            asyncpg.SerializationError,
            asyncpg.LockNotAvailableError,
        ),
    ):
        return StoreLocked(f"{location}: another writer held the rows ({exc}). Try again.")
    if isinstance(
        exc,
        (
            OSError,
            asyncpg.PostgresConnectionError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.CannotConnectNowError,
            asyncpg.AdminShutdownError,
            asyncpg.ConnectionFailureError,
        ),
    ) or (
        # a connection the server cut (a restart, pg_terminate_backend) fails its next
        # statement as a client state error before asyncpg has noticed it closed
        isinstance(exc, (asyncpg.InterfaceError, asyncpg.InternalClientError))
        and ("connection" in str(exc).lower() or "another operation" in str(exc))
    ):
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return StoreUnreachable(
            f"{location}: database unreachable ({detail}); check that PostgreSQL runs"
            " and the host and port in the URL"
        )
    if isinstance(exc, TimeoutError):
        return StoreUnreachable(f"{location}: database unreachable (timed out)")
    return exc
