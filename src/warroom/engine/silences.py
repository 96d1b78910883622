"""Silences at the source, and acknowledgements that silence until the alert resolves.

Alertmanager declined "silence until resolved" (prometheus/alertmanager #1860,
#1057); responders want it. warroom creates an exact-match silence when an alert
is acknowledged, remembers it, and the lease holder expires it once the alert is
gone -- so the next occurrence pages again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from warroom.engine.silence_outbox import expire_row
from warroom.engine.timeline import append
from warroom.model import AlertKey, AlertState, TrackedAlert, events
from warroom.model.alert import RETURN_GRACE
from warroom.model.clock import utcnow
from warroom.model.matchers import Matcher
from warroom.sources.base import Silencer, SourceError
from warroom.store import LeaseToken, Store

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "warroom"


async def create_silence_once(
    silencer: Silencer,
    matchers: Sequence[Matcher],
    starts_at: datetime,
    ends_at: datetime,
    actor: str,
    comment: str,
) -> str:
    """Create a silence at the source, or find the one an unanswered request made.

    Creating is not idempotent: a POST that times out has often reached
    Alertmanager, whose silence then mutes alerts with no trace in warroom (and
    an ack silence would never be expired). So an active silence of ours with
    the same matchers and comment is reused, which makes a retry after such a
    timeout create no duplicate; and after a failed create the source is asked
    once more, so a silence that did land is found and recorded.
    """
    # a source that does not answer the lookup is not asked to create: nothing has
    # been sent yet, and the responder hears so after one deadline, not three (the
    # #8 trial waited 32 s on a stopped Alertmanager)
    found = await _ours(silencer, matchers, actor, comment, ends_at, strict=True)
    if found is not None:
        return found
    try:
        return await silencer.create_silence(matchers, starts_at, ends_at, actor, comment)
    except SourceError:
        found = await _ours(silencer, matchers, actor, comment, ends_at)
        if found is None:
            raise
        log.warning(
            "%s: the silence request failed but the silence was made: %s", silencer.name, found
        )
        return found


# A silence of ours ending this close to the one asked for is the same request
# (a retry after a timeout); one that ends days apart is not, however alike.
SAME_REQUEST = timedelta(minutes=5)


async def _ours(
    silencer: Silencer,
    matchers: Sequence[Matcher],
    actor: str,
    comment: str,
    ends_at: datetime,
    strict: bool = False,
) -> str | None:
    try:
        silences = await silencer.silences()
    except SourceError:
        if strict:
            raise
        return None
    wanted = sorted(str(m) for m in matchers)
    for silence in sorted(silences, key=lambda s: s.starts_at, reverse=True):
        if (
            silence.state in ("active", "pending")
            and silence.created_by == actor
            and silence.comment == comment
            and abs(silence.ends_at - ends_at) <= SAME_REQUEST
            and sorted(str(m) for m in silence.matchers) == wanted
        ):
            return silence.id
    return None


async def record_silence(
    store: Store,
    source: str,
    silence_id: str,
    kind: str,
    actor: str,
    ends_at: datetime,
    group: Sequence[TrackedAlert],
    event: events.Silenced,
) -> None:
    """Remember a silence made at the source, and say so on the timeline, in one go.

    The event goes to the alerts' incident when they share one, else to the
    console log.
    """
    incidents = {t.incident_id for t in group}
    incident = incidents.pop() if len(incidents) == 1 else None
    async with store.transaction() as tx:
        await tx.record_silence(
            source, silence_id, kind, actor, ends_at, incident, [t.key for t in group]
        )
        await append(tx, incident, actor, event)


async def expire_resolved_ack_silences(
    store: Store, silencer: Silencer, lease: LeaseToken | None = None
) -> int:
    """Run by the lease holder after each good poll: queue the expiry of every
    acknowledgement's silence whose alerts have all resolved (the deliver duty
    expires it at the source and records it); how many were queued now.

    Written fenced by `lease`: LeaseLost once it changed hands.
    """
    # gone only a moment (an Alertmanager restart): it may be back, acknowledged
    recent = utcnow() - RETURN_GRACE
    due = []
    for record in await store.open_ack_silences(silencer.name):
        alerts = await store.alerts_by_key(record.alerts)
        if any(
            a.alert.state is not AlertState.RESOLVED or (a.alert.ends_at or recent) > recent
            for a in alerts
        ):
            continue
        due.append(record)
    if not due:
        return 0
    async with store.transaction() as tx:
        if lease is not None:
            await tx.check_lease(lease)
        return await tx.enqueue([expire_row(record, tx.now) for record in due])


def keys_by_source(keys: Sequence[AlertKey]) -> dict[str, list[AlertKey]]:
    grouped: dict[str, list[AlertKey]] = {}
    for key in keys:
        grouped.setdefault(key.source, []).append(key)
    return grouped
