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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from warroom.engine.paging import Paging
from warroom.engine.runbooks import start_plan_runbook
from warroom.engine.timeline import append
from warroom.model import Alert, AlertState, Incident, events, lifecycle
from warroom.model.alert import RETURN_GRACE
from warroom.model.lifecycle import Fate
from warroom.model.runbook_steps import Runbook
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
    def __init__(self, plans: Sequence[ResponsePlan], paging: Paging | None = None) -> None:
        self.index = PlanIndex(list(plans))
        self.paging = paging or Paging()
        # the plans' runbooks: a plan with `runbook_start: auto` starts its own on declaring
        self.runbooks: Mapping[str, Runbook] = {}
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
        await self.run_part(tx, source, alerts, digests, now, result, whole=True)
        await self.finish(tx, source, alerts, result)
        return result

    async def run_part(
        self,
        tx: Tx,
        source: str,
        alerts: Sequence[Alert],
        digests: Sequence[str],
        now: datetime,
        result: TriageResult,
        whole: bool = False,
    ) -> None:
        """Triage these alerts of the snapshot (all of it when `whole`).

        A large poll is stored a chunk at a time, each chunk triaged in its own
        transaction: a group split over chunks declares its incident in the first
        and joins it in the next ones, as alerts of a later poll would.
        """
        if not self.index.plans:  # nothing to match: a poll costs no triage at all
            return
        among = None if whole else [a.fingerprint for a in alerts]
        attached = await tx.attached_to_open(source, among)
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

    async def finish(
        self, tx: Tx, source: str, alerts: Sequence[Alert], result: TriageResult
    ) -> None:
        """After the whole snapshot is stored: resolve what the plans resolve."""
        if not self.index.plans:
            return
        await self._auto_resolve(tx, result)
        self._forget_gone(source, alerts)

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
        names = tuple(sorted({alert.name for alert, _ in members}))
        active = await self._incident(tx, await tx.open_incident_with_key(dedupe_key))
        last = None if active else await self._last_resolved(tx, dedupe_key, plan, now)
        fate, incident = lifecycle.fate(active, last, now, plan.reopen_within)
        incident_id = None if incident is None else incident.id
        if fate is Fate.REOPENS:
            assert incident is not None
            transition = lifecycle.refire(incident, now, plan.reopen_within)
            assert transition is not None
            await tx.update_incident(incident.id, **transition.changes)
            reopened = events.Reopened(
                plan.name, events.keys(keys), names, plan.reopen_within, transition.acknowledged_by
            )
            await append(tx, incident.id, ACTOR, reopened)
            result.reopened.append(incident.id)
            fresh = await tx.incident(incident.id)
            if fresh is not None:
                await self.paging.reopened(tx, fresh)
        if incident_id is None:
            # the worst impact of the group, the first alert's title
            first = members[0][1]
            impact = min(proposal.impact for _, proposal in members)
            incident_id = await tx.create_incident(
                first.title, impact, ACTOR, first.summary, dedupe_key, plan.name
            )
            links = render_links(plan, members[0][0])
            declared = events.Declared(
                impact,
                events.keys(keys),
                plan.name,
                dedupe_key,
                tuple(events.Link(link["title"], link["url"]) for link in links),
                by_plan=True,
            )
            await append(tx, incident_id, ACTOR, declared)
            result.declared.append(incident_id)
        else:
            joined = events.AlertsAdded(events.keys(keys), names, plan.name)
            await append(tx, incident_id, ACTOR, joined)
            result.joined[incident_id] = result.joined.get(incident_id, 0) + len(keys)
        await tx.attach_alerts(incident_id, keys)
        if incident is None:  # declared now: engage its plan's people
            declared_incident = await tx.incident(incident_id)
            if declared_incident is not None:
                await self.paging.declared(tx, declared_incident)
            alerts = [alert for alert, _ in members]
            await start_plan_runbook(tx, plan, self.runbooks, incident_id, alerts, ACTOR)

    @staticmethod
    async def _incident(tx: Tx, incident_id: int | None) -> Incident | None:
        return None if incident_id is None else await tx.incident(incident_id)

    async def _last_resolved(
        self, tx: Tx, dedupe_key: str, plan: ResponsePlan, now: datetime
    ) -> Incident | None:
        """The incident with this key resolved last, if recently enough to matter."""
        if not plan.reopen_within:
            return None
        found = await tx.resolved_incident_with_key(dedupe_key, now - plan.reopen_within)
        return await self._incident(tx, found)

    async def _auto_resolve(self, tx: Tx, result: TriageResult) -> None:
        for incident_id, plan_name in await tx.open_plan_incidents_without_firing_alerts():
            plan = self.index.by_name(plan_name)
            if plan is None or plan.resolve is not ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE:
                continue
            # an alert gone only a moment (an Alertmanager restart) may be back: the
            # incident waits out the same grace before it resolves, or a restart
            # resolved every incident, told PagerDuty so, and reopened them unowned,
            # paging from stage 1 again (found in the #8 trial)
            recent = tx.now - RETURN_GRACE
            alerts = await tx.incident_alerts(incident_id)
            if any((t.alert.ends_at or tx.now) > recent for t in alerts):
                continue
            incident = await tx.incident(incident_id)
            transition = None if incident is None else lifecycle.resolve(incident, ACTOR, tx.now)
            if transition is None:
                continue
            await tx.update_incident(incident_id, **transition.changes)
            await append(tx, incident_id, ACTOR, events.Resolved(plan=plan.name))
            result.resolved.append(incident_id)
            assert incident is not None
            await self.paging.resolved(tx, incident, ACTOR)

    def _forget_gone(self, source: str, alerts: Sequence[Alert]) -> None:
        """Keep the match cache to what the source still reports."""
        live = {a.fingerprint for a in alerts}
        for key in [k for k in self._matched if k[0] == source and k[1] not in live]:
            del self._matched[key]
