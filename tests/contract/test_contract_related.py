"""Related items through the contract: kept in the order added, attachments' bytes kept
whole and read apart from the listing, derived kinds refused, announced in the feed,
and seen by another process."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from tests.unit.helpers import T0

from warroom.model import Impact
from warroom.model.related import RelatedItem, RelatedKind, Relation
from warroom.store import Store

from .conftest import Backend


async def _incident(store: Store, title: str = "disk full") -> int:
    async with store.transaction(T0) as tx:
        return await tx.create_incident(title, Impact.HIGH, "alice")


async def test_items_are_kept_in_order_with_attachment_bytes_apart(store: Store) -> None:
    incident_id = await _incident(store)
    other = await _incident(store, "db slow")
    blob = bytes(range(256)) * 10  # every byte value: the backend keeps binary as is
    digest = hashlib.sha256(blob).hexdigest()
    seq = await store.last_change()
    async with store.transaction(T0 + timedelta(minutes=1)) as tx:
        link = await tx.add_related(
            incident_id,
            RelatedItem(RelatedKind.LINK, title="Disk usage", url="https://grafana.example/d/1"),
            "alice",
        )
        see = await tx.add_related(
            incident_id,
            RelatedItem(RelatedKind.INCIDENT, ref=str(other), relation=Relation.SEE_ALSO.value),
            "bob",
        )
        query = await tx.add_related(
            incident_id,
            RelatedItem(RelatedKind.METRIC, ref='up{job="node"}', source="prom"),
            "bob",
        )
        attached = await tx.add_related(
            incident_id,
            RelatedItem(RelatedKind.ATTACHMENT, title="df.txt", sha256=digest),
            "carol",
            content=blob,
        )
    assert link < see < query < attached
    assert {(c.entity, c.entity_id) for c in await store.changes_since(seq)} == {
        ("incident", str(incident_id))
    }
    items = await store.related_items(incident_id)
    assert [(i.id, i.kind, i.actor) for i in items] == [
        (link, RelatedKind.LINK, "alice"),
        (see, RelatedKind.INCIDENT, "bob"),
        (query, RelatedKind.METRIC, "bob"),
        (attached, RelatedKind.ATTACHMENT, "carol"),
    ]
    assert (items[0].title, items[0].url, items[0].created_at) == (
        "Disk usage",
        "https://grafana.example/d/1",
        T0 + timedelta(minutes=1),
    )
    assert (items[1].ref, items[1].relation) == (str(other), "see-also")
    assert (items[2].ref, items[2].source) == ('up{job="node"}', "prom")
    assert (items[3].size, items[3].sha256, items[3].title) == (len(blob), digest, "df.txt")
    assert await store.attachment_content(incident_id, attached) == blob
    assert await store.attachment_content(other, attached) is None  # not that incident's
    assert await store.attachment_content(incident_id, link) is None  # not an attachment
    assert await store.related_items(other) == []

    async with store.transaction() as tx:
        assert await tx.remove_related(other, link) is False
        assert await tx.remove_related(incident_id, link) is True
        assert await tx.remove_related(incident_id, link) is False
    assert [i.id for i in await store.related_items(incident_id)] == [see, query, attached]


async def test_derived_kinds_are_refused(store: Store) -> None:
    incident_id = await _incident(store)
    for item in (
        RelatedItem(RelatedKind.RUNBOOK, ref="1"),
        RelatedItem(RelatedKind.SILENCE, ref="abc", source="am"),
        RelatedItem(RelatedKind.INCIDENT, ref="2", relation=Relation.MERGED.value),
    ):
        with pytest.raises(ValueError):
            async with store.transaction() as tx:
                await tx.add_related(incident_id, item, "alice")
    assert await store.related_items(incident_id) == []


async def test_another_process_sees_the_items(backend: Backend) -> None:
    one, two = await backend.open(), await backend.open()
    incident_id = await _incident(one)
    async with one.transaction(T0) as tx:
        item_id = await tx.add_related(
            incident_id,
            RelatedItem(RelatedKind.TICKET, url="https://jira.example/browse/OPS-7", ref="OPS-7"),
            "alice",
        )
    (seen,) = await two.related_items(incident_id)
    assert (seen.id, seen.kind, seen.ref) == (item_id, RelatedKind.TICKET, "OPS-7")


async def test_incident_silences_lists_those_made_for_it(store: Store) -> None:
    incident_id = await _incident(store)
    async with store.transaction(T0) as tx:
        await tx.record_silence(
            "am", "s2", "manual", "bob", T0 + timedelta(hours=2), incident_id, ()
        )
        await tx.record_silence("am", "s1", "ack", "alice", T0 + timedelta(hours=1), None, ())
    assert await store.incident_silences(incident_id) == [("am", "s2", "manual")]
