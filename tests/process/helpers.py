"""Helpers for tests that run warroom as real OS processes."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import subprocess
import threading
from pathlib import Path

import asyncpg

from warroom.store.opener import postgres_url
from warroom.store.pg_connection import translate_sql

HERE = Path(__file__).resolve().parent


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop(proc: subprocess.Popen[str]) -> None:
    """End a process we started (TERM, then KILL), and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


class LineReader:
    """Reads a pipe in a thread so the test can wait for a line with a timeout."""

    def __init__(self, stream: object) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def next(self, timeout: float) -> str | None:
        """The next line, or None at EOF; raises queue.Empty on timeout."""
        return self._lines.get(timeout=timeout)


# A database is a SQLite file (a Path) or a PostgreSQL URL (a str): the fault
# tests run on both backends with the same SQL (`?` placeholders).
Db = Path | str


def query(db: Db, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Read the shared database as any other process would (read-only, WAL-aware)."""
    if isinstance(db, str):
        return asyncio.run(_pg(db, sql, params))
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not created / migrated yet
    finally:
        con.close()


def execute(db: Db, sql: str, params: tuple[object, ...] = ()) -> None:
    """Write to the shared database from outside (expire a lease, clear one)."""
    if isinstance(db, str):
        asyncio.run(_pg(db, sql, params, write=True))
        return
    with sqlite3.connect(db, timeout=10) as con:
        con.execute(sql, params)
    con.close()


async def _pg(
    url: str, sql: str, params: tuple[object, ...], *, write: bool = False
) -> list[tuple[object, ...]]:
    text = translate_sql(sql)[0]
    try:
        con = await asyncpg.connect(postgres_url(url) or url, timeout=10)
    except (OSError, asyncpg.PostgresError):
        return []  # a server restarting: like a file not there yet
    try:
        if write:
            await con.execute(text, *params)
            return []
        return [tuple(r) for r in await con.fetch(text, *params)]
    except asyncpg.UndefinedTableError:
        return []  # not created / migrated yet
    finally:
        await con.close()


def lease_holder(db: Db) -> tuple[str, float] | None:
    rows = query(db, "SELECT holder, expires_at FROM lease WHERE name = 'engine' AND holder != ''")
    return (str(rows[0][0]), float(rows[0][1])) if rows else None  # type: ignore[arg-type]


def holder_pid(holder: str) -> int:
    """The pid in a lease holder's identity, `user@host:pid`."""
    return int(holder.rsplit(":", 1)[1])
