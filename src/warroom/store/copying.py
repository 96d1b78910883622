"""`warroom migrate`: a bastion's whole history copied from one store to another.

A team that grows from one bastion to several moves its SQLite file into
PostgreSQL; one that shrinks moves back (issue 13). The copy is generic over
the schema: both sides' tables and columns are read from their catalogs, so a
table a later migration adds is copied with no change here, and only the
bookkeeping each backend keeps for itself (`BOOKKEEPING`) stays behind. Both
sides must be at the same schema version, the target empty (or emptied on
request), and nothing of the source is ever written.

Ids travel as they are (incidents, timeline events, runs, outbox rows and the
change feed's numbers), so references between rows, the timeline's order and
`engagements.rowid` (SQLite's insertion order, a column on PostgreSQL) stay
true; afterwards the target's counters continue after the copied ids
(PostgreSQL: identity sequences and `feed_clock`; SQLite: the change feed's
AUTOINCREMENT). The source is read in one snapshot and the target written in
one transaction, which is committed only once every table holds as many rows
as the source.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from warroom.model.value import Value
from warroom.store.errors import StoreError, StoreMissing
from warroom.store.opener import pg_address, postgres_url, sqlite_path
from warroom.store.pg_connection import translate_error
from warroom.store.pg_schema import APPLICATION
from warroom.store.schema import APPLICATION_ID, SCHEMA_VERSION

# Tables a backend keeps for itself, never copied: PostgreSQL's schema marker and
# change-feed counter, SQLite's AUTOINCREMENT counters (both carried over by
# `_Side.feed_counter` instead).
BOOKKEEPING = frozenset({"warroom_schema", "feed_clock", "sqlite_sequence"})
# SQLite's implicit row id, a real column on PostgreSQL (`engagements.rowid`)
ROWID = "rowid"
CHUNK = 5000
Row = tuple[Any, ...]


class TableCopied(Value, frozen=True):
    name: str
    rows: int


@dataclass(slots=True)
class CopyReport:
    source: str
    target: str
    version: int
    tables: list[TableCopied] = field(default_factory=list)
    # who held the source's engine lease when it was read: what it writes afterwards
    # stays behind
    lease_holder: str | None = None

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Side:
    """One end of the copy: its catalog, its rows, and the counters to carry over."""

    location: str

    async def identity(self) -> tuple[int, bool, bool]:
        """(schema version, a warroom store, holds any table)."""
        raise NotImplementedError

    async def columns(self) -> dict[str, list[str]]:
        """Every table but the bookkeeping, with its columns in declared order."""
        raise NotImplementedError

    async def count(self, table: str) -> int:
        raise NotImplementedError

    def read(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[Row]]:
        raise NotImplementedError

    async def feed_counter(self) -> int:
        raise NotImplementedError

    async def lease_holder(self) -> str | None:
        raise NotImplementedError

    async def begin_read(self) -> None:
        raise NotImplementedError

    async def begin_write(self, tables: Sequence[str], replace: bool) -> None:
        raise NotImplementedError

    def order(self, tables: Sequence[str]) -> list[str]:
        """Tables in an order the target accepts them (referenced ones first)."""
        return list(tables)

    async def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        raise NotImplementedError

    async def finish_write(self, feed_counter: int) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _SqliteSide(_Side):
    def __init__(self, path: Path, db: aiosqlite.Connection) -> None:
        self.location = str(path)
        self.db = db

    @classmethod
    async def open(cls, path: Path, writable: bool) -> _SqliteSide:
        if not await asyncio.to_thread(path.exists):
            raise StoreMissing(f"{path}: no such database")
        mode = "rw" if writable else "ro"
        try:
            # isolation_level None: transactions as this module says, not as sqlite3 guesses
            db = await aiosqlite.connect(
                f"{path.as_uri()}?mode={mode}", uri=True, timeout=5, isolation_level=None
            )
        except Exception as exc:
            raise StoreError(f"{path}: cannot open ({exc})") from exc
        return cls(path, db)

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self.db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    async def identity(self) -> tuple[int, bool, bool]:
        try:
            version = int(await self._one("PRAGMA user_version"))
            app = int(await self._one("PRAGMA application_id"))
            tables = int(await self._one("SELECT count(*) FROM sqlite_master WHERE type='table'"))
        except Exception as exc:
            raise StoreError(f"{self.location}: not a usable SQLite database ({exc})") from exc
        return version, app == APPLICATION_ID, tables > 0

    async def columns(self) -> dict[str, list[str]]:
        async with self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ) as cursor:
            names = [str(r[0]) for r in await cursor.fetchall()]
        found: dict[str, list[str]] = {}
        for name in names:
            if name in BOOKKEEPING or name.startswith("sqlite_"):
                continue
            async with self.db.execute(f"PRAGMA table_info({quoted(name)})") as cursor:
                found[name] = [str(r[1]) for r in await cursor.fetchall()]
        return found

    async def count(self, table: str) -> int:
        return int(await self._one(f"SELECT count(*) FROM {quoted(table)}"))

    async def read(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[Row]]:
        names = ", ".join(quoted(c) if c != ROWID else ROWID for c in columns)
        async with self.db.execute(f"SELECT {names} FROM {quoted(table)} ORDER BY rowid") as cur:
            while batch := await cur.fetchmany(CHUNK):
                yield [tuple(r) for r in batch]

    async def feed_counter(self) -> int:
        counted = await self._one("SELECT seq FROM sqlite_sequence WHERE name = 'changes'")
        newest = await self._one("SELECT max(seq) FROM changes")
        return max(int(counted or 0), int(newest or 0))

    async def lease_holder(self) -> str | None:
        return await _live_holder(self._one)

    async def begin_read(self) -> None:
        await self.db.execute("BEGIN")
        await self._one("SELECT count(*) FROM sqlite_master")  # the snapshot starts here

    async def begin_write(self, tables: Sequence[str], replace: bool) -> None:
        await self.db.execute("PRAGMA foreign_keys = OFF")
        await self.db.execute("BEGIN IMMEDIATE")
        if replace:
            for table in tables:
                await self.db.execute(f"DELETE FROM {quoted(table)}")

    async def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        names = ", ".join(quoted(c) if c != ROWID else ROWID for c in columns)
        marks = ", ".join("?" for _ in columns)
        await self.db.executemany(f"INSERT INTO {quoted(table)} ({names}) VALUES ({marks})", rows)

    async def finish_write(self, feed_counter: int) -> None:
        await self.db.execute("DELETE FROM sqlite_sequence WHERE name = 'changes'")
        await self.db.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('changes', ?)", (feed_counter,)
        )

    async def commit(self) -> None:
        await self.db.execute("COMMIT")

    async def close(self) -> None:
        if self.db.in_transaction:
            await self.db.execute("ROLLBACK")
        await self.db.close()


_CATALOG = """
SELECT c.table_name, c.column_name, c.data_type, c.is_identity
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position
"""
_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, a.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
"""
_PRIMARY_KEY = """
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = $1::regclass AND i.indisprimary
"""
_NUMBERS: dict[str, Callable[[Any], Any]] = {
    "double precision": float,
    "real": float,
    "bigint": int,
    "integer": int,
    "smallint": int,
}


