"""A reader paging a timeline by event id misses no event that commits late.

The Timeline tab asks only for events after the last id it shows
(`timeline_after`). Where writers commit at once (PostgreSQL), an event can
take a lower id and commit after a higher one was read; the store must not let
the reader pass it. SQLite's single writer makes the second writer wait
instead, and the tests accept either way, as the change feed's do.
"""

from __future__ import annotations

import asyncio

from warroom.model import TimelineEvent
from warroom.store import Store

from .conftest import Backend, new_incident, note


async def page(reader: Store, incident_id: int | None, seen: list[TimelineEvent]) -> None:
    after = seen[-1].id if seen else 0
    seen += await reader.timeline_after(incident_id, after)


async def test_an_event_that_commits_last_with_a_lower_id_is_not_skipped(
    backend: Backend,
) -> None:
    """A writes first (the lower id) and commits last; B commits in between; a reader
    paging between the two commits still has A's event afterwards, once."""
    a, b, reader = await backend.open(), await backend.open(), await backend.open()
    for incident_id in (await new_incident(a), None):
        seen: list[TimelineEvent] = []

        async def write_b(incident_id: int | None = incident_id) -> None:
            async with b.transaction() as tx:
                await note(tx, incident_id, "from b")

        async with a.transaction() as tx:
            await note(tx, incident_id, "from a")
            b_task = asyncio.create_task(write_b())
            # where writers run at once B commits now; under a single writer it waits for A
            await asyncio.wait({b_task}, timeout=0.5)
            mid = asyncio.create_task(page(reader, incident_id, seen))
            # a reader may wait for A rather than pass it
            await asyncio.wait({mid}, timeout=0.5)
        await b_task
        await mid
        await page(reader, incident_id, seen)
        await page(reader, incident_id, seen)
        assert sorted(e.text for e in seen) == ["from a", "from b"], incident_id
        assert [e.id for e in seen] == sorted(e.id for e in seen)


async def test_readers_following_concurrent_writers_miss_no_event(backend: Backend) -> None:
    """Three writers note as fast as they can while a reader pages the timeline:
    afterwards it has every event exactly once, in id order."""
    writers = [await backend.open() for _ in range(3)]
    reader = await backend.open()
    incident_id = await new_incident(writers[0])
    done = asyncio.Event()
    seen: list[TimelineEvent] = []

    async def write(store: Store, name: str) -> None:
        for n in range(15):
            async with store.transaction() as tx:
                await note(tx, incident_id, f"{name}{n}")
                await asyncio.sleep(0.002)  # hold the id a moment before COMMIT
            await asyncio.sleep(0)

    async def follow() -> None:
        while True:
            finished = done.is_set()
            await page(reader, incident_id, seen)
            if finished:
                return
            await asyncio.sleep(0.003)

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(write(w, f"w{i}-") for i, w in enumerate(writers)))
    done.set()
    await follower
    everything = await reader.timeline(incident_id)
    assert [e.id for e in seen] == [e.id for e in everything]
    assert len(everything) == 3 * 15
