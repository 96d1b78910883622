"""The backend fixture: every contract test runs once per store backend.

A backend is a place a fresh store can be opened, several times over (each
`open` is another process's view: its own connections), plus the ways to make
the bad places the error tests need. Tests use `Store` and `Tx` only, never a
backend's class, so a new backend (PostgreSQL, issue 13) joins by adding one
entry to `BACKENDS` and a `Backend` subclass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from warroom.model import EventKind, Impact
from warroom.store import Store, Tx, open_store
from warroom.store.schema import SCHEMA_VERSION

BACKENDS = ["sqlite"]


class Backend:
    """Where one test's store lives, and how to reach it from several "processes"."""

    name: str
    url: str  # a fresh location: no store there until the first writable open
    missing: str  # a location where no store is, nor will be

    def __init__(self) -> None:
        self._opened: list[Store] = []

    async def open(self, *, read_only: bool = False, create: bool = True) -> Store:
        store = await open_store(self.url, read_only=read_only, create=create)
        self._opened.append(store)
        return store

    async def open_at(self, url: str, *, read_only: bool = False, create: bool = True) -> Store:
        store = await open_store(url, read_only=read_only, create=create)
        self._opened.append(store)
        return store

    def foreign(self) -> str:
        """A location holding another program's database."""
        raise NotImplementedError

    def make_newer(self) -> None:
        """Mark the store at `url` as written by a newer warroom."""
        raise NotImplementedError

    async def close_all(self) -> None:
        for store in reversed(self._opened):
            await store.close()
        self._opened.clear()


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.path = root / "state" / "warroom.db"
        self.url = f"sqlite://{self.path}"  # the URL form; plain paths are tested elsewhere
        self.missing = str(root / "nowhere" / "warroom.db")

    def foreign(self) -> str:
        path = self.root / "other.db"
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE notes (body TEXT)")
        con.close()
        return str(path)

    def make_newer(self) -> None:
        with sqlite3.connect(self.path) as con:
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        con.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        chosen: Backend = SqliteBackend(tmp_path)
    else:  # pragma: no cover - a backend listed without a fixture
        raise AssertionError(f"no fixture for backend {request.param!r}")
    try:
        yield chosen
    finally:
        await chosen.close_all()


@pytest.fixture
async def store(backend: Backend) -> Store:
    return await backend.open()


async def note(tx: Tx, incident_id: int | None, text: str, actor: str = "alice") -> int:
    """A timeline note: the one place these tests build an event."""
    return await tx.add_event(incident_id, EventKind.NOTE, actor, text)


async def new_incident(store: Store, title: str = "Disk filling", actor: str = "alice") -> int:
    async with store.transaction() as tx:
        return await tx.create_incident(title, Impact.MEDIUM, actor)
