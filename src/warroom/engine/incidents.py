"""Incidents as responders move them: declare, acknowledge, resolve, reopen, impact,
edit, merge, note.

Which move is allowed is the lifecycle's call (`model.lifecycle`); this module
reads the incident inside the transaction, asks, writes what the answer says
and appends the typed event, all in that one transaction, so the story of an
incident can never miss a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from warroom.engine.context import Context
from warroom.engine.errors import STILL_FIRING, ActionError, AlertsInIncident, Refused, StillFiring
from warroom.engine.overrides import refresh_paging
from warroom.engine.runbooks import start_plan_runbook
from warroom.engine.silence_outbox import queue_ack_silences
from warroom.engine.timeline import append
from warroom.model import AlertKey, Impact, events, lifecycle
from warroom.model.escalation import StaleEscalation
from warroom.model.incident import Incident
from warroom.model.lifecycle import Move, Transition
from warroom.model.runbook_steps import Runbook
from warroom.plans.plan import ResponsePlan
from warroom.store import Tx

MAX_TITLE = 200
MAX_NOTE = 10_000


def clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ActionError("an incident needs a title")
    if len(title) > MAX_TITLE:
        raise ActionError(f"title is longer than {MAX_TITLE} characters")
    return title


class Incidents:
    def __init__(
        self,
        context: Context,
        plans: Mapping[str, ResponsePlan] | None = None,
        runbooks: Mapping[str, Runbook] | None = None,
    ) -> None:
        self.context = context
        # a plan declared under by hand starts its `start: auto` runbook as triage's do
        self.plans: Mapping[str, ResponsePlan] = plans or {}
        self.runbooks: Mapping[str, Runbook] = runbooks or {}

    @property
    def actor(self) -> str:
        return self.context.actor

    async def declare(
        self,
        alerts: Sequence[AlertKey],
        title: str,
        impact: Impact,
        summary: str = "",
        plan: str | None = None,
        dedupe_key: str | None = None,
        move: bool = False,
        links: Sequence[Mapping[str, str]] = (),
    ) -> int:
        """Declare by hand, ad hoc or under a plan (its name and dedupe key recorded,
        so later alerts of that plan join this incident).

        An alert already in an open incident stays there unless `move` says to
        take it: a quiet move once turned an acknowledged incident's alert into a
        fresh, unacknowledged duplicate.
        """
        title = clean_title(title)
        if plan is not None:
            await refresh_paging(self.context.store, self.context.paging, self.context.now())
        async with self.context.transaction() as tx:
            if not move:
                await self._refuse_taken(tx, alerts)
            incident_id = await tx.create_incident(
                title, Impact(impact), self.actor, summary, dedupe_key, plan
            )
            declared = events.Declared(
                Impact(impact),
                events.keys(alerts),
                plan,
                links=tuple(events.Link(k.get("title", ""), k.get("url", "")) for k in links),
            )
            await append(tx, incident_id, self.actor, declared)
            if alerts:
                moved = await tx.attach_alerts(incident_id, alerts)
                await append(tx, incident_id, self.actor, events.AlertsAdded(events.keys(alerts)))
                for previous, keys in moved.items():
                    await append(
                        tx, previous, self.actor, events.AlertsMoved(events.keys(keys), incident_id)
                    )
            if plan is not None:
                await self.context.paging.declared(tx, await self._incident(tx, incident_id))
                await self._start_runbook(tx, plan, incident_id, alerts)
        return incident_id

    async def _start_runbook(
        self, tx: Tx, plan_name: str, incident_id: int, keys: Sequence[AlertKey]
    ) -> None:
        """The plan's `start: auto` runbook, in the declaration's transaction, its
        parameters from the declared alerts in the order given (as triage does)."""
        plan = self.plans.get(plan_name)
        if plan is None:
            return
        held = {t.key: t.alert for t in await tx.incident_alerts(incident_id)}
        alerts = [held[key] for key in keys if key in held]
        await start_plan_runbook(tx, plan, self.runbooks, incident_id, alerts, self.actor)

    async def acknowledge(self, incident_id: int) -> bool:
        """False when already acknowledged: nothing to record twice."""
        async with self.context.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            if await self._move(tx, incident, Move.ACKNOWLEDGE) is None:
                return False
            await append(tx, incident_id, self.actor, events.Acknowledged())
            await self.context.paging.acknowledged(tx, incident, self.actor)
            await self._silence_on_ack(tx, incident_id)
        return True

    async def _silence_on_ack(self, tx: Tx, incident_id: int) -> None:
        """Where a source silences on acknowledgement, the incident's firing alerts
        there are silenced until they resolve, queued in the acknowledgement."""
        silencers = self.context.silencers
        alerts = await tx.incident_alerts(incident_id)
        for source in sorted({t.key.source for t in alerts}):
            silencer = silencers.get(source)
            if silencer is not None and silencer.silence_on_ack:
                mine = [t for t in alerts if t.key.source == source]
                await queue_ack_silences(
                    tx, self.context.store, source, mine, self.actor, incident_id
                )

    async def resolve(self, incident_id: int, reason: str = "", force: bool = False) -> bool:
        """Refused (StillFiring) while its alerts fire, unless `force`: the next poll
        would declare a new incident for them and the acknowledgement and notes
        would stay behind on this one. Forced, the timeline says what still fired."""
        async with self.context.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            transition = self._decide(tx, incident, Move.RESOLVE)
            if transition is None:
                return False
            firing = [
                t for t in await tx.incident_alerts(incident_id) if t.alert.state in STILL_FIRING
            ]
            if firing and not force:
                raise StillFiring(incident_id, firing)
            if not await tx.update_incident_if(incident_id, incident.status, **transition.changes):
                return False  # another writer moved it first: theirs stands
            resolved = events.Resolved(
                reason,
                events.keys(t.key for t in firing),
                tuple(sorted({t.alert.name for t in firing})),
            )
            await append(tx, incident_id, self.actor, resolved)
            await self.context.paging.resolved(tx, incident, self.actor)
        return True

    async def reopen(self, incident_id: int) -> bool:
        """Back to open and unowned (see `model.lifecycle`); False when not resolved."""
        await refresh_paging(self.context.store, self.context.paging, self.context.now())
        async with self.context.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            transition = await self._move(tx, incident, Move.REOPEN)
            if transition is None:
                return False
            reopened = events.Reopened(acknowledged_by=transition.acknowledged_by)
            await append(tx, incident_id, self.actor, reopened)
            await self.context.paging.reopened(tx, incident)
        return True

    async def set_impact(self, incident_id: int, impact: Impact) -> bool:
        impact = Impact(impact)
        async with self.context.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            if incident.impact is impact:
                return False
            await tx.update_incident(incident_id, impact=impact)
            changed = events.ImpactChanged(incident.impact, impact)
            await append(tx, incident_id, self.actor, changed)
        return True

    async def edit(
        self, incident_id: int, title: str | None = None, summary: str | None = None
    ) -> bool:
        """Change title and/or summary; the timeline keeps the old words."""
        async with self.context.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            changes: dict[str, str] = {}
            if title is not None and title.strip() != incident.title:
                changes["title"] = clean_title(title)
            if summary is not None and summary.strip() != incident.summary:
                changes["summary"] = summary.strip()
            if not changes:
                return False
            await tx.update_incident(incident_id, **changes)
            for field, new in changes.items():
                old = getattr(incident, field)
                await append(tx, incident_id, self.actor, events.Edited(field, old, new))
        return True

    async def merge(self, incident_id: int, into: int) -> int:
        """Merge an incident into another: its alerts move, it resolves, both say so.

        Returns how many alerts moved.
        """
        if incident_id == into:
            raise ActionError("an incident cannot be merged into itself")
        async with self.context.transaction() as tx:
            child = await self._incident(tx, incident_id)
            parent = await self._incident(tx, into)
            await self._move(tx, child, Move.MERGE, into=parent)
            keys = [t.key for t in await tx.incident_alerts(incident_id)]
            if keys:
                await tx.attach_alerts(into, keys)
            moved = events.keys(keys)
            merged = events.Merged(moved, into=into, title=parent.title)
            await append(tx, incident_id, self.actor, merged)
            took = events.Merged(moved, merged_from=incident_id, title=child.title)
            await append(tx, into, self.actor, took)
            await self.context.paging.resolved(tx, child, self.actor)
        return len(keys)

    async def escalate(
        self,
        incident_id: int,
        seen: tuple[int, int] | None = None,
        to_stage: int | None = None,
        plan: str | None = None,
    ) -> str:
        """Page the next stage now (or stage `to_stage`, from 0) of the incident's
        engagement `plan` (its only one when None), as seen at (stage, loop) `seen`
        (None: as it stands now: a script's escalate). Refused (ActionError) when
        it moved since, with where it is now; the plan escalated."""
        await refresh_paging(self.context.store, self.context.paging, self.context.now(), True)
        async with self.context.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            if not lifecycle.state_of(incident).is_active:
                raise ActionError(
                    f"incident #{incident_id} is {incident.status}: nothing to escalate"
                )
            engaged = await tx.engagements_of(incident_id)
            if plan is None and len(engaged) > 1:
                names = ", ".join(e.plan for e in engaged)
                raise ActionError(f"incident #{incident_id} engages {names}: say which")
            current = next((e for e in engaged if plan in (None, e.plan)), None)
            if current is None:
                raise ActionError(
                    f"incident #{incident_id} engages "
                    + (f"no {plan}" if plan else "nobody: its plan names no escalation")
                )
            where = seen if seen is not None else (current.stage, current.loop)
            try:
                await self.context.paging.escalate(
                    tx, incident, current.plan, where, self.actor, to_stage
                )
            except StaleEscalation as exc:
                raise ActionError(f"{current.plan}: {exc}") from exc
            except ValueError as exc:
                raise ActionError(str(exc)) from exc
        return current.plan

    async def add_note(self, incident_id: int | None, text: str) -> int:
        """A note on an incident, or on the console log when `incident_id` is None."""
        text = text.strip()
        if not text:
            raise ActionError("an empty note says nothing")
        if len(text) > MAX_NOTE:
            raise ActionError(f"note is longer than {MAX_NOTE} characters")
        async with self.context.transaction() as tx:
            if incident_id is not None:
                await self._incident(tx, incident_id)
            return await append(tx, incident_id, self.actor, events.Note(text))

    async def _refuse_taken(self, tx: Tx, keys: Sequence[AlertKey]) -> None:
        counts: dict[int, int] = {}
        for tracked in await self.context.store.alerts_by_key(keys):
            if tracked.incident_id is not None:
                counts[tracked.incident_id] = counts.get(tracked.incident_id, 0) + 1
        holders = []
        for incident_id, count in sorted(counts.items()):
            incident = await tx.incident(incident_id)
            if incident is not None and lifecycle.state_of(incident).is_active:
                holders.append((incident, count))
        if holders:
            raise AlertsInIncident(holders)

    def _decide(
        self, tx: Tx, incident: Incident, move: Move, into: Incident | None = None
    ) -> Transition | None:
        try:
            return lifecycle.apply(incident, move, self.actor, tx.now, into=into)
        except lifecycle.Refused as exc:
            raise Refused(exc) from exc

    async def _move(
        self, tx: Tx, incident: Incident, move: Move, into: Incident | None = None
    ) -> Transition | None:
        """Ask the lifecycle, then write what it says, in the caller's transaction.

        The write is conditional on the status read: where writers run at once
        (PostgreSQL), a move another writer committed first stands, and this one
        is nothing to do (None), never an overwrite."""
        transition = self._decide(tx, incident, move, into)
        if transition is None or not transition.changes:
            return transition
        if not await tx.update_incident_if(incident.id, incident.status, **transition.changes):
            return None
        return transition

    @staticmethod
    async def _incident(tx: Tx, incident_id: int) -> Incident:
        incident = await tx.incident(incident_id)
        if incident is None:
            raise ActionError(f"no incident #{incident_id}")
        return incident
