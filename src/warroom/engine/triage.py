"""Triage: every firing alert that matches a response plan joins or declares an incident.

Runs in the poll's own transaction, right after the snapshot is stored, so an
alert never exists without its process for longer than one poll. For each
firing alert that belongs to no open incident, the first matching plan (in plan
order) proposes a title, an impact and a dedupe key. Alerts with the key of an
open incident join it; otherwise an incident with that key resolved within the
plan's `reopen_within` is reopened; otherwise a new incident is declared.
A flapping alert stays attached to its incident while it is open, so it can
never open a second one. Plans with `declare.after` wait until the alert has
been firing that long. After triage, open incidents whose plan resolves
`when-all-alerts-resolve` and whose alerts have all resolved are resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from warroom.model import Alert, AlertState, EventKind, IncidentStatus
from warroom.plans import PlanIndex, Proposal, ResolvePolicy, ResponsePlan, propose, render_links
from warroom.store import Tx

ACTOR = "warroom"


@dataclass
class TriageResult:
    declared: list[int] = field(default_factory=list)
    joined: dict[int, int] = field(default_factory=dict)  # incident -> alerts joined
    reopened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    waiting: int = 0  # matched, but not yet firing for the plan's declare.after


class Triage:
    def __init__(self, plans: Sequence[ResponsePlan]) -> None:
        self.index = PlanIndex(list(plans))
        # (source, fingerprint) -> (digest, plan name or None): an unchanged alert
        # is matched once, not on every poll
        self._matched: dict[tuple[str, str], tuple[str, str | None]] = {}

    def plan_for(self, alert: Alert, digest: str | None = None) -> ResponsePlan | None:
        if digest is None:
            return self.index.match(alert)
        key = (alert.source, alert.fingerprint)
        cached = self._matched.get(key)
        if cached is not None and cached[0] == digest:
            return self.index.by_name(cached[1]) if cached[1] else None
        plan = self.index.match(alert)
        self._matched[key] = (digest, plan.name if plan else None)
        return plan

    async def run(
        self,
        tx: Tx,
        source: str,
        alerts: Sequence[Alert],
        digests: Sequence[str],
        now: datetime,
    ) -> TriageResult:
        result = TriageResult()
        if not self.index.plans:  # nothing to match: a poll costs no triage at all
            return result
        attached = await tx.attached_to_open(source)
        groups: dict[str, list[tuple[Alert, Proposal]]] = {}
        for alert, digest in zip(alerts, digests, strict=True):
            if alert.state is not AlertState.FIRING or alert.fingerprint in attached:
                continue
            plan = self.plan_for(alert, digest)
            if plan is None:
                continue
            if plan.declare_after and now - alert.starts_at < plan.declare_after:
                result.waiting += 1
                continue
            proposal = propose(plan, alert)
            groups.setdefault(proposal.dedupe_key, []).append((alert, proposal))
        for dedupe_key, members in groups.items():
            await self._settle(tx, dedupe_key, members, now, result)
        await self._auto_resolve(tx, result)
        self._forget_gone(source, alerts)
        return result

    async def _settle(
        self,
        tx: Tx,
        dedupe_key: str,
        members: list[tuple[Alert, Proposal]],
        now: datetime,
        result: TriageResult,
    ) -> None:
        plan = members[0][1].plan
        keys = [alert.key for alert, _ in members]
        names = ", ".join(sorted({alert.name for alert, _ in members}))
        incident_id = await tx.open_incident_with_key(dedupe_key)
        if incident_id is None and plan.reopen_within:
            incident_id = await tx.resolved_incident_with_key(dedupe_key, now - plan.reopen_within)
            if incident_id is not None:
                await tx.update_incident(
                    incident_id, status=IncidentStatus.OPEN, resolved_at=None, resolved_by=None
                )
                await tx.add_event(
                    incident_id,
                    EventKind.REOPENED,
                    ACTOR,
                    f"Reopened by plan {plan.name}: {names} fired again within"
                    f" {plan.reopen_within}",
                    {"plan": plan.name, "alerts": [str(k) for k in keys]},
                )
                result.reopened.append(incident_id)
        if incident_id is None:
            # the worst impact of the group, the first alert's title
            first = members[0][1]
            impact = min(proposal.impact for _, proposal in members)
            incident_id = await tx.create_incident(
                first.title, impact, ACTOR, first.summary, dedupe_key, plan.name
            )
            await tx.add_event(
                incident_id,
                EventKind.DECLARED,
                ACTOR,
                f"Declared by plan {plan.name} with impact {impact.label}",
                {
                    "plan": plan.name,
                    "dedupe_key": dedupe_key,
                    "alerts": [str(k) for k in keys],
                    "links": render_links(plan, members[0][0]),
                },
            )
            result.declared.append(incident_id)
        else:
            await tx.add_event(
                incident_id,
                EventKind.ALERT_ADDED,
                ACTOR,
                f"{len(keys)} alert(s) joined: {names}",
                {"plan": plan.name, "alerts": [str(k) for k in keys]},
            )
            result.joined[incident_id] = result.joined.get(incident_id, 0) + len(keys)
        await tx.attach_alerts(incident_id, keys)

    async def _auto_resolve(self, tx: Tx, result: TriageResult) -> None:
        for incident_id, plan_name in await tx.open_plan_incidents_without_firing_alerts():
            plan = self.index.by_name(plan_name)
            if plan is None or plan.resolve is not ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE:
                continue
            await tx.update_incident(
                incident_id,
                status=IncidentStatus.RESOLVED,
                resolved_at=tx.now,
                resolved_by=ACTOR,
            )
            await tx.add_event(
                incident_id,
                EventKind.RESOLVED,
                ACTOR,
                f"Resolved: all its alerts resolved (plan {plan.name})",
                {"plan": plan.name},
            )
            result.resolved.append(incident_id)

    def _forget_gone(self, source: str, alerts: Sequence[Alert]) -> None:
        """Keep the match cache to what the source still reports."""
        live = {a.fingerprint for a in alerts}
        for key in [k for k in self._matched if k[0] == source and k[1] not in live]:
            del self._matched[key]
