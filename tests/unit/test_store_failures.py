"""Store failures arrive as StoreError kinds a responder can act on, never raw sqlite3 errors.

Real failures only: a filesystem that is really full (a 1 MiB tmpfs, or a file
size limit where mounting is not allowed), a file with really broken pages, a
filesystem really mounted read-only.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.model import EventKind
from warroom.store import (
    SqliteStore,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreIOError,
    StoreMissing,
    StoreReadOnly,
    open_store,
)
from warroom.store.connection import JOURNAL_SIZE_LIMIT
from warroom.store.database import _statements
from warroom.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION


def _mount_tmpfs(where: Path, size: str) -> str | None:
    """Mount a small tmpfs at `where`; the reason when this machine does not allow it."""
    where.mkdir(exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode})"
    return None


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small"
    reason = _mount_tmpfs(where, "1m")
    if reason:
        pytest.skip(reason)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(path: Path) -> None:
    """Write until the filesystem says no: what a runaway log does to a bastion."""
    with path.open("wb", buffering=0) as handle:
        chunk = b"\0" * 4096
        while True:
            try:
                handle.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                return


def _checkpoint(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


async def test_full_disk_is_store_full_and_the_wal_gives_the_space_back(
    small_fs: Path,
) -> None:
    db = small_fs / "w.db"
    wal = small_fs / "w.db-wal"
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            await tx.add_event(None, EventKind.NOTE, "alice", "before")
        _checkpoint(db)  # all committed pages in the file: the WAL holds nothing worth keeping
        _fill(small_fs / "runaway.log")
        with pytest.raises(StoreFull) as info:
            async with store.transaction() as tx:
                await tx.add_event(None, EventKind.NOTE, "alice", "x" * 600_000)
        message = str(info.value)
        assert str(db) in message
        assert "no space left" in message
        assert info.value.kind == "full"  # what a caller rate-limits its log lines by
        assert not isinstance(info.value.__cause__, StoreError)
        assert wal.stat().st_size == 0, "the failed write's WAL frames still hold the disk"
        (small_fs / "runaway.log").unlink()
        async with store.transaction() as tx:
            await tx.add_event(None, EventKind.NOTE, "alice", "after")
        assert [e.text for e in await store.timeline(None)] == ["before", "after"]
    finally:
        await store.close()
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


FILE_SIZE_LIMIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, resource, signal, sys
    from pathlib import Path
    from warroom.model import EventKind
    from warroom.store import Store, StoreError, open_store

    async def main(db):
        store = await open_store(db)
        try:
            async with store.transaction() as tx:
                await tx.add_event(None, EventKind.NOTE, "alice", "before")
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
            size = db.stat().st_size
            resource.setrlimit(resource.RLIMIT_FSIZE, (size + 64 * 1024, size + 64 * 1024))
            try:
                async with store.transaction() as tx:
                    await tx.add_event(None, EventKind.NOTE, "alice", "x" * 600_000)
            except StoreError as exc:
                print(type(exc).__name__, exc)
        finally:
            await store.close()

    asyncio.run(main(Path(sys.argv[1])))
    """
)


def test_a_file_size_limit_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    """Where no tmpfs can be mounted this is the full disk anyone can make: EFBIG."""
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT_SCRIPT, str(tmp_path / "w.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    kind, _, message = result.stdout.strip().partition(" ")
    assert kind in (StoreFull.__name__, StoreIOError.__name__), result.stdout
    assert str(tmp_path / "w.db") in message


async def test_the_wal_is_bounded_after_checkpoints(store: SqliteStore) -> None:
    async with store._writer.execute("PRAGMA journal_size_limit") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == JOURNAL_SIZE_LIMIT


async def test_broken_pages_read_as_store_corrupt(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            for n in range(200):
                await tx.add_event(None, EventKind.NOTE, "alice", f"note {n} " + "y" * 200)
    finally:
        await store.close()
    page = 4096
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * page
    for offset in range(2 * page, len(data), page):  # every page but the schema's
        data[offset : offset + 64] = os.urandom(64)
    db.write_bytes(bytes(data))
    # met when opening (the store now reads more as it opens) or at the first read
    with pytest.raises(StoreCorrupt) as info:
        store = await open_store(db, read_only=True)
        try:
            await store.timeline(None)
        finally:
            await store.close()
    assert str(db) in str(info.value)
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)


# ---------------------------------------------------------------- read-only opens


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _remount_read_only(where: Path) -> None:
    result = subprocess.run(
        ["mount", "-o", "remount,ro", str(where)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot remount read-only: {result.stderr.strip()}")


async def test_read_only_open_never_creates(tmp_path: Path) -> None:
    for path in (tmp_path / "typo.db", tmp_path / "no" / "dir" / "w.db"):
        with pytest.raises(StoreMissing) as info:
            await open_store(path, read_only=True)
        assert f"no database at {path}" in str(info.value)
    assert _names(tmp_path) == []


async def test_read_only_open_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    path.touch()
    with pytest.raises(StoreMissing):
        await open_store(path, read_only=True)
    assert path.read_bytes() == b""
    assert _names(tmp_path) == ["w.db"]


async def test_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    created = await open_store(path)
    await created.close()
    store = await open_store(path, read_only=True)
    try:
        with pytest.raises(StoreReadOnly):
            async with store.transaction() as tx:
                await tx.add_event(None, EventKind.NOTE, "alice", "nope")
    finally:
        await store.close()


async def test_read_only_open_upgrades_an_older_schema_it_may_write(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    for statement in _statements(MIGRATIONS[0]):
        con.execute(statement)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("PRAGMA user_version = 1")
    con.execute(
        "INSERT INTO incidents (title, impact, status, created_at, created_by, updated_at)"
        " VALUES ('kept', 3, 'open', 0, 'alice', 0)"
    )
    con.close()
    store = await open_store(path, read_only=True)
    try:
        assert [i.title for i in await store.incidents()] == ["kept"]
    finally:
        await store.close()
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        con.close()


@pytest.fixture
def read_only_fs(tmp_path: Path) -> Iterator[Path]:
    """A filesystem with a warroom database on it, then remounted read-only."""
    where = tmp_path / "ro"
    reason = _mount_tmpfs(where, "4m")
    if reason:
        pytest.skip(reason)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


async def test_read_only_filesystem(read_only_fs: Path) -> None:
    db = read_only_fs / "w.db"
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            await tx.add_event(None, EventKind.NOTE, "alice", "kept")
    finally:
        await store.close()
    _remount_read_only(read_only_fs)
    with pytest.raises(StoreReadOnly) as info:
        await open_store(db)
    assert f"{db}: on a read-only filesystem" in str(info.value)
    reader = await open_store(db, read_only=True)
    try:
        assert [e.text for e in await reader.timeline(None)] == ["kept"]
    finally:
        await reader.close()
