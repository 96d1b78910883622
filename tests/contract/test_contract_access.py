"""Opening a store through the contract: read-only opens, and the errors a responder sees."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.store import (
    Store,
    StoreError,
    StoreMissing,
    StoreReadOnly,
    StoreUnreachable,
    open_store,
)

from .conftest import Backend, new_incident, note


async def test_a_read_only_store_reads_and_refuses_every_write(backend: Backend) -> None:
    writer = await backend.open()
    incident_id = await new_incident(writer)
    async with writer.transaction() as tx:
        await note(tx, incident_id, "seen by readers")
    reader = await backend.open(read_only=True)
    assert reader.read_only and not writer.read_only
    assert [i.id for i in await reader.incidents()] == [incident_id]
    assert [e.text for e in await reader.timeline(incident_id)] == ["seen by readers"]
    assert await reader.last_change() == await writer.last_change()
    with pytest.raises(StoreReadOnly):
        async with reader.transaction():
            pass
    with pytest.raises(StoreReadOnly):
        await reader.acquire_lease("r", timedelta(seconds=10))
    with pytest.raises(StoreReadOnly):
        await reader.release_lease("r")
    # a read-only store still sees what writers commit after it opened
    async with writer.transaction() as tx:
        await note(tx, incident_id, "later")
    assert len(await reader.timeline(incident_id)) == 2


async def test_nothing_there_is_missing_and_stays_missing(backend: Backend) -> None:
    with pytest.raises(StoreMissing):
        await backend.open_at(backend.missing, read_only=True)
    with pytest.raises(StoreMissing):
        await backend.open_at(backend.missing, create=False)
    with pytest.raises(StoreMissing):
        await backend.open_at(backend.missing, read_only=True)  # neither open created it


async def test_a_store_is_created_by_a_writable_open_and_reopened_as_it_was(
    backend: Backend,
) -> None:
    with pytest.raises(StoreMissing):
        await backend.open(create=False)
    first = await backend.open()
    incident_id = await new_incident(first)
    await first.close()
    again = await backend.open(create=False)
    assert [i.id for i in await again.incidents()] == [incident_id]


async def test_another_programs_database_is_refused(backend: Backend) -> None:
    foreign = backend.foreign()
    for read_only in (False, True):
        with pytest.raises(StoreError, match="another program"):
            await backend.open_at(foreign, read_only=read_only)


async def test_a_newer_schema_is_refused(backend: Backend) -> None:
    store = await backend.open()
    await store.close()
    backend.make_newer()
    for read_only in (False, True):
        with pytest.raises(StoreError, match="newer"):
            await backend.open(read_only=read_only)


async def test_the_location_is_named_without_a_password(store: Store) -> None:
    assert store.location and "@" not in store.location


@pytest.mark.parametrize(
    "url",
    ["mysql://alice:s3cret@db/warroom", "mysql://db/warroom", "oracle://alice:s3cret@db/w"],
)
async def test_an_unsupported_scheme_is_one_line_and_keeps_the_password_out(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as refused:
        await open_store(url)
    message = str(refused.value)
    assert "not supported yet" in message and "\n" not in message
    assert "s3cret" not in message
    assert await asyncio.to_thread(os.listdir, tmp_path) == []  # nothing created on the way
    with pytest.raises(StoreError) as folded:
        await open_store(Path(url))  # as --db and the config hand it over ("scheme:/...")
    assert str(folded.value) == message


async def test_a_sqlite_url_and_a_plain_path_open_the_same_store(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    by_url = await open_store(f"sqlite://{path}")
    try:
        incident_id = await new_incident(by_url)
    finally:
        await by_url.close()
    for same in (path, Path(f"sqlite://{path}")):  # a URL folded by pathlib too
        by_path = await open_store(same, read_only=True)
        try:
            assert [i.id for i in await by_path.incidents()] == [incident_id]
        finally:
            await by_path.close()
    with pytest.raises(StoreError, match="absolute path"):
        await open_store("sqlite://host/w.db")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_an_unreachable_postgresql_is_one_line_naming_it_without_the_password(
    scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    port = _closed_port()
    url = f"{scheme}://alice:s3cret@127.0.0.1:{port}/warroom"
    for given in (url, Path(url)):  # as --db and the config hand it over too
        with pytest.raises(StoreUnreachable) as refused:
            await open_store(given)
        message = str(refused.value)
        assert f"127.0.0.1:{port}/warroom" in message and "unreachable" in message
        assert "\n" not in message and "s3cret" not in message
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def test_processes_creating_the_store_at_once_create_it_once(backend: Backend) -> None:
    stores = await asyncio.gather(*(backend.open() for _ in range(3)))
    ids = [await new_incident(s, f"from {n}") for n, s in enumerate(stores)]
    for store in stores:
        assert sorted(i.id for i in await store.incidents()) == sorted(ids)
