"""The shift hand-off's reads: the store and the plans, into `model.handoff`.

A handful of queries whatever the size of the history (the window's events in
one, not each incident's timeline), then the pure `build_handoff`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.engine.overrides import effective_schedules
from warroom.model import Alert, Incident
from warroom.model.handoff import Handoff, OnCallSpan, ShiftSilence, build_handoff
from warroom.model.oncall import timeline
from warroom.model.paging import Directory
from warroom.plans import PlanIndex, PlanSet
from warroom.store import Store


async def gather_handoff(store: Store, planset: PlanSet, since: datetime, now: datetime) -> Handoff:
    incidents = await store.incidents_since(since)
    events = await store.events_since(since)
    alerts = await store.alerts_since(since)
    silences = [
        ShiftSilence(s.source, s.silence_id, s.created_by, s.ends_at, s.incident_id, s.alerts)
        for s in await store.live_silences(now)
    ]
    index = PlanIndex(planset.plans)

    def planned(alert: Alert) -> bool:
        return index.match(alert) is not None

    next_end = now + (now - since)
    schedules = await effective_schedules(store, planset.schedules, now, next_end)
    on_call = [
        OnCallSpan(name, start, end, people)
        for name, schedule in sorted(schedules.items())
        for start, end, people in timeline(schedule, now, next_end)
    ]
    return build_handoff(
        since=since,
        now=now,
        incidents=incidents,
        events=events,
        alerts=alerts,
        silences=silences,
        ack_timeouts=await _ack_timeouts(store, planset, incidents),
        planned=planned,
        on_call=on_call,
    )


async def _ack_timeouts(
    store: Store, planset: PlanSet, incidents: list[Incident]
) -> dict[int, timedelta]:
    """Per incident, the shortest `ack_timeout` of the escalation plans it engages:
    those its engagements name, else those its response plan would engage."""
    directory = Directory(planset.contacts, planset.schedules, planset.escalation_plans)
    by_plan = {p.name: p.engagements for p in planset.plans}
    engaged: dict[int, set[str]] = {}
    for incident_id, engagement in await store.engagements():
        engaged.setdefault(incident_id, set()).add(engagement.plan)
    found: dict[int, timedelta] = {}
    for incident in incidents:
        references = engaged.get(incident.id) or set(by_plan.get(incident.plan or "", ()))
        timeouts = [
            plan.ack_timeout
            for plan in (directory.plan(r) for r in sorted(references))
            if plan is not None and plan.ack_timeout is not None
        ]
        if timeouts:
            found[incident.id] = min(timeouts)
    return found
