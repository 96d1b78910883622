"""The shift hand-off, as a pure function of what the store holds.

What the outgoing responder tells the incoming one (research note §5, GitLab's
handover issue): what is still burning and what changed in it, what was put
out, acknowledgements left sitting past their plan's `ack_timeout`, silences
about to end or silencing nothing, alerts no plan covers, the noisiest alerts,
notes marked for hand-off, and who is on call next.

Notes are marked by a `#handoff` tag in their text: the timeline has no flag
of its own, and a tag needs no new key or column (any case; `#hand-off` too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from warroom.model.value import Value, field

from .alert import Alert, AlertKey, AlertState, TrackedAlert
from .incident import Incident, IncidentStatus
from .timeline import EventKind, TimelineEvent

NOISY_TOP = 5
HANDOFF_TAG = re.compile(r"(?<![\w#])#hand-?off\b", re.IGNORECASE)


class OpenIncident(Value, frozen=True):
    incident: Incident
    changes: tuple[TimelineEvent, ...]  # its events during the shift, oldest first


class StaleAck(Value, frozen=True):
    incident: Incident
    ack_timeout: timedelta
    overdue: timedelta  # how long past acknowledged_at + ack_timeout


class ShiftSilence(Value, frozen=True):
    """A silence warroom made and still in force at hand-off time."""

    source: str
    silence_id: str
    created_by: str
    ends_at: datetime
    incident_id: int | None
    alerts: tuple[AlertKey, ...]  # empty: made from matchers, which are not kept


class AlertCount(Value, frozen=True):
    source: str
    name: str
    count: int  # distinct alerts (fingerprints) of this name that fired in the shift
    firing: int  # of them, still firing at hand-off


class OnCallSpan(Value, frozen=True):
    schedule: str
    start: datetime
    end: datetime
    people: tuple[str, ...]


class Handoff(Value, frozen=True):
    since: datetime
    now: datetime
    next_end: datetime  # the end of the incoming shift: as long as the one handed off
    open: tuple[OpenIncident, ...]
    resolved: tuple[Incident, ...]
    stale_acks: tuple[StaleAck, ...]
    expiring_silences: tuple[ShiftSilence, ...]
    idle_silences: tuple[ShiftSilence, ...]  # their alerts all resolved or gone
    unplanned: tuple[AlertCount, ...]
    noisy: tuple[AlertCount, ...]
    notes: tuple[TimelineEvent, ...]
    on_call: tuple[OnCallSpan, ...]
    remarks: tuple[str, ...] = field(default=())  # what the report could not tell


def is_handoff_note(event: TimelineEvent) -> bool:
    return event.kind is EventKind.NOTE and HANDOFF_TAG.search(event.text) is not None


def build_handoff(
    *,
    since: datetime,
    now: datetime,
    incidents: Sequence[Incident],
    events: Sequence[TimelineEvent],
    alerts: Sequence[TrackedAlert],
    silences: Sequence[ShiftSilence],
    ack_timeouts: Mapping[int, timedelta],
    planned: Callable[[Alert], bool],
    on_call: Sequence[OnCallSpan] = (),
) -> Handoff:
    """`ack_timeouts`: per incident, the shortest `ack_timeout` of the escalation
    plans it engages (absent: none set, so no acknowledgement of it is stale)."""
    next_end = now + (now - since)
    by_incident: dict[int, list[TimelineEvent]] = {}
    for event in events:
        if event.incident is not None and since <= event.at <= now:
            by_incident.setdefault(event.incident, []).append(event)
    still_open = sorted(
        (i for i in incidents if i.status is not IncidentStatus.RESOLVED),
        key=lambda i: (i.impact, i.created_at, i.id),
    )
    resolved = sorted(
        (
            i
            for i in incidents
            if i.status is IncidentStatus.RESOLVED
            and i.resolved_at is not None
            and since <= i.resolved_at <= now
        ),
        key=lambda i: (i.resolved_at or now, i.id),
    )
    stale: list[StaleAck] = []
    without_timeout = 0
    for incident in still_open:
        if incident.status is not IncidentStatus.ACKNOWLEDGED or incident.acknowledged_at is None:
            continue
        timeout = ack_timeouts.get(incident.id)
        if timeout is None:
            without_timeout += 1
            continue
        due = incident.acknowledged_at + timeout
        if due <= now:
            stale.append(StaleAck(incident, timeout, now - due))
    firing = {t.key for t in alerts if t.alert.state is not AlertState.RESOLVED}
    expiring = tuple(s for s in silences if s.ends_at <= next_end)
    idle = tuple(s for s in silences if s.alerts and not any(k in firing for k in s.alerts))
    unknown = sum(1 for s in silences if not s.alerts)
    groups = _fired_in_shift(alerts, since)
    counts = [_count(source, name, group) for (source, name), group in sorted(groups.items())]
    unplanned = tuple(
        c for c in counts if not any(planned(t.alert) for t in groups[(c.source, c.name)])
    )
    noisy = tuple(sorted(counts, key=lambda c: (-c.count, c.source, c.name))[:NOISY_TOP])
    remarks: list[str] = []
    if without_timeout:
        remarks.append(
            f"{without_timeout} acknowledged incident(s) engage no escalation plan with an"
            " ack_timeout: their acknowledgements never go stale"
        )
    if unknown:
        remarks.append(
            f"{unknown} silence(s) made from matchers: whether they match an alert is not kept"
        )
    return Handoff(
        since=since,
        now=now,
        next_end=next_end,
        open=tuple(OpenIncident(i, tuple(by_incident.get(i.id, ()))) for i in still_open),
        resolved=tuple(resolved),
        stale_acks=tuple(sorted(stale, key=lambda s: -s.overdue)),
        expiring_silences=expiring,
        idle_silences=idle,
        unplanned=unplanned,
        noisy=noisy,
        notes=tuple(e for e in events if since <= e.at <= now and is_handoff_note(e)),
        on_call=tuple(on_call),
        remarks=tuple(remarks),
    )


def _fired(tracked: TrackedAlert, since: datetime) -> bool:
    """Fired in the shift: started in it, or firing through it."""
    return tracked.alert.starts_at >= since or tracked.alert.state is not AlertState.RESOLVED


def _fired_in_shift(
    alerts: Sequence[TrackedAlert], since: datetime
) -> dict[tuple[str, str], list[TrackedAlert]]:
    groups: dict[tuple[str, str], list[TrackedAlert]] = {}
    for tracked in alerts:
        if _fired(tracked, since):
            groups.setdefault((tracked.key.source, tracked.alert.name), []).append(tracked)
    return groups


def _count(source: str, name: str, group: Sequence[TrackedAlert]) -> AlertCount:
    live = sum(1 for t in group if t.alert.state is not AlertState.RESOLVED)
    return AlertCount(source, name, len(group), live)
