"""Related items kept as rows (#12): the SQL, shared by SQLite and PostgreSQL.

Only what a responder added is stored; the derived items are gathered by the
engine from what the store already holds. An attachment's bytes are read by
`attachment_content` alone, so listing items never drags files along. Every
write touches the feed entity `incident` (id: the incident), which the Incident
and Metrics tabs already watch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from warroom.model.clock import from_epoch
from warroom.model.related import Origin, RelatedItem, RelatedKind, Relation

FEED_ENTITY = "incident"

_COLUMNS = (
    "id, kind, title, url, ref, relation, source, actor, created_at, size, sha256, incident_id"
)


def _item(row: Sequence[Any]) -> RelatedItem:
    (rid, kind, title, url, ref, relation, source, actor, created, size, sha256, _) = row
    return RelatedItem(
        kind=RelatedKind(kind),
        title=str(title),
        url=str(url),
        ref=str(ref),
        relation=str(relation),
        source=str(source),
        origin=Origin.HAND,
        id=int(rid),
        actor=str(actor),
        created_at=from_epoch(created),
        size=None if size is None else int(size),
        sha256=str(sha256),
    )


class RelatedWrites:
    """Write primitives for related items (mixed into the SQLite and PostgreSQL Tx)."""

    _db: aiosqlite.Connection
    _now_epoch: float | None

    def touch(self, entity: str, entity_id: object) -> None:
        raise NotImplementedError

    async def add_related(
        self, incident_id: int, item: RelatedItem, actor: str, content: bytes | None = None
    ) -> int:
        if item.kind not in STORED_KINDS:
            raise ValueError(f"{item.kind} items are derived, not stored")
        if item.kind is RelatedKind.INCIDENT and item.relation not in STORED_RELATIONS:
            raise ValueError(f"relation {item.relation!r} is derived, not stored")
        async with self._db.execute(
            "INSERT INTO related_items (incident_id, kind, title, url, ref, relation, source,"
            " actor, created_at, size, sha256, content)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                incident_id,
                item.kind.value,
                item.title,
                item.url,
                item.ref,
                item.relation,
                item.source,
                actor,
                self._now_epoch,
                None if content is None else len(content),
                item.sha256,
                content,
            ),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        self.touch(FEED_ENTITY, incident_id)
        return int(row[0])

    async def remove_related(self, incident_id: int, item_id: int) -> bool:
        async with self._db.execute(
            "DELETE FROM related_items WHERE id = ? AND incident_id = ? RETURNING id",
            (item_id, incident_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False
        self.touch(FEED_ENTITY, incident_id)
        return True


class RelatedReads:
    """Read queries for related items (mixed into the SQLite and PostgreSQL Store)."""

    _reader: aiosqlite.Connection

    async def related_items(self, incident_id: int) -> list[RelatedItem]:
        async with self._reader.execute(
            f"SELECT {_COLUMNS} FROM related_items WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        ) as cursor:
            return [_item(r) for r in await cursor.fetchall()]

    async def attachment_content(self, incident_id: int, item_id: int) -> bytes | None:
        async with self._reader.execute(
            "SELECT content FROM related_items"
            " WHERE id = ? AND incident_id = ? AND kind = 'attachment'",
            (item_id, incident_id),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    async def incident_silences(self, incident_id: int) -> list[tuple[str, str, str]]:
        async with self._reader.execute(
            "SELECT source, silence_id, reason FROM silences WHERE incident_id = ?"
            " ORDER BY created_at, silence_id",
            (incident_id,),
        ) as cursor:
            return [(str(s), str(i), str(r)) for s, i, r in await cursor.fetchall()]


STORED_KINDS = frozenset(
    {
        RelatedKind.LINK,
        RelatedKind.TICKET,
        RelatedKind.INCIDENT,
        RelatedKind.METRIC,
        RelatedKind.ATTACHMENT,
    }
)
STORED_RELATIONS = frozenset({Relation.SEE_ALSO.value})
