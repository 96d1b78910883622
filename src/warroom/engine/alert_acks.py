"""Acknowledging alerts that belong to no incident, and silencing them at the source.

An alert with no incident still needs an owner: its acknowledgement is written
with a conditional update (only those not yet acknowledged), so two responders
pressing `a` at once never both get the credit. Where the source is set to
`silence_on_ack`, each newly acknowledged alert is silenced there until it resolves.
"""

from __future__ import annotations

from collections.abc import Sequence

from warroom.engine.context import Context
from warroom.engine.silence_outbox import queue_ack_silences
from warroom.engine.silences import keys_by_source
from warroom.engine.timeline import append
from warroom.model import AlertKey, events
from warroom.model.value import Value


class AckResult(Value, frozen=True):
    acknowledged: int
    silenced: int = 0
    failures: tuple[str, ...] = ()


class AckRoute(Value, frozen=True):
    """Where an acknowledgement of chosen alerts goes: an alert in an incident is
    acknowledged through its incident (the incident is what someone owns); an alert
    in none is acknowledged on its own."""

    alerts: list[AlertKey]
    incidents: list[int]


def route_acknowledgement(chosen: Sequence[tuple[AlertKey, int | None]]) -> AckRoute:
    """The rule the Alerts tab and a script follow alike."""
    loose = [key for key, incident in chosen if incident is None]
    incidents = sorted({incident for _, incident in chosen if incident is not None})
    return AckRoute(loose, incidents)


class AlertAcknowledgements:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def acknowledge(self, keys: Sequence[AlertKey]) -> AckResult:
        if not keys:
            return AckResult(0)
        context = self.context
        silenced = 0
        async with context.transaction() as tx:
            fresh = await tx.acknowledge_alerts(keys, context.actor)
            if fresh:
                acked = events.AlertsAcknowledged(events.keys(fresh))
                await append(tx, None, context.actor, acked)
            # the silences are queued with the acknowledgement: made by the lease
            # holder even if this process dies the moment it commits
            for source, group in keys_by_source(fresh).items():
                silencer = context.silencers.get(source)
                if silencer is None or not silencer.silence_on_ack:
                    continue
                tracked = await context.store.alerts_by_key(group)
                incidents = {t.incident_id for t in tracked}
                incident = incidents.pop() if len(incidents) == 1 else None
                silenced += await queue_ack_silences(
                    tx, context.store, source, tracked, context.actor, incident
                )
        return AckResult(len(fresh), silenced)
