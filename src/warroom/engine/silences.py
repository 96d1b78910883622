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

from warroom.model import AlertKey, AlertState, EventKind, TrackedAlert
from warroom.model.clock import utcnow
from warroom.model.silencing import exact_silences
from warroom.sources.base import Silencer, SourceError
from warroom.store import Store

log = logging.getLogger(__name__)

ACK_SILENCE_FOR = timedelta(days=7)
SYSTEM_ACTOR = "warroom"


async def record_silence(
    store: Store,
    source: str,
    silence_id: str,
    kind: str,
    actor: str,
    ends_at: datetime,
    group: Sequence[TrackedAlert],
    text: str,
    data: dict[str, object],
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
        await tx.add_event(
            incident,
            EventKind.SILENCED,
            actor,
            text,
            {"silence_id": silence_id, "source": source, "alerts": [str(t.key) for t in group]}
            | data,
        )


async def silence_acknowledged(
    store: Store, silencer: Silencer, alerts: Sequence[TrackedAlert], actor: str
) -> tuple[int, list[str]]:
    """Silence acknowledged alerts until they resolve: (alerts silenced, failures).

    Exact silences, grouped (`exact_silences`): acknowledging a 200-alert storm
    makes a few silences, each expired once all of its alerts have resolved.
    """
    failures: list[str] = []
    silenced = 0
    now = utcnow()
    others = [t.alert.labels for t in await store.active_alerts() if t.key.source == silencer.name]
    for matchers, members in exact_silences([t.alert.labels for t in alerts], others):
        group = [alerts[i] for i in members]
        names = sorted({t.alert.name for t in group})
        what = group[0].alert.name if len(group) == 1 else f"{len(group)} alerts"
        try:
            silence_id = await silencer.create_silence(
                matchers,
                now,
                now + ACK_SILENCE_FOR,
                actor,
                f"Acknowledged in warroom by {actor}; expires when the alert resolves",
            )
        except SourceError as exc:
            failures.append(f"{', '.join(names)}: {exc.reason}")
            continue
        await record_silence(
            store,
            silencer.name,
            silence_id,
            "ack",
            actor,
            now + ACK_SILENCE_FOR,
            group,
            f"Silenced {what} on {silencer.name} until resolved",
            {"matchers": ", ".join(str(m) for m in matchers)},
        )
        silenced += len(group)
    return silenced, failures


async def expire_resolved_ack_silences(store: Store, silencer: Silencer) -> int:
    """Run by the lease holder after each good poll; returns how many it expired."""
    expired = 0
    for record in await store.open_ack_silences(silencer.name):
        alerts = await store.alerts_by_key(record.alerts)
        if any(a.alert.state is not AlertState.RESOLVED for a in alerts):
            continue
        try:
            await silencer.expire_silence(record.silence_id)
        except SourceError as exc:
            if "404" not in exc.reason and "already expired" not in exc.reason:
                log.warning("could not expire silence %s: %s", record.silence_id, exc.reason)
                continue
        async with store.transaction() as tx:
            await tx.mark_silence_expired(record.source, record.silence_id)
            await tx.add_event(
                record.incident_id,
                EventKind.SILENCE_EXPIRED,
                SYSTEM_ACTOR,
                "Alert resolved; expired the silence of its acknowledgement",
                {"silence_id": record.silence_id, "alerts": [str(k) for k in record.alerts]},
            )
        expired += 1
    return expired


def keys_by_source(keys: Sequence[AlertKey]) -> dict[str, list[AlertKey]]:
    grouped: dict[str, list[AlertKey]] = {}
    for key in keys:
        grouped.setdefault(key.source, []).append(key)
    return grouped