class _PgSide(_Side):
    def __init__(self, location: str, con: asyncpg.Connection) -> None:
        self.location = location
        self.con = con
        self.transaction: Any = None
        self._types: dict[str, dict[str, str]] = {}
        self._identity_columns: list[tuple[str, str]] = []
        # table -> columns referring to the table itself, written after its rows
        self._self_refs: dict[str, list[str]] = {}
        self._later: list[tuple[str, list[str], list[str], list[Row]]] = []
        self._references: dict[str, set[str]] = {}

    @classmethod
    async def open(cls, url: str) -> _PgSide:
        address = pg_address(url)
        try:
            con = await asyncpg.connect(**address.connect_args(), timeout=10)
        except StoreError:
            raise
        except Exception as exc:
            raise translate_error(exc, address.location) from exc
        return cls(address.location, con)

    async def identity(self) -> tuple[int, bool, bool]:
        tables = int(
            await self.con.fetchval(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        )
        if not await self.con.fetchval("SELECT to_regclass('warroom_schema') IS NOT NULL"):
            return 0, False, tables > 0
        row = await self.con.fetchrow("SELECT application, version FROM warroom_schema LIMIT 1")
        if row is None:
            return 0, False, tables > 0
        return int(row["version"]), row["application"] == APPLICATION, True

    async def columns(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for table, column, data_type, is_identity in await self.con.fetch(_CATALOG):
            if table in BOOKKEEPING:
                continue
            found.setdefault(table, []).append(column)
            self._types.setdefault(table, {})[column] = data_type
            if is_identity == "YES":
                self._identity_columns.append((table, column))
        for table, referenced, column in await self.con.fetch(_FOREIGN_KEYS):
            if table == referenced:
                self._self_refs.setdefault(table, []).append(column)
            else:
                self._references.setdefault(table, set()).add(referenced)
        return found

    async def count(self, table: str) -> int:
        return int(await self.con.fetchval(f"SELECT count(*) FROM {quoted(table)}"))

    async def read(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[Row]]:
        names = ", ".join(quoted(c) for c in columns)
        keys = [str(r[0]) for r in await self.con.fetch(_PRIMARY_KEY, quoted(table))]
        order = f" ORDER BY {', '.join(quoted(k) for k in keys)}" if keys else ""
        batch: list[Row] = []
        async for record in self.con.cursor(
            f"SELECT {names} FROM {quoted(table)}{order}", prefetch=CHUNK
        ):
            batch.append(tuple(record))
            if len(batch) >= CHUNK:
                yield batch
                batch = []
        if batch:
            yield batch

    async def feed_counter(self) -> int:
        counted = await self.con.fetchval("SELECT seq FROM feed_clock WHERE one = 1")
        newest = await self.con.fetchval("SELECT max(seq) FROM changes")
        return max(int(counted or 0), int(newest or 0))

    async def lease_holder(self) -> str | None:
        async def one(sql: str, params: Sequence[Any] = ()) -> Any:
            return await self.con.fetchval(sql.replace("?", "$1"), *params)

        return await _live_holder(one)

    async def begin_read(self) -> None:
        self.transaction = self.con.transaction(isolation="repeatable_read", readonly=True)
        await self.transaction.start()

    async def begin_write(self, tables: Sequence[str], replace: bool) -> None:
        self.transaction = self.con.transaction()
        await self.transaction.start()
        if replace and tables:
            await self.con.execute(f"TRUNCATE {', '.join(quoted(t) for t in tables)}")

    def order(self, tables: Sequence[str]) -> list[str]:
        ordered: list[str] = []
        pending = list(tables)
        while pending:
            ready = [t for t in pending if self._references.get(t, set()) <= {*ordered} | {t}]
            if not ready:  # a cycle between tables: none in the schema; keep the rest as is
                ready = pending[:1]
            for table in ready:
                ordered.append(table)
                pending.remove(table)
        return ordered

    async def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        types = self._types.get(table, {})
        casts = [(i, _NUMBERS[types[c]]) for i, c in enumerate(columns) if types.get(c) in _NUMBERS]
        self_refs = [i for i, c in enumerate(columns) if c in self._self_refs.get(table, [])]
        if casts or self_refs:
            fixed: list[Row] = []
            later: list[Row] = []
            for row in rows:
                values = list(row)
                for index, cast in casts:
                    if values[index] is not None:
                        values[index] = cast(values[index])
                if self_refs and any(values[i] is not None for i in self_refs):
                    later.append(tuple(values))
                    for index in self_refs:
                        values[index] = None
                fixed.append(tuple(values))
            rows = fixed
            if later:
                self._later.append((table, list(columns), [columns[i] for i in self_refs], later))
        await self.con.copy_records_to_table(table, records=rows, columns=list(columns))

    async def finish_write(self, feed_counter: int) -> None:
        for table, columns, refs, rows in self._later:
            keys = [str(r[0]) for r in await self.con.fetch(_PRIMARY_KEY, quoted(table))]
            sets = ", ".join(f"{quoted(c)} = ${n}" for n, c in enumerate(refs, 1))
            where = " AND ".join(f"{quoted(k)} = ${n}" for n, k in enumerate(keys, len(refs) + 1))
            await self.con.executemany(
                f"UPDATE {quoted(table)} SET {sets} WHERE {where}",
                [
                    tuple(row[columns.index(c)] for c in [*refs, *keys])
                    for row in rows  # the values were cast already
                ],
            )
        for table, column in self._identity_columns:
            await self.con.execute(
                f"SELECT setval(pg_get_serial_sequence($1, $2),"
                f" coalesce((SELECT max({quoted(column)}) FROM {quoted(table)}), 0) + 1, false)",
                quoted(table),
                column,
            )
        await self.con.execute("UPDATE feed_clock SET seq = $1 WHERE one = 1", feed_counter)

    async def commit(self) -> None:
        await self.transaction.commit()
        self.transaction = None

    async def close(self) -> None:
        if self.transaction is not None:
            # a connection already gone rolled back by itself
            with contextlib.suppress(Exception):
                await self.transaction.rollback()
        await self.con.close()


async def _live_holder(one: Callable[..., Any]) -> str | None:
    """The engine lease's holder while unexpired, else None."""
    holder = await one(
        "SELECT holder FROM lease WHERE holder != '' AND expires_at > ?", (time.time(),)
    )
    return None if holder is None else str(holder)


def _is_pg(location: str | os.PathLike[str]) -> bool:
    return postgres_url(location) is not None


def local_path(location: str) -> Path:
    """`sqlite:PATH` (relative or absolute), `sqlite:///ABS` or a plain path."""
    if location.startswith("sqlite:") and not location.startswith("sqlite:/"):
        return Path(location.removeprefix("sqlite:")).expanduser()
    return sqlite_path(location).expanduser()


async def _open_side(location: str, *, writable: bool) -> _Side:
    url = postgres_url(location)
    if url is not None:
        return await _PgSide.open(url)
    return await _SqliteSide.open(local_path(location), writable)


async def _create_target(location: str) -> None:
    """A fresh store at the current schema, made by the store itself."""
    from warroom.store.opener import open_store

    target: str | Path = location if _is_pg(location) else local_path(location)
    store = await open_store(target)
    await store.close()


def _refuse_version(side: str, version: int, other: str, other_version: int) -> StoreError:
    return StoreError(
        f"{side}: schema version {version}, {other} is at {other_version}; bring both to"
        f" {SCHEMA_VERSION} first (run `warroom engine --once --db LOCATION` with this"
        " warroom on the older one). Nothing was copied."
    )


async def copy_store(
    source: str,
    target: str,
    *,
    replace: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> CopyReport:
    """Copy every table of `source` into `target`; StoreError, in one line, for what
    refuses (another program's database, differing schema versions, a target that
    holds a history and no `replace`). Only `target` is written."""
    src = await _open_side(source, writable=False)
    try:
        version, ours, has_tables = await src.identity()
        if not ours:
            raise StoreError(
                f"{src.location}: not a warroom database"
                if has_tables
                else f"{src.location}: no warroom store here"
            )
        if version != SCHEMA_VERSION:
            raise _refuse_version(src.location, version, "this warroom", SCHEMA_VERSION)
        tgt = await _probe_target(target, src.location, version)
        try:
            return await _copy(src, tgt, version, replace, progress)
        finally:
            await tgt.close()
    finally:
        await src.close()


async def _probe_target(target: str, source_location: str, version: int) -> _Side:
    """The target, created at the current schema when it holds nothing yet."""
    if not _is_pg(target) and not await asyncio.to_thread(local_path(target).exists):
        await _create_target(target)
    tgt = await _open_side(target, writable=True)
    try:
        tgt_version, ours, has_tables = await tgt.identity()
        if has_tables and not ours:
            raise StoreError(f"{tgt.location}: a database of another program; nothing was copied")
        if not has_tables:
            await tgt.close()
            await _create_target(target)
            tgt = await _open_side(target, writable=True)
            tgt_version, ours, has_tables = await tgt.identity()
        if tgt_version != version:
            raise _refuse_version(tgt.location, tgt_version, source_location, version)
    except BaseException:
        await tgt.close()
        raise
    return tgt


async def _copy(
    src: _Side, tgt: _Side, version: int, replace: bool, progress: Callable[[str], None]
) -> CopyReport:
    report = CopyReport(src.location, tgt.location, version)
    src_columns, tgt_columns = await src.columns(), await tgt.columns()
    if set(src_columns) != set(tgt_columns):
        only = sorted(set(src_columns) ^ set(tgt_columns))
        raise StoreError(
            f"{tgt.location}: the two stores' tables differ ({', '.join(only)}) at the same"
            " schema version; nothing was copied"
        )
    tables = tgt.order(sorted(tgt_columns))
    columns: dict[str, list[str]] = {}
    for table in tables:
        one, other = src_columns[table], tgt_columns[table]
        if {*one} - {ROWID} != {*other} - {ROWID}:
            raise StoreError(
                f"{tgt.location}: table {table} has other columns than at {src.location};"
                " nothing was copied"
            )
        columns[table] = one if len(one) >= len(other) else other
    held = {t: n for t in tables if (n := await tgt.count(t))}
    if held and not replace:
        shown = ", ".join(f"{n} in {t}" for t, n in sorted(held.items())[:3])
        raise StoreError(
            f"{tgt.location}: already holds a history ({shown}); pass --replace to empty it"
            " and copy over it. Nothing was copied."
        )
    await src.begin_read()
    report.lease_holder = await src.lease_holder()
    expected = {t: await src.count(t) for t in tables}
    await tgt.begin_write(tables, replace)
    for table in tables:
        async for rows in src.read(table, columns[table]):
            await tgt.write(table, columns[table], rows)
        progress(f"{table}: {expected[table]} rows")
    await tgt.finish_write(await src.feed_counter())
    for table in tables:
        copied = await tgt.count(table)
        if copied != expected[table]:
            raise StoreError(
                f"{tgt.location}: {table} holds {copied} rows after the copy, the source"
                f" {expected[table]}; nothing was copied"
            )
        report.tables.append(TableCopied(table, copied))
    await tgt.commit()
    return report
