"""The search across incidents and timelines through the contract, on every backend."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.helpers import T0

from warroom.model import EventKind, Impact, IncidentStatus
from warroom.store import Store

H = timedelta(hours=1)


async def _seed(store: Store) -> tuple[int, int, int, int]:
    async with store.transaction(T0) as tx:
        old = await tx.create_incident("Disk full on db-3", Impact.HIGH, "alice")
        await tx.add_event(old, EventKind.NOTE, "alice", "Rotated the WAL on DB-3, 40% freed")
    async with store.transaction(T0 + H) as tx:
        await tx.update_incident(
            old, status=IncidentStatus.RESOLVED.value, resolved_at=T0 + H, resolved_by="alice"
        )
        summary = await tx.create_incident("Checkout errors", Impact.MEDIUM, "bob")
        await tx.update_incident(summary, summary="payments to db-3 time out")
        event = await tx.create_incident("Latency", Impact.LOW, "bob")
        await tx.add_event(event, EventKind.ESCALATED, "bob", "paged the db-3 owners")
        other = await tx.create_incident("Nothing alike", Impact.LOW, "bob")
        await tx.add_event(other, EventKind.NOTE, "bob", "db_3 is another host; 100% fine")
    return old, summary, event, other


async def test_search_finds_titles_summaries_notes_and_events_resolved_too(store: Store) -> None:
    old, summary, event, _ = await _seed(store)
    hits = await store.search_incidents("DB-3")
    # newest first, one hit each, the resolved incident too
    assert [h.incident.id for h in hits] == [event, summary, old]
    by_id = {h.incident.id: h for h in hits}
    # the title is the most telling place; the note of the same incident is counted
    assert (by_id[old].field, by_id[old].text, by_id[old].matches) == (
        "title",
        "Disk full on db-3",
        2,
    )
    assert by_id[old].incident.status is IncidentStatus.RESOLVED
    assert (by_id[summary].field, by_id[summary].text) == ("summary", "payments to db-3 time out")
    assert (by_id[event].field, by_id[event].kind, by_id[event].text) == (
        "timeline",
        EventKind.ESCALATED.value,
        "paged the db-3 owners",
    )
    assert by_id[event].at == T0 + H


async def test_a_note_match_says_note_and_wildcards_are_literal(store: Store) -> None:
    old, _, _, other = await _seed(store)
    [hit] = await store.search_incidents("wal on")
    assert (hit.incident.id, hit.field) == (old, "note")
    # `_` and `%` are characters to find, not LIKE's wildcards
    assert [h.incident.id for h in await store.search_incidents("db_3")] == [other]
    assert [h.incident.id for h in await store.search_incidents("40%")] == [old]
    assert await store.search_incidents("4%") == []
    assert await store.search_incidents("   ") == []
    assert await store.search_incidents("no such text") == []


async def test_the_limit_keeps_the_newest(store: Store) -> None:
    async with store.transaction(T0) as tx:
        made = [await tx.create_incident(f"flap {n}", Impact.LOW, "bot") for n in range(5)]
    hits = await store.search_incidents("FLAP", limit=2)
    assert [h.incident.id for h in hits] == made[-1:-3:-1]
