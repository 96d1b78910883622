"""What only the PostgreSQL backend has: NOTIFY wake-ups, and a server that goes away.

These use the contract's server fixture but reach past the contract where the
point is how PostgreSQL keeps it (the NOTIFY, a killed server connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tests.support import postgres
from tests.support.postgres import PostgresServer

from warroom.store import StoreMissing, StoreUnreachable, open_store, pg_database

from .conftest import PostgresBackend, new_incident, note


@pytest.fixture
async def pg(postgres_server: PostgresServer) -> AsyncIterator[PostgresBackend]:
    backend = PostgresBackend(postgres_server)
    yield backend
    await backend.close_all()


async def test_a_commit_on_another_host_wakes_a_watcher_by_notify(
    pg: PostgresBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without the NOTIFY the watcher would only see it at its next poll, 60 s away
    monkeypatch.setattr(pg_database, "POLL_SECONDS", 60.0)
    writer, reader = await pg.open(), await pg.open()
    incident_id = await new_incident(writer)
    feed = reader.watch()
    waiting = asyncio.ensure_future(anext(feed))
    await asyncio.sleep(0.5)  # the watcher is listening and asleep
    async with writer.transaction() as tx:
        await note(tx, incident_id, "from another host")
    batch = await asyncio.wait_for(waiting, 10)
    assert [(c.entity, c.entity_id) for c in batch] == [("timeline", str(incident_id))]
    await feed.aclose()


async def test_a_missing_database_is_one_line_naming_it(pg: PostgresBackend) -> None:
    for read_only in (False, True):
        with pytest.raises(StoreMissing) as missing:
            await open_store(pg.missing, read_only=read_only)
        message = str(missing.value)
        assert message.startswith(pg.missing.replace("warroom@", "")) and "\n" not in message
        assert "no such database" in message


async def test_a_connection_cut_mid_transaction_commits_nothing_and_says_unreachable(
    pg: PostgresBackend,
) -> None:
    store = await pg.open()
    incident_id = await new_incident(store)
    with pytest.raises(StoreUnreachable, match="database unreachable"):
        async with store.transaction() as tx:
            await note(tx, incident_id, "never committed")
            await asyncio.to_thread(
                pg.server.psql,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE datname = '{pg.database}' AND pid <> pg_backend_pid()",
            )
            await note(tx, incident_id, "the connection is gone")
    # the store reconnects for the next caller, and nothing of that transaction is there
    assert await store.timeline(incident_id) == []
    async with store.transaction() as tx:
        await note(tx, incident_id, "after")
    assert [e.text for e in await store.timeline(incident_id)] == ["after"]


def test_without_the_server_binaries_skip_and_under_require_real_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres, "find_bindir", lambda: None)
    monkeypatch.delenv("WARROOM_REQUIRE_REAL", raising=False)
    skipped = pytest.raises(pytest.skip.Exception, match=r"install postgresql \(Debian package")
    with skipped, postgres.running_postgres():
        pass
    monkeypatch.setenv("WARROOM_REQUIRE_REAL", "1")
    failed = pytest.raises(pytest.fail.Exception, match=r"REAL=1\): install postgresql")
    with failed, postgres.running_postgres():
        pass


def test_the_binaries_are_found_where_debian_puts_them() -> None:
    found = postgres.find_bindir()
    assert found is not None and (found / "initdb").is_file()
