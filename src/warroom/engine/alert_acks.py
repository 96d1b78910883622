"""Acknowledging alerts that belong to no incident, and silencing them at the source.

An alert with no incident still needs an owner: its acknowledgement is written
with a conditional update (only those not yet acknowledged), so two responders
pressing `a` at once never both get the credit. Where the source is set to
`silence_on_ack`, each newly acknowledged alert is silenced there until it resolves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from warroom.engine.context import Context
from warroom.engine.silences import keys_by_source, silence_acknowledged
from warroom.engine.timeline import append
from warroom.model import AlertKey, events


@dataclass(frozen=True, slots=True)
class AckResult:
    acknowledged: int
    silenced: int = 0
    failures: tuple[str, ...] = ()


class AlertAcknowledgements:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def acknowledge(self, keys: Sequence[AlertKey]) -> AckResult:
        if not keys:
            return AckResult(0)
        context = self.context
        async with context.transaction() as tx:
            fresh = await tx.acknowledge_alerts(keys, context.actor)
            if fresh:
                acked = events.AlertsAcknowledged(events.keys(fresh))
                await append(tx, None, context.actor, acked)
        silenced, failures = 0, []
        for source, group in keys_by_source(fresh).items():
            silencer = context.silencers.get(source)
            if silencer is None or not silencer.silence_on_ack:
                continue
            tracked = await context.store.alerts_by_key(group)
            done, failed = await silence_acknowledged(
                context.store, silencer, tracked, context.actor
            )
            silenced += done
            failures += failed
        return AckResult(len(fresh), silenced, tuple(failures))
