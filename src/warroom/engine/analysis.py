"""Post-incident analysis: the responder's writes, and the analysis read whole.

The writes go through here (the console's Analysis tab and `warroom analysis`
alike), each one checked and recorded on the timeline by the store. Drafting is
allowed while the incident is still open: action items and the moment of
mitigation are known during the response, and Incident Manager lets its timeline
be edited then too; the export says "draft" until the incident is resolved.

`related_items` is the one place the export learns what the incident is related
to. Today it reads what the timeline and the runbook store already hold (the
plan's links recorded on declaring, merged incidents, runbook runs, silences);
the store of related items (#12 item 2) plugs in there.
"""

from __future__ import annotations

from datetime import datetime

from warroom.engine.context import Context
from warroom.engine.errors import ActionError
from warroom.model import Incident, TimelineEvent
from warroom.model.alert import AlertState
from warroom.model.analysis import (
    ActionItem,
    Answer,
    Durations,
    EventMark,
    MetricSnapshot,
    durations,
    question,
)
from warroom.model.series import Chart
from warroom.model.timeline import EventKind
from warroom.model.value import Value, field
from warroom.store import RunRecord, Store

# the analysis's own writes tell the story of the write-up, not of the incident
ANALYSIS_KINDS = frozenset(
    {
        EventKind.ANALYSIS_ANSWERED,
        EventKind.ANALYSIS_MARKED,
        EventKind.ACTION_ITEM,
        EventKind.METRICS_SNAPSHOT,
    }
)


class RelatedItem(Value, frozen=True):
    """One thing the incident relates to; `ref` is an id, a URL or `#N`."""

    kind: str  # link | incident | runbook | silence (and the store's kinds, later)
    title: str
    ref: str


class Analysis(Value, frozen=True):
    incident: Incident
    events: tuple[TimelineEvent, ...]  # the incident's story, analysis writes left out
    marks: dict[int, EventMark]
    answers: dict[str, Answer]
    items: tuple[ActionItem, ...]
    snapshots: tuple[MetricSnapshot, ...]
    runs: tuple[RunRecord, ...]
    durations: Durations
    related: tuple[RelatedItem, ...] = field(default_factory=tuple)
    responders: tuple[str, ...] = ()

    @property
    def draft(self) -> bool:
        return self.incident.resolved_at is None


async def gather_analysis(store: Store, incident_id: int) -> Analysis | None:
    incident = await store.incident(incident_id)
    if incident is None:
        return None
    timeline = await store.timeline(incident_id)
    events = tuple(e for e in timeline if e.kind not in ANALYSIS_KINDS)
    marks = {m.event_id: m.mark for m in await store.event_marks(incident_id)}
    by_id = {e.id: e for e in events}
    mitigation = next(
        (by_id[i].at for i, m in marks.items() if m is EventMark.MITIGATION and i in by_id), None
    )
    alerts = await store.incident_alerts(incident_id)
    ended = [t.alert.ends_at for t in alerts if t.alert.state is AlertState.RESOLVED]
    first_ack = next((e.at for e in events if e.kind is EventKind.ACKNOWLEDGED), None)
    runs = tuple(await store.runbook_runs(incident_id))
    people = {e.actor for e in events if e.kind not in (EventKind.DECLARED, EventKind.ALERT_ADDED)}
    return Analysis(
        incident=incident,
        events=events,
        marks=marks,
        answers={a.question: a for a in await store.analysis_answers(incident_id)},
        items=tuple(await store.action_items(incident_id)),
        snapshots=tuple(await store.metric_snapshots(incident_id)),
        runs=runs,
        durations=durations(
            incident.created_at,
            first_ack or incident.acknowledged_at,
            incident.resolved_at,
            mitigation,
            ended,
        ),
        related=tuple(await related_items(store, incident.id)),
        responders=tuple(sorted(people)),
    )


async def related_items(store: Store, incident_id: int) -> list[RelatedItem]:
    """The incident's related items as `warroom related` and the Incident tab list
    them (engine/related.py), each as one line of the export: a kind, a title and
    what it points at."""
    from warroom.engine.related import gather
    from warroom.model.related import RelatedKind

    out: list[RelatedItem] = []
    for item in await gather(store, incident_id):
        kind = item.kind
        if kind in (RelatedKind.LINK, RelatedKind.TICKET):
            title, ref = item.title or item.ref, item.url
        elif kind is RelatedKind.INCIDENT:
            title, ref = f"{item.relation}: {item.title}".rstrip(": "), f"#{item.ref}"
        elif kind is RelatedKind.RUNBOOK:
            title, ref = item.title, f"run #{item.ref}"
        elif kind in (RelatedKind.SILENCE, RelatedKind.METRIC):
            title, ref = item.source, item.ref
        else:  # an attachment: its name, size and digest (the bytes stay in the store)
            title, ref = item.title, f"{item.size or 0} bytes, sha256 {item.sha256}"
        out.append(RelatedItem(kind.value, title, ref))
    return out


class AnalysisActions:
    """A responder's writes to an incident's analysis, checked before they are made."""

    def __init__(self, context: Context) -> None:
        self.context = context

    async def _incident(self, incident_id: int) -> Incident:
        incident = await self.context.store.incident(incident_id)
        if incident is None:
            raise ActionError(f"no incident #{incident_id}")
        return incident

    async def answer(self, incident_id: int, question_id: str, answer: str) -> None:
        try:
            question(question_id)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        await self._incident(incident_id)
        async with self.context.transaction() as tx:
            await tx.answer_question(incident_id, question_id, answer.strip(), self.context.actor)

    async def mark(self, incident_id: int, event_id: int, mark: EventMark) -> None:
        await self._incident(incident_id)
        async with self.context.transaction() as tx:
            if not await tx.mark_event(incident_id, event_id, mark, self.context.actor):
                raise ActionError(f"no event {event_id} on incident #{incident_id}'s timeline")

    async def add_item(self, incident_id: int, item: ActionItem) -> int:
        if not item.title.strip():
            raise ActionError("an action item needs a title")
        await self._incident(incident_id)
        async with self.context.transaction() as tx:
            return await tx.add_action_item(incident_id, item, self.context.actor)

    async def update_item(self, incident_id: int, item_id: int, item: ActionItem) -> None:
        if not item.title.strip():
            raise ActionError("an action item needs a title")
        async with self.context.transaction() as tx:
            if not await tx.update_action_item(incident_id, item_id, item, self.context.actor):
                raise ActionError(f"no action item {item_id} on incident #{incident_id}")

    async def snapshot(self, incident_id: int, chart: Chart, now: datetime | None = None) -> int:
        """Freeze the chart as drawn now (its points, threshold and window)."""
        await self._incident(incident_id)
        taken = MetricSnapshot(chart, self.context.actor, now or self.context.now())
        async with self.context.transaction() as tx:
            return await tx.add_metric_snapshot(incident_id, taken)
