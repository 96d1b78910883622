"""Store failures a responder can act on: each names the file and what to do.

Callers catch `StoreError`; the subclasses tell kinds apart so a long-running
process can log one line per kind and minute instead of one per failed write,
and can keep a failure's message in memory when the failure is that nothing
can be written. Raw `sqlite3` errors never leave the store for these kinds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import ClassVar


class StoreError(Exception):
    """Anything about the database a responder must fix or wait out."""

    # a short, stable name for logs and rate limits: one line per kind and minute
    kind: ClassVar[str] = "store"


class StoreMissing(StoreError):
    """A command that only reads found no database; it never creates one."""

    kind: ClassVar[str] = "missing"


class StoreLocked(StoreError):
    """Another process held the write lock for longer than the busy timeout."""

    kind: ClassVar[str] = "locked"


class StoreFull(StoreError):
    """The filesystem holding the database (or its WAL) has no room left."""

    kind: ClassVar[str] = "full"


class StoreReadOnly(StoreError):
    """The database, its directory or its filesystem cannot be written."""

    kind: ClassVar[str] = "read-only"


class StorePermission(StoreError):
    """A directory on the way, or the file itself, denies a permission we need."""

    kind: ClassVar[str] = "permission"


class StoreIOError(StoreError):
    """The operating system failed a read or write (a failing disk, a vanished mount)."""

    kind: ClassVar[str] = "io"


class StoreCorrupt(StoreError):
    """The file is not a database SQLite can use."""

    kind: ClassVar[str] = "corrupt"


# primary result codes (the low byte of an extended code), from sqlite3.h
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


def translate(exc: sqlite3.Error, path: Path, busy_seconds: float) -> StoreError | None:
    """The store error a responder should see for `exc`, or None for a program bug.

    Constraint violations and misuse stay `sqlite3` errors: they are bugs to see
    with a traceback, not conditions to report and retry.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in text:
        return StoreLocked(
            f"another process is writing to {path}; waited {busy_seconds:g} s. Try again."
        )
    if primary == SQLITE_FULL or "database or disk is full" in text:
        return StoreFull(
            f"{path}: no space left on the filesystem holding {path.parent};"
            " free some space there (nothing was written)"
        )
    if primary == SQLITE_READONLY or "readonly database" in text:
        return StoreReadOnly(
            f"{path}: the database cannot be written ({text}); check the permissions of"
            f" {path} and {path.parent}, or whether the filesystem is mounted read-only"
        )
    if primary == SQLITE_PERM:
        return StorePermission(f"{path}: permission denied ({text})")
    if primary == SQLITE_IOERR or "disk I/O error" in text:
        return StoreIOError(
            f"{path}: the disk failed a read or write ({text}); check the disk and free space"
        )
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreCorrupt(f"{path}: not a usable SQLite database ({text}); nothing was changed")
    if primary == SQLITE_CANTOPEN:
        return StoreIOError(f"{path}: cannot open the database or its WAL ({text})")
    return None


class StoreUnreachable(StoreError):
    """A database server could not be reached, or the connection to it broke."""

    kind: ClassVar[str] = "unreachable"
