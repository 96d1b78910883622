"""The shared database of a fault test, on each backend.

`shared_db` is a SQLite file (a Path) or a fresh PostgreSQL database on the
session's server (a URL string); the process tests hand it to `--db` or
`open_store` and read it back with `helpers.query`, so one test body checks
both backends. Without the PostgreSQL binaries its cases skip, or fail under
WARROOM_REQUIRE_REAL=1 (`tests.support.postgres`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.postgres import PostgresServer, running_postgres

from .helpers import Db

BACKENDS = ["sqlite", "postgresql"]
_DATABASES = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


def new_database(server: PostgresServer) -> str:
    """A fresh, empty database on `server`: its URL."""
    name = f"proc_{os.getpid()}_{next(_DATABASES)}"
    server.psql(f"CREATE DATABASE {name}")
    return server.url(name)


@pytest.fixture(params=BACKENDS)
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    if request.param == "sqlite":
        return tmp_path / "shared.db"
    return new_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def pg_db(postgres_server: PostgresServer) -> str:
    """A fresh PostgreSQL database, for the faults only a server has."""
    return new_database(postgres_server)
