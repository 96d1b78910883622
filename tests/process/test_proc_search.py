"""`warroom incidents --search TEXT`: when did we see this before, as a script reads it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import clean_env
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import Impact
from warroom.store import open_store

HOSTILE = "db-7 \x1b]52;c;SGVsbG8=\x07 \x9b2J [bold]x[/bold] \u202eevil"


async def _seed(db: Path) -> tuple[int, int]:
    store = await open_store(db)
    try:
        service = Service(store, "alice")
        old = await service.declare_incident([], "Checkout 5xx", Impact.HIGH)
        await service.add_note(old, "Restarted the DB-7 pool, errors gone")
        await service.resolve(old)
        live = await service.declare_incident([], "Disk full on db-7", Impact.MEDIUM)
        await service.add_note(live, HOSTILE)
        await service.declare_incident([], "Unrelated", Impact.LOW)
    finally:
        await store.close()
    return old, live


async def test_search_lists_resolved_incidents_with_the_field_and_a_snippet(
    tmp_path: Path,
) -> None:
    db = tmp_path / "search.db"
    old, live = await _seed(db)
    env = clean_env(tmp_path)
    result = run("--db", str(db), "incidents", "--search", "db-7", "--json", env=env)
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["id"], o["field"], o["status"]) for o in found] == [
        (live, "title", "open"),
        (old, "note", "resolved"),
    ]
    assert found[1]["snippet"] == "Restarted the DB-7 pool, errors gone"
    assert found[0]["matches"] == 2  # its title and its note

    table = run("--db", str(db), "incidents", "--search", "DB-7", env=env)
    assert table.returncode == 0, table.stderr
    header, first, second = table.stdout.splitlines()
    assert header.split()[:5] == ["ID", "STATUS", "WHEN", "MATCH", "N"]
    assert first.startswith(f"#{live}") and "Disk full on db-7" in first
    assert second.startswith(f"#{old}") and " note " in second and "Restarted the DB-7" in second


async def test_search_output_is_escape_free(tmp_path: Path) -> None:
    db = tmp_path / "evil.db"
    await _seed(db)
    env = clean_env(tmp_path)
    for more in ((), ("--json",)):
        result = run("--db", str(db), "incidents", "--search", "evil", *more, env=env)
        assert result.returncode == 0, result.stderr
        assert "evil" in result.stdout
        for char in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert char not in result.stdout


async def test_search_with_no_text_or_no_match_says_so(tmp_path: Path) -> None:
    db = tmp_path / "search.db"
    await _seed(db)
    env = clean_env(tmp_path)
    empty = run("--db", str(db), "incidents", "--search", "  ", env=env)
    assert empty.returncode == 2
    assert empty.stderr.strip() == "warroom: --search needs some text to look for"
    none = run("--db", str(db), "incidents", "--search", "nowhere", env=env)
    assert none.returncode == 0, none.stderr
    assert none.stdout.strip() == "no incident mentions 'nowhere'"
    assert run("--db", str(db), "incidents", "--search", "zzz", "--json", env=env).stdout == ""
