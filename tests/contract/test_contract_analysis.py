"""Post-incident analysis through the contract (issue 12 item 3), on every backend:
answers rewritten per question, marks beside timeline events (never changing them,
one mitigation per incident), action items changed field by field, metric
snapshots kept with their points; each write a typed timeline event and a feed row."""

from __future__ import annotations

from datetime import date, timedelta

from tests.unit.helpers import T0

from warroom.model import EventKind
from warroom.model.analysis import ActionItem, ActionStatus, EventMark, MetricSnapshot
from warroom.model.events import ActionItemChanged, AnalysisMarked, read
from warroom.model.series import Chart, Series
from warroom.store import Store

from .conftest import Backend, new_incident


async def _kinds(store: Store, incident_id: int, kind: EventKind) -> list[str]:
    return [e.text for e in await store.timeline(incident_id) if e.kind == kind]


async def test_an_answer_replaces_the_last_and_is_on_the_timeline(store: Store) -> None:
    incident_id = await new_incident(store)
    other = await new_incident(store, "Other")
    seq = await store.last_change()
    async with store.transaction(T0) as tx:
        await tx.answer_question(incident_id, "detection", "No alert on growth.\nAdd one.", "bob")
    async with store.transaction(T0 + timedelta(minutes=1)) as tx:
        await tx.answer_question(incident_id, "detection", "An alert on growth rate", "carol")
        await tx.answer_question(incident_id, "prevention", "", "carol")
    changes = {(c.entity, c.entity_id) for c in await store.changes_since(seq)}
    assert ("analysis", str(incident_id)) in changes
    answers = {a.question: a for a in await store.analysis_answers(incident_id)}
    assert sorted(answers) == ["detection", "prevention"]
    assert answers["detection"].answer == "An alert on growth rate"
    assert answers["detection"].answered_by == "carol"
    assert answers["detection"].answered_at == T0 + timedelta(minutes=1)
    assert await store.analysis_answers(other) == []
    assert await _kinds(store, incident_id, EventKind.ANALYSIS_ANSWERED) == [
        "Analysis: answered detection: No alert on growth.",
        "Analysis: answered detection: An alert on growth rate",
        "Analysis: answered prevention (cleared)",
    ]


async def test_marks_sit_beside_events_and_one_mitigation_moves(store: Store) -> None:
    incident_id = await new_incident(store)
    other = await new_incident(store, "Other")
    async with store.transaction(T0) as tx:
        first = await tx.add_event(incident_id, EventKind.NOTE, "bob", "restarted web-1")
        second = await tx.add_event(incident_id, EventKind.NOTE, "bob", "rolled back")
        foreign = await tx.add_event(other, EventKind.NOTE, "bob", "elsewhere")
    before = [(e.id, e.text) for e in await store.timeline(incident_id)]
    async with store.transaction(T0) as tx:
        assert await tx.mark_event(incident_id, first, EventMark.MITIGATION, "carol")
        assert await tx.mark_event(incident_id, second, EventMark.HIDDEN, "carol")
        assert not await tx.mark_event(incident_id, foreign, EventMark.KEY, "carol")
    async with store.transaction(T0) as tx:
        assert await tx.mark_event(incident_id, second, EventMark.MITIGATION, "dave")
    marks = {m.event_id: (m.mark, m.marked_by) for m in await store.event_marks(incident_id)}
    assert marks == {first: (EventMark.KEY, "dave"), second: (EventMark.MITIGATION, "dave")}
    async with store.transaction(T0) as tx:
        assert await tx.mark_event(incident_id, first, EventMark.NONE, "dave")
    assert [m.event_id for m in await store.event_marks(incident_id)] == [second]
    assert await store.event_marks(other) == []
    # the events themselves never change; the marks are told on the timeline
    after = [(e.id, e.text) for e in await store.timeline(incident_id)]
    assert after[: len(before)] == before
    marked = [e for e in await store.timeline(incident_id) if e.kind == EventKind.ANALYSIS_MARKED]
    assert [read(e) for e in marked] == [
        AnalysisMarked(first, "mitigation"),
        AnalysisMarked(second, "hidden"),
        AnalysisMarked(second, "mitigation"),
        AnalysisMarked(first, "none"),
    ]


async def test_action_items_are_added_and_changed_field_by_field(store: Store) -> None:
    incident_id = await new_incident(store)
    other = await new_incident(store, "Other")
    item = ActionItem("Alert on disk growth", "bob", date(2026, 2, 1), link="https://t/OPS-1")
    async with store.transaction(T0) as tx:
        item_id = await tx.add_action_item(incident_id, item, "alice")
        second = await tx.add_action_item(incident_id, ActionItem("Runbook step"), "alice")
    (stored, plain) = await store.action_items(incident_id)
    assert (stored.id, stored.title, stored.owner, stored.due, stored.status, stored.link) == (
        item_id, "Alert on disk growth", "bob", date(2026, 2, 1), ActionStatus.OPEN,
        "https://t/OPS-1",
    )  # fmt: skip
    assert (stored.created_by, stored.created_at) == ("alice", T0)
    assert (plain.id, plain.owner, plain.due) == (second, "", None)
    done = ActionItem(stored.title, "carol", None, ActionStatus.DONE, stored.link)
    async with store.transaction(T0) as tx:
        assert await tx.update_action_item(incident_id, item_id, done, "carol")
        assert await tx.update_action_item(incident_id, item_id, done, "carol")  # no change
        assert not await tx.update_action_item(other, item_id, done, "carol")
    (stored, _) = await store.action_items(incident_id)
    assert (stored.owner, stored.due, stored.status) == ("carol", None, ActionStatus.DONE)
    assert await store.action_items(other) == []
    events = [read(e) for e in await store.timeline(incident_id) if e.kind == EventKind.ACTION_ITEM]
    assert events == [
        ActionItemChanged(item_id, "Alert on disk growth"),
        ActionItemChanged(second, "Runbook step"),
        ActionItemChanged(item_id, "Alert on disk growth", ("owner", "due", "status"), "done"),
    ]


async def test_a_metric_snapshot_keeps_the_points_as_drawn(backend: Backend) -> None:
    store = await backend.open()
    incident_id = await new_incident(store)
    chart = Chart(
        "am:disk",
        "Disk used",
        "node_filesystem_used_ratio",
        "prom",
        T0 - timedelta(hours=1),
        T0,
        (
            Series({"instance": "db-1"}, ((T0 - timedelta(minutes=2), 0.91), (T0, 0.97))),
            Series({"instance": "db-2"}, ((T0, 0.5),)),
        ),
        threshold=0.9,
        operator=">",
    )
    async with store.transaction(T0) as tx:
        snap_id = await tx.add_metric_snapshot(incident_id, MetricSnapshot(chart, "bob", T0))
    # another process reads it back whole
    again = await backend.open()
    (snapshot,) = await again.metric_snapshots(incident_id)
    assert (snapshot.id, snapshot.taken_by, snapshot.taken_at) == (snap_id, "bob", T0)
    assert snapshot.chart == chart
    assert await _kinds(again, incident_id, EventKind.METRICS_SNAPSHOT) == [
        f"Metrics snapshot {snap_id}: Disk used (3 points)"
    ]
