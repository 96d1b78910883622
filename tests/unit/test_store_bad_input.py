"""Files that are not ours to change: refused with a clear message, left byte-for-byte."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from warroom.store import StoreError, open_store
from warroom.store.schema import SCHEMA_VERSION


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


async def _refused(path: Path) -> StoreError:
    with pytest.raises(StoreError) as info:
        store = await open_store(path)
        await store.close()  # pragma: no cover - only reached when the test fails
    assert str(path) in str(info.value), "the message must name the file"
    return info.value


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(os.urandom(8192), id="random-bytes"),
        pytest.param(b"database: /var/lib/warroom\nsources: []\n", id="text-file"),
        pytest.param(b"SQLite format 2\x00" + b"\x00" * 100, id="almost-a-header"),
    ],
)
async def test_corrupt_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "warroom.db"
    path.write_bytes(content)
    mtime = path.stat().st_mtime_ns
    error = await _refused(path)
    assert "not a SQLite database" in str(error)
    assert path.read_bytes() == content
    assert path.stat().st_mtime_ns == mtime
    assert _siblings(path) == ["warroom.db"], "no -wal/-shm/-journal next to it"


async def test_sqlite_header_with_garbage_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "warroom.db"
    content = b"SQLite format 3\x00" + os.urandom(4096)
    path.write_bytes(content)
    error = await _refused(path)
    assert "not a usable SQLite database" in str(error)
    assert path.read_bytes() == content
    assert _siblings(path) == ["warroom.db"]


def _foreign_db(path: Path, user_version: int = 0, wal: bool = False) -> bytes:
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('not yours')")
    con.execute("PRAGMA application_id = 1234")
    con.execute(f"PRAGMA user_version = {user_version}")
    con.commit()
    con.close()
    return path.read_bytes()


async def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    _foreign_db(path)
    error = await _refused(path)
    assert "another program" in str(error) or "not a warroom database" in str(error)
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT body FROM notes").fetchall() == [("not yours",)]
        assert con.execute("PRAGMA application_id").fetchone()[0] == 1234
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        assert "alerts" not in names
    finally:
        con.close()


async def test_foreign_wal_database_is_left_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    before = _foreign_db(path, wal=True)
    await _refused(path)
    assert path.read_bytes() == before
    assert _siblings(path) == ["other.db"]


async def test_foreign_database_is_left_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    before = _foreign_db(path)
    await _refused(path)
    assert path.read_bytes() == before
    assert _siblings(path) == ["other.db"]


async def test_foreign_database_with_user_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    _foreign_db(path, user_version=1)
    await _refused(path)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1
        assert {r[0] for r in con.execute("SELECT name FROM sqlite_master")} == {"notes"}
    finally:
        con.close()


async def test_foreign_database_with_high_user_version_is_not_called_newer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "other.db"
    _foreign_db(path, user_version=SCHEMA_VERSION + 41, wal=True)
    error = await _refused(path)
    assert "upgrade warroom" not in str(error)
    assert "another program" in str(error) or "not a warroom database" in str(error)


async def test_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "warroom.db"
    store = await open_store(path)
    await store.close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    before = path.read_bytes()
    error = await _refused(path)
    assert "newer" in str(error)
    assert str(SCHEMA_VERSION + 1) in str(error)
    assert path.read_bytes() == before
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    finally:
        con.close()


async def test_state_dir_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("I am a file\n")
    path = blocker / "state" / "warroom.db"
    with pytest.raises(StoreError) as info:
        await open_store(path)
    message = str(info.value)
    assert str(blocker) in message
    assert "directory" in message
    assert blocker.read_text() == "I am a file\n"


async def test_database_parent_is_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StoreError) as info:
        await open_store(blocker / "warroom.db")
    assert str(blocker) in str(info.value)
    assert "not a directory" in str(info.value).lower()


async def test_database_path_is_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "warroom.db"
    path.mkdir()
    with pytest.raises(StoreError) as info:
        await open_store(path)
    assert str(path) in str(info.value)
    assert "directory" in str(info.value)
