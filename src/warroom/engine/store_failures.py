"""Store failures at the engine's edge: named for a responder, logged once a minute.

A locked, full or read-only database is not a bug: a traceback every second
buries the one line that says what to do. Each failure gets a kind and a
message; the log says each kind once per minute while it lasts.

The store reports some failures as `StoreError` subclasses (StoreLocked,
StoreFull, StoreReadOnly...); their class name is the kind, so new ones need no
change here. A raw `sqlite3.OperationalError` that slipped through is named by
its text instead.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from warroom.store import StoreError

# What the engine's loops catch as "the store failed", as opposed to a bug.
STORE_FAILURES: tuple[type[BaseException], ...] = (StoreError, sqlite3.OperationalError)

LOG_EVERY_SECONDS = 60.0

_BY_TEXT = (
    ("locked", "StoreLocked", "another process is writing and held the lock too long"),
    ("busy", "StoreLocked", "another process is writing and held the lock too long"),
    ("full", "StoreFull", "the disk is full; free space there, polling resumes by itself"),
    (
        "readonly",
        "StoreReadOnly",
        "the database is read-only; give this user write permission on it and its directory",
    ),
    ("read-only", "StoreReadOnly", "the database is read-only; give this user write permission"),
    ("disk i/o", "StoreIO", "a disk I/O error; check the disk and the file system"),
)


def is_store_failure(exc: BaseException) -> bool:
    return isinstance(exc, STORE_FAILURES)


def failure_kind(exc: BaseException) -> str:
    if isinstance(exc, StoreError):
        return type(exc).__name__
    text = str(exc).lower()
    for marker, kind, _ in _BY_TEXT:
        if marker in text:
            return kind
    return "StoreError"


def describe(exc: BaseException, path: str | Path | None = None) -> str:
    """One line a responder can act on; a StoreError already is one."""
    if isinstance(exc, StoreError):
        return str(exc)
    text = str(exc)
    where = f"{path}: " if path is not None else ""
    for marker, _, advice in _BY_TEXT:
        if marker in text.lower():
            return f"{where}{advice} ({text})"
    return f"{where}database error: {text}"


class FailureLog:
    """Logs a store failure once per kind per `every` seconds, not once per try."""

    def __init__(self, logger: logging.Logger, every: float = LOG_EVERY_SECONDS) -> None:
        self._log = logger
        self._every = every
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def failed(self, what: str, exc: BaseException, path: str | Path | None = None) -> bool:
        """Log `what failed: why` unless this kind was logged within the period;
        True when it was logged."""
        kind = failure_kind(exc)
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self._every:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return False
        self._last[kind] = now
        again = self._suppressed.pop(kind, 0)
        more = f" ({again} more since the last report)" if again else ""
        self._log.error("%s failed: %s%s", what, describe(exc, path), more)
        return True
