"""The change feed through the contract: every write once, in commit order, resumable.

The order-of-commit cases matter for backends whose writers commit at once
(PostgreSQL): a transaction that began first and commits last must not be
skipped by a reader whose cursor already passed a later one. SQLite's single
writer makes the second writer wait instead, and the tests accept either way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

from tests.unit.helpers import make_alert

from warroom.store import Change, Store

from .conftest import Backend, new_incident, note


def pairs(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.entity, c.entity_id) for c in changes]


async def test_every_entity_a_transaction_touches_appears_once(store: Store) -> None:
    incident_id = await new_incident(store)
    seq = await store.last_change()
    alert = make_alert("A", instance="1")
    async with store.transaction() as tx:
        await tx.apply_snapshot("prom", [alert])
        await tx.attach_alerts(incident_id, [alert.key])
        await tx.update_incident(incident_id, title="renamed")
        await note(tx, incident_id, "one")
        await note(tx, incident_id, "two")
    changes = await store.changes_since(seq)
    assert Counter(pairs(changes)) == Counter(
        [("alerts", "prom"), ("incident", str(incident_id)), ("timeline", str(incident_id))]
    )
    seqs = [c.seq for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert await store.last_change() == seqs[-1]


async def test_a_rolled_back_transaction_leaves_no_feed_row(store: Store) -> None:
    seq = await store.last_change()
    with contextlib.suppress(RuntimeError):
        async with store.transaction() as tx:
            await note(tx, None, "never")
            raise RuntimeError("the caller failed")
    assert await store.changes_since(seq) == []
    assert await store.timeline(None) == []


async def test_a_cursor_resumes_where_it_left_off_from_another_process(backend: Backend) -> None:
    writer, reader = await backend.open(), await backend.open()
    incident_id = await new_incident(writer)
    cursor = await reader.last_change()
    seen: list[Change] = []
    for n in range(5):
        async with writer.transaction() as tx:
            await note(tx, incident_id, f"n{n}")
        if n % 2:
            batch = await reader.changes_since(cursor)
            seen += batch
            cursor = batch[-1].seq if batch else cursor
    seen += await reader.changes_since(cursor)
    assert pairs(seen) == [("timeline", str(incident_id))] * 5
    assert [c.seq for c in seen] == sorted({c.seq for c in seen})


async def test_watch_from_a_cursor_reports_what_committed_before_it_started(
    backend: Backend,
) -> None:
    writer, reader = await backend.open(), await backend.open()
    cursor = await reader.last_change()
    incident_id = await new_incident(writer)
    feed = reader.watch(since=cursor)
    first = await asyncio.wait_for(anext(feed), 5)
    assert ("incident", str(incident_id)) in pairs(first)
    async with writer.transaction() as tx:
        await note(tx, incident_id, "later")
    later = await asyncio.wait_for(anext(feed), 5)
    assert pairs(later) == [("timeline", str(incident_id))]
    assert later[0].seq > first[-1].seq
    await feed.aclose()


async def test_a_transaction_that_commits_last_is_not_skipped(backend: Backend) -> None:
    """Writer A writes first and commits last; B commits in between; a reader that
    reads between the two commits must still see A's row afterwards."""
    a, b, reader = await backend.open(), await backend.open(), await backend.open()
    first, second = await new_incident(a, "first"), await new_incident(a, "second")
    cursor = await reader.last_change()
    seen: list[Change] = []

    async def write_b() -> None:
        async with b.transaction() as tx:
            await note(tx, second, "from b")

    async with a.transaction() as tx:
        await note(tx, first, "from a")
        await tx.update_incident(first, title="first, edited")
        b_task = asyncio.create_task(write_b())
        # where writers run at once B commits now; under a single writer it waits for A
        await asyncio.wait({b_task}, timeout=0.5)
        mid = await reader.changes_since(cursor)
        seen += mid
        cursor = mid[-1].seq if mid else cursor
    await b_task
    seen += await reader.changes_since(cursor)
    assert Counter(pairs(seen)) == Counter(
        [("timeline", str(first)), ("incident", str(first)), ("timeline", str(second))]
    )
    assert [c.seq for c in seen] == sorted({c.seq for c in seen})


async def test_a_reader_following_concurrent_writers_misses_nothing(backend: Backend) -> None:
    """Several writers commit as fast as they can while a reader follows with its
    cursor: afterwards it has seen every row exactly once, in increasing order."""
    writers = [await backend.open() for _ in range(3)]
    reader = await backend.open()
    incidents = [await new_incident(w, f"w{n}") for n, w in enumerate(writers)]
    cursor = await reader.last_change()
    start = cursor
    done = asyncio.Event()
    seen: list[Change] = []

    async def write(store: Store, incident_id: int) -> None:
        for n in range(15):
            async with store.transaction() as tx:
                await note(tx, incident_id, f"{n}")
                await tx.update_incident(incident_id, summary=f"{n}")
            await asyncio.sleep(0)

    async def follow() -> None:
        nonlocal cursor
        while True:
            finished = done.is_set()
            batch = await reader.changes_since(cursor)
            seen.extend(batch)
            if batch:
                cursor = batch[-1].seq
            if finished:
                return
            await asyncio.sleep(0.005)

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(write(w, i) for w, i in zip(writers, incidents, strict=True)))
    done.set()
    await follower
    everything = await reader.changes_since(start)
    assert [c.seq for c in seen] == [c.seq for c in everything]
    assert len(everything) == 3 * 15 * 2
