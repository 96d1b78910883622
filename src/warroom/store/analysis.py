"""Post-incident analysis: the SQL, shared by SQLite and PostgreSQL.

Every write appends a typed timeline event (`model.events`) in the same
transaction, so the incident's story says who answered, marked or changed what,
and touches the feed entity `analysis` (id: the incident) so every console's
Analysis tab refreshes. A timeline event is never changed by a mark: the mark
lives beside it, one row per event, rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import aiosqlite

from warroom.model.analysis import (
    ActionItem,
    ActionStatus,
    Answer,
    EventMark,
    Marked,
    MetricSnapshot,
    chart_from_json,
    chart_to_json,
)
from warroom.model.clock import from_epoch
from warroom.model.events import (
    ActionItemChanged,
    AnalysisAnswered,
    AnalysisMarked,
    Event,
    MetricsSnapshotTaken,
)

FEED_ENTITY = "analysis"
EXCERPT_CHARS = 80

_ITEM_COLUMNS = "id, title, owner, due, status, link, created_by, created_at"


def _item(row: Sequence[Any]) -> ActionItem:
    (iid, title, owner, due, status, link, by, at) = row
    return ActionItem(
        title=str(title),
        owner=str(owner),
        due=None if due is None else date.fromisoformat(str(due)),
        status=ActionStatus(status),
        link=str(link),
        id=int(iid),
        created_by=str(by),
        created_at=from_epoch(at),
    )


def _snapshot(row: Sequence[Any]) -> MetricSnapshot:
    (sid, chart, by, at) = row
    taken_at = from_epoch(at)
    assert taken_at is not None
    return MetricSnapshot(chart_from_json(json.loads(chart)), str(by), taken_at, int(sid))


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= EXCERPT_CHARS else line[: EXCERPT_CHARS - 1] + "…"


class AnalysisWrites:
    """Write primitives for the analysis (mixed into the SQLite and PostgreSQL Tx)."""

    _db: aiosqlite.Connection
    _now_epoch: float | None

    def touch(self, entity: str, entity_id: object) -> None:
        raise NotImplementedError

    async def add_event(self, *args: Any, **kwargs: Any) -> int:
        raise NotImplementedError

    async def _said(self, incident_id: int, actor: str, event: Event) -> None:
        await self.add_event(incident_id, event.KIND, actor, event.text, event.stored())
        self.touch(FEED_ENTITY, incident_id)

    async def answer_question(
        self, incident_id: int, question_id: str, answer: str, actor: str
    ) -> None:
        """The answer replaces the question's last one; an empty answer clears it."""
        await self._db.execute(
            "INSERT INTO analysis_answers (incident_id, question, answer, answered_by,"
            " answered_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident_id, question) DO"
            " UPDATE SET answer = excluded.answer, answered_by = excluded.answered_by,"
            " answered_at = excluded.answered_at",
            (incident_id, question_id, answer, actor, self._now_epoch),
        )
        await self._said(incident_id, actor, AnalysisAnswered(question_id, _first_line(answer)))

    async def mark_event(
        self, incident_id: int, event_id: int, mark: EventMark, actor: str
    ) -> bool:
        """False if the event is not on this incident's timeline. One mitigation per
        incident: marking another moves it (the old one stays a key event)."""
        async with self._db.execute(
            "SELECT kind FROM timeline WHERE id = ? AND incident_id = ?", (event_id, incident_id)
        ) as cursor:
            if await cursor.fetchone() is None:
                return False
        if mark is EventMark.MITIGATION:
            await self._db.execute(
                "UPDATE analysis_marks SET mark = ?, marked_by = ?, marked_at = ?"
                " WHERE incident_id = ? AND mark = ?",
                (EventMark.KEY.value, actor, self._now_epoch, incident_id, mark.value),
            )
        await self._db.execute(
            "INSERT INTO analysis_marks (event_id, incident_id, mark, marked_by, marked_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET mark = excluded.mark,"
            " marked_by = excluded.marked_by, marked_at = excluded.marked_at",
            (event_id, incident_id, mark.value, actor, self._now_epoch),
        )
        await self._said(incident_id, actor, AnalysisMarked(event_id, mark.value))
        return True

    async def add_action_item(self, incident_id: int, item: ActionItem, actor: str) -> int:
        async with self._db.execute(
            "INSERT INTO action_items (incident_id, title, owner, due, status, link,"
            " created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                incident_id,
                item.title,
                item.owner,
                None if item.due is None else item.due.isoformat(),
                item.status.value,
                item.link,
                actor,
                self._now_epoch,
                self._now_epoch,
            ),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        item_id = int(row[0])
        await self._said(incident_id, actor, ActionItemChanged(item_id, item.title))
        return item_id

    async def update_action_item(
        self, incident_id: int, item_id: int, item: ActionItem, actor: str
    ) -> bool:
        """Write the item's fields as given; False if it is not this incident's. Only
        what differs is named on the timeline (nothing differs: nothing written)."""
        async with self._db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM action_items WHERE id = ? AND incident_id = ?",
            (item_id, incident_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False
        before = _item(row)
        changed = tuple(
            name
            for name in ("title", "owner", "due", "status", "link")
            if getattr(before, name) != getattr(item, name)
        )
        if not changed:
            return True
        await self._db.execute(
            "UPDATE action_items SET title = ?, owner = ?, due = ?, status = ?, link = ?,"
            " updated_at = ? WHERE id = ?",
            (
                item.title,
                item.owner,
                None if item.due is None else item.due.isoformat(),
                item.status.value,
                item.link,
                self._now_epoch,
                item_id,
            ),
        )
        event = ActionItemChanged(item_id, item.title, changed, item.status.value)
        await self._said(incident_id, actor, event)
        return True

    async def add_metric_snapshot(self, incident_id: int, snapshot: MetricSnapshot) -> int:
        chart = snapshot.chart
        async with self._db.execute(
            "INSERT INTO metric_snapshots (incident_id, chart, taken_by, taken_at)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (
                incident_id,
                json.dumps(chart_to_json(chart), ensure_ascii=False, separators=(",", ":")),
                snapshot.taken_by,
                self._now_epoch,
            ),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        snapshot_id = int(row[0])
        event = MetricsSnapshotTaken(snapshot_id, chart.title, chart.points)
        await self._said(incident_id, snapshot.taken_by, event)
        return snapshot_id


class AnalysisReads:
    """Read queries for the analysis (mixed into both Stores; the reader connection)."""

    _reader: aiosqlite.Connection

    async def analysis_answers(self, incident_id: int) -> list[Answer]:
        async with self._reader.execute(
            "SELECT question, answer, answered_by, answered_at FROM analysis_answers"
            " WHERE incident_id = ? ORDER BY question",
            (incident_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        out = []
        for question, answer, by, at in rows:
            answered_at = from_epoch(at)
            assert answered_at is not None
            out.append(Answer(str(question), str(answer), str(by), answered_at))
        return out

    async def event_marks(self, incident_id: int) -> list[Marked]:
        """Marks in force (`none` rows left out), by event."""
        async with self._reader.execute(
            "SELECT event_id, mark, marked_by, marked_at FROM analysis_marks"
            " WHERE incident_id = ? AND mark != ? ORDER BY event_id",
            (incident_id, EventMark.NONE.value),
        ) as cursor:
            rows = await cursor.fetchall()
        out = []
        for event_id, mark, by, at in rows:
            marked_at = from_epoch(at)
            assert marked_at is not None
            out.append(Marked(int(event_id), EventMark(mark), str(by), marked_at))
        return out

    async def action_items(self, incident_id: int) -> list[ActionItem]:
        async with self._reader.execute(
            f"SELECT {_ITEM_COLUMNS} FROM action_items WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        ) as cursor:
            return [_item(r) for r in await cursor.fetchall()]

    async def metric_snapshots(self, incident_id: int) -> list[MetricSnapshot]:
        async with self._reader.execute(
            "SELECT id, chart, taken_by, taken_at FROM metric_snapshots WHERE incident_id = ?"
            " ORDER BY id",
            (incident_id,),
        ) as cursor:
            return [_snapshot(r) for r in await cursor.fetchall()]
