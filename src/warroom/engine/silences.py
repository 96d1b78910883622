"""Silences at the source, and acknowledgements that silence until the alert resolves.

Alertmanager declined "silence until resolved" (prometheus/alertmanager #1860,
#1057); responders want it. warroom creates an exact-match silence when an alert
is acknowledged, remembers it, and the lease holder expires it once the alert is
gone -- so the next occurrence pages again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from warroom.model import AlertKey, AlertState, EventKind, TrackedAlert
from warroom.model.clock import utcnow
from warroom.model.matchers import Matcher, MatchOp
from warroom.sources.base import Silencer, SourceError
from warroom.store import LeaseToken, Store

log = logging.getLogger(__name__)

ACK_SILENCE_FOR = timedelta(days=7)
SYSTEM_ACTOR = "warroom"


def exact_matchers(alert: TrackedAlert) -> list[Matcher]:
    return [Matcher.create(k, MatchOp.EQ, v) for k, v in sorted(alert.alert.labels.items())]


async def silence_acknowledged(
    store: Store, silencer: Silencer, alerts: Sequence[TrackedAlert], actor: str
) -> list[str]:
    """One silence per acknowledged alert; returns the failures, one line each."""
    failures: list[str] = []
    now = utcnow()
    for tracked in alerts:
        try:
            silence_id = await silencer.create_silence(
                exact_matchers(tracked),
                now,
                now + ACK_SILENCE_FOR,
                actor,
                f"Acknowledged in warroom by {actor}; expires when the alert resolves",
            )
        except SourceError as exc:
            failures.append(f"{tracked.alert.name}: {exc.reason}")
            continue
        async with store.transaction() as tx:
            await tx.record_silence(
                silencer.name,
                silence_id,
                "ack",
                actor,
                now + ACK_SILENCE_FOR,
                tracked.incident_id,
                [tracked.key],
            )
            await tx.add_event(
                tracked.incident_id,
                EventKind.SILENCED,
                actor,
                f"Silenced {tracked.alert.name} on {silencer.name} until it resolves",
                {"silence_id": silence_id, "alert": str(tracked.key)},
            )
    return failures


async def expire_resolved_ack_silences(
    store: Store, silencer: Silencer, lease: LeaseToken | None = None
) -> int:
    """Run by the lease holder after each good poll; returns how many it expired.

    Each record is written fenced by `lease`: LeaseLost once it changed hands.
    """
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
            if lease is not None:
                await tx.check_lease(lease)
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
