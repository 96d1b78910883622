"""`warroom migrate`: a bastion's history from SQLite to PostgreSQL and back, every row.

Real SQLite files and the contract's real PostgreSQL server. The history is
written with plain SQL, one statement list per table (`HISTORY`), so that
every table holds rows with ids that are not 1, 2, 3: a table that a later
migration adds and this file does not fill fails
`test_the_history_fills_every_table_of_the_schema` (add its rows here), and
one that the copy skipped fails the round trip, which compares every row of
every table, SQLite's implicit rowid included.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom
from tests.support.postgres import PostgresServer

from warroom.model import EventKind, Impact
from warroom.store import StoreError, open_store
from warroom.store.copying import BOOKKEEPING, copy_store
from warroom.store.schema import SCHEMA_VERSION

from .conftest import PostgresBackend

NOW = 1_790_000_000.0

# One list of statements per table; ids chosen so that order and gaps show.
HISTORY: dict[str, list[str]] = {
    "incidents": [
        # #3 was merged into #12, a later id: its parent is written after it
        "INSERT INTO incidents (id, title, summary, impact, status, dedupe_key, plan, created_at,"
        " created_by, updated_at, parent_id) VALUES (3, 'Disk filling', 'db-1 at 97%', 2,"
        f" 'resolved', 'disk/c1', 'disk-full', {NOW}, 'triage', {NOW + 60}, 12)",
        "INSERT INTO incidents (id, title, impact, status, created_at, created_by,"
        f" acknowledged_at, acknowledged_by, updated_at) VALUES (12, 'Payments down ✓', 1,"
        f" 'acknowledged', {NOW + 5}, 'alice', {NOW + 30}, 'bob', {NOW + 30})",
        "INSERT INTO incidents (id, title, impact, status, created_at, created_by, updated_at)"
        f" VALUES (40, 'Queue backlog', 4, 'open', {NOW + 90}, 'carol', {NOW + 90})",
    ],
    "alerts": [
        "INSERT INTO alerts (source, fingerprint, name, state, severity, labels, annotations,"
        " starts_at, ends_at, url, digest, first_seen, updated_at, acknowledged_at,"
        " acknowledged_by, incident_id) VALUES ('am', 'fp1', 'DiskFull', 'firing', 'critical',"
        f""" '{{"cluster":"c1"}}', '{{"summary":"97%"}}', {NOW}, NULL, 'http://am/1', 'd1',"""
        f" {NOW}, {NOW + 1}, {NOW + 30}, 'bob', 12)",
        "INSERT INTO alerts (source, fingerprint, name, state, severity, labels, annotations,"
        " starts_at, ends_at, digest, first_seen, updated_at) VALUES ('prom', 'fp2', 'Backlog',"
        f" 'resolved', 'warning', '{{}}', '{{}}', {NOW}, {NOW + 9}, '', {NOW}, {NOW + 9})",
    ],
    "timeline": [
        "INSERT INTO timeline (id, incident_id, at, kind, actor, text, data) VALUES"
        f""" (5, 3, {NOW}, 'declared', 'triage', 'declared', '{{"plan":"disk-full"}}')""",
        "INSERT INTO timeline (id, incident_id, at, kind, actor, text) VALUES"
        f" (9, 12, {NOW + 30}, 'acknowledged', 'bob', 'acknowledged')",
        "INSERT INTO timeline (id, incident_id, at, kind, actor, text) VALUES"
        f" (100, NULL, {NOW + 40}, 'note', 'carol', 'checked the LB by hand')",
    ],
    "changes": [
        f"INSERT INTO changes (seq, entity, entity_id, at) VALUES (40, 'incident', '12', {NOW})",
        f"INSERT INTO changes (seq, entity, entity_id, at) VALUES (41, 'timeline', '', {NOW})",
        # the feed had numbered up to 57 before the older rows were pruned
        "UPDATE sqlite_sequence SET seq = 57 WHERE name = 'changes'",
    ],
    "lease": [
        "INSERT INTO lease (name, holder, acquired_at, expires_at, epoch) VALUES"
        f" ('engine', '', {NOW}, 0, 7)",
    ],
    "source_health": [
        "INSERT INTO source_health (name, interval, last_success, last_attempt, last_error,"
        f" failures, alert_count, retry_requested) VALUES ('am', 15.0, {NOW}, {NOW + 15},"
        f" 'HTTP 502', 1, 1, {NOW + 16})",
    ],
    "silences": [
        "INSERT INTO silences (source, silence_id, reason, created_by, created_at, ends_at,"
        f""" incident_id, alerts, expired_at) VALUES ('am', 's-1', 'ack', 'bob', {NOW},"""
        f""" {NOW + 3600}, 12, '["am/fp1"]', NULL)""",
    ],
    "alert_names": [
        "INSERT INTO alert_names (source, name, labels, first_seen, last_seen) VALUES"
        f""" ('am', 'DiskFull', '{{"cluster":"c1"}}', {NOW}, {NOW + 1})""",
    ],
    "engagements": [
        # inserted "z" before "a": the order the console shows is the insertion order
        "INSERT INTO engagements (incident_id, plan, status, stage, loop, next_at, started_at,"
        f" updated_at) VALUES (12, 'z-storage', 'active', 1, 0, {NOW + 300}, {NOW}, {NOW})",
        "INSERT INTO engagements (incident_id, plan, status, stage, loop, next_at, started_at,"
        f" updated_at) VALUES (12, 'a-payments', 'acknowledged', 0, 0, NULL, {NOW}, {NOW})",
    ],
    "outbox": [
        "INSERT INTO outbox (id, key, incident_id, kind, action, target, channel, payload,"
        " state, due_at, attempts, claimed_epoch, claimed_at, detail, reference,"
        " possible_repeat, created_at, done_at) VALUES (21, 'page/12/alice/1', 12, 'page',"
        f""" 'trigger', 'alice', 'page', '{{"summary":"x"}}', 'sent', {NOW}, 1, 7, {NOW},"""
        f" 'HTTP 202', 'dedup-12', 1, {NOW}, {NOW + 1})",
    ],
    "overrides": [
        "INSERT INTO overrides (id, schedule, start_at, end_at, replace, with_, author, reason,"
        f" created_at, cancelled_at, cancelled_by) VALUES (2, 'primary', {NOW}, {NOW + 7200},"
        f" 'alice', 'bob', 'bob', 'alice flies', {NOW}, NULL, NULL)",
    ],
    "runbook_runs": [
        "INSERT INTO runbook_runs (id, incident_id, name, status, version, run, started_by,"
        f""" started_at, updated_at) VALUES (6, 3, 'disk-full-cleanup', 'failed', 4,"""
        f""" '{{"steps":[]}}', 'bob', {NOW}, {NOW + 50})""",
    ],
    "runbook_attempts": [
        "INSERT INTO runbook_attempts (run_id, step, attempt, head_chars, tail_chars,"
        " dropped_chars, pid, process_start, output_path, result_path, epoch, output_offset)"
        " VALUES (6, 'usage', 1, 10, 5, 2, 4242, '123456', '/tmp/o', '/tmp/r', 7, 17)",
    ],
    "runbook_output": [
        "INSERT INTO runbook_output (run_id, seq, step, attempt, part, text) VALUES"
        " (6, 1, 'usage', 1, 'head', 'Filesystem  Size')",
        "INSERT INTO runbook_output (run_id, seq, step, attempt, part, text) VALUES"
        " (6, 2, 'usage', 1, 'tail', '/dev/sda1 97%')",
    ],
    "related_items": [
        "INSERT INTO related_items (id, incident_id, kind, title, url, actor, created_at) VALUES"
        f" (4, 12, 'ticket', 'OPS-7', 'https://t.example/browse/OPS-7', 'bob', {NOW + 31})",
        # an attachment's bytes, NUL and a high byte among them, must come through whole
        "INSERT INTO related_items (id, incident_id, kind, title, actor, created_at, size,"
        f" sha256, content) VALUES (9, 12, 'attachment', 'lb.txt', 'bob', {NOW + 32}, 3,"
        " 'ab12', X'00FF41')",
    ],
    "analysis_answers": [
        "INSERT INTO analysis_answers (incident_id, question, answer, answered_by, answered_at)"
        f" VALUES (3, 'detection', 'the disk alert, 20 min late', 'bob', {NOW + 100})",
    ],
    "analysis_marks": [
        "INSERT INTO analysis_marks (event_id, incident_id, mark, marked_by, marked_at)"
        f" VALUES (5, 3, 'key', 'bob', {NOW + 101})",
    ],
    "action_items": [
        "INSERT INTO action_items (id, incident_id, title, owner, due, status, link, created_by,"
        f" created_at, updated_at) VALUES (2, 3, 'alert at 85%', 'carol', '2026-12-01', 'open',"
        f" '', 'bob', {NOW + 102}, {NOW + 102})",
    ],
    "metric_snapshots": [
        "INSERT INTO metric_snapshots (id, incident_id, chart, taken_by, taken_at) VALUES"
        f""" (3, 3, '{{"series":[]}}', 'bob', {NOW + 103})""",
    ],
}


async def write_history(path: Path) -> None:
    store = await open_store(path)
    await store.close()
    with sqlite3.connect(path) as db:
        for statements in HISTORY.values():
            for statement in statements:
                db.execute(statement)
    db.close()


def sqlite_tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        names = [
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        ]
    db.close()
    return [n for n in names if n not in BOOKKEEPING]


def every_row(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        found = {
            table: db.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()
            for table in sqlite_tables(path)
        }
        found["sqlite_sequence"] = db.execute("SELECT * FROM sqlite_sequence").fetchall()
    db.close()
    return found


@pytest.fixture
async def pg(postgres_server: PostgresServer) -> PostgresBackend:
    return PostgresBackend(postgres_server)


async def test_the_history_fills_every_table_of_the_schema(tmp_path: Path) -> None:
    """A table without rows here is a table the round trip does not check: add them."""
    path = tmp_path / "w.db"
    await write_history(path)
    with sqlite3.connect(path) as db:
        empty = [t for t in sqlite_tables(path) if not db.execute(f"SELECT 1 FROM {t}").fetchone()]
    db.close()
    assert empty == [], f"tables without rows in HISTORY: {empty}"


async def test_both_backends_hold_the_same_tables_and_columns(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    """The copy pairs tables and columns by name; a table on one backend only is a
    migration that forgot the other (engagements.rowid is SQLite's implicit rowid)."""
    path = tmp_path / "w.db"
    await (await open_store(path)).close()
    await (await open_store(pg.url)).close()
    with sqlite3.connect(path) as db:
        lite = {
            t: sorted(r[1] for r in db.execute(f"PRAGMA table_info({t})"))
            for t in sqlite_tables(path)
        }
    db.close()
    listed = pg.server.psql(
        "SELECT table_name || '.' || column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY 1",
        database=pg.database,
    ).split()
    post: dict[str, list[str]] = {}
    for entry in listed:
        table, column = entry.split(".")
        if table not in BOOKKEEPING and (table, column) != ("engagements", "rowid"):
            post.setdefault(table, []).append(column)
    assert post == lite


async def test_a_round_trip_through_postgresql_keeps_every_row(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    await write_history(first)
    there = await copy_store(f"sqlite:{first}", pg.url)
    assert {t.name: t.rows for t in there.tables} == {
        table: len(statements) - (table == "changes") for table, statements in HISTORY.items()
    }
    assert there.target == pg.url.replace("warroom@", "")
    home = await copy_store(pg.url, str(back))
    assert sorted(home.tables, key=lambda t: t.name) == sorted(there.tables, key=lambda t: t.name)
    assert every_row(back) == every_row(first)


async def test_on_postgresql_ids_and_the_feed_continue_after_the_copied_ones(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    path = tmp_path / "w.db"
    await write_history(path)
    await copy_store(str(path), pg.url)
    store = await pg.open()
    cursor = await store.last_change()
    async with store.transaction() as tx:
        incident = await tx.create_incident("after the move", Impact.LOW, "alice")
        event = await tx.add_event(incident, EventKind.NOTE, "alice", "moved")
    assert (incident, event) == (41, 101)
    assert (await store.changes_since(cursor))[0].seq == 58
    # the merged incident kept its parent, the engagements their order
    merged = await store.incident(3)
    assert merged is not None and merged.parent_id == 12
    assert [e.plan for _, e in await store.engagements(12)] == ["z-storage", "a-payments"]
    assert [e.id for e in await store.timeline(None)] == [100]


async def test_back_on_sqlite_ids_and_the_feed_continue_too(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    await write_history(first)
    await copy_store(str(first), pg.url)
    await copy_store(pg.url, f"sqlite:{back}")
    store = await open_store(back)
    try:
        cursor = await store.last_change()
        async with store.transaction() as tx:
            incident = await tx.create_incident("home again", Impact.LOW, "alice")
            event = await tx.add_event(incident, EventKind.NOTE, "alice", "back")
        assert (incident, event) == (41, 101)
        assert (await store.changes_since(cursor))[0].seq == 58
    finally:
        await store.close()


async def test_a_target_with_a_history_is_refused_unless_replace(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    path = tmp_path / "w.db"
    await write_history(path)
    await copy_store(str(path), pg.url)
    with pytest.raises(StoreError) as refused:
        await copy_store(str(path), pg.url)
    message = str(refused.value)
    assert "\n" not in message and "pass --replace to empty it" in message
    assert message.startswith(pg.url.replace("warroom@", "") + ": already holds a history")
    again = await copy_store(str(path), pg.url, replace=True)
    assert sum(t.rows for t in again.tables) == sum(len(s) for s in HISTORY.values()) - 1


async def test_differing_schema_versions_are_refused_in_one_line(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    path = tmp_path / "w.db"
    await write_history(path)
    await (await open_store(pg.url)).close()
    pg.server.psql(f"UPDATE warroom_schema SET version = {SCHEMA_VERSION + 1}", pg.database)
    with pytest.raises(StoreError) as refused:
        await copy_store(str(path), pg.url)
    message = str(refused.value)
    assert "\n" not in message and f"schema version {SCHEMA_VERSION + 1}" in message
    assert "Nothing was copied" in message
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    db.close()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION - 1}"):
        await copy_store(str(path), str(tmp_path / "other.db"))


def test_the_command_copies_both_ways_and_says_how_fast(
    tmp_path: Path, pg: PostgresBackend
) -> None:
    import asyncio

    first, back = tmp_path / "first.db", tmp_path / "back.db"
    asyncio.run(write_history(first))
    env = clean_env(tmp_path)
    there = warroom("migrate", "--from", f"sqlite:{first}", "--to", pg.url, env=env, timeout=60)
    assert there.returncode == 0, there.stderr
    lines = there.stdout.splitlines()
    assert lines[0] == (
        f"copied {first} -> {pg.url.replace('warroom@', '')} (schema version {SCHEMA_VERSION})"
    )
    counts = {line.split()[0]: int(line.split()[1]) for line in lines[1:-1]}
    assert counts == {t: len(s) - (t == "changes") for t, s in HISTORY.items()}
    total = sum(counts.values())  # as many as HISTORY inserts: checked just above
    assert re.fullmatch(
        r"verified: every table holds as many rows as at the source;"
        rf" {total} rows in \d+\.\d s \([\d,]+ rows/s\)",
        lines[-1],
    )
    again = warroom("migrate", "--from", f"sqlite:{first}", "--to", pg.url, env=env, timeout=60)
    assert again.returncode == 2 and "pass --replace" in again.stderr
    assert "Traceback" not in again.stderr and len(again.stderr.splitlines()) == 1
    home = warroom("migrate", "--from", pg.url, "--to", f"sqlite:{back}", env=env, timeout=60)
    assert home.returncode == 0, home.stderr
    assert every_row(back) == every_row(first)
