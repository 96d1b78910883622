"""The backend fixture: every contract test runs once per store backend.

A backend is a place a fresh store can be opened, several times over (each
`open` is another process's view: its own connections), plus the ways to make
the bad places the error tests need. Tests use `Store` and `Tx` only, never a
backend's class, so a new backend joins by adding one entry to `BACKENDS` and
a `Backend` subclass. PostgreSQL runs one real server per session
(`tests.support.postgres`) and one fresh database per test; without the
server binaries its cases skip, or fail under WARROOM_REQUIRE_REAL=1.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tests.support.postgres import PostgresServer, running_postgres

from warroom.model import EventKind, Impact
from warroom.store import Store, Tx, open_store
from warroom.store.schema import SCHEMA_VERSION

BACKENDS = ["sqlite", "postgresql"]


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


_DATABASES = itertools.count(1)


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, server: PostgresServer) -> None:
        super().__init__()
        self.server = server
        self.database = f"contract_{next(_DATABASES)}"
        server.psql(f"CREATE DATABASE {self.database}")
        self.url = server.url(self.database)
        self.missing = server.url(f"{self.database}_nowhere")

    def foreign(self) -> str:
        other = f"{self.database}_other"
        self.server.psql(f"CREATE DATABASE {other}")
        self.server.psql("CREATE TABLE notes (body TEXT)", database=other)
        return self.server.url(other)

    def make_newer(self) -> None:
        self.server.psql(
            f"UPDATE warroom_schema SET version = {SCHEMA_VERSION + 1}", database=self.database
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        chosen: Backend = SqliteBackend(tmp_path)
    elif request.param == "postgresql":
        chosen = PostgresBackend(request.getfixturevalue("postgres_server"))
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
