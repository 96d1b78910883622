"""Engagement inside transactions: the pages an incident's moves cause, written with them.

Every change that pages or stops paging happens in the transaction of the move
that causes it, so it can neither be lost nor outlive its cause:
- a plan's incident declared (by triage or by hand): its engagements start and
  stage 1's pages are written to the outbox;
- a stage falls due (the lease holder's escalate duty): the next stage's pages;
- a responder escalates: the next (or a named) stage now, keyed on the stage
  they saw, so two consoles pressing `e` at once advance it once;
- acknowledged: pending pages are cancelled in that transaction (none is claimed
  after it commits) and every channel that was paged is told;
- resolved or merged away: the same, and the engagements end;
- reopened: the engagements start over, in a new round so their pages are new rows.

Nothing here touches the network: the deliver duty sends what the outbox holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from warroom.engine.timeline import append
from warroom.model import Incident, events
from warroom.model import escalation as esc
from warroom.model.escalation import Engagement, EscalationPlan, Page, Status
from warroom.model.oncall import Schedule
from warroom.model.paging import Directory, follow_up_rows, page_rows
from warroom.model.value import replace
from warroom.store import Tx

ACTOR = "warroom"


@dataclass
class Paging:
    """The directory of who can be paged, and the response plans' engagements."""

    directory: Directory = field(default_factory=Directory)
    # response plan name -> the references it engages
    engagements: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # the schedules as the plan files declare them; `directory` holds them with the
    # overrides taken in the console merged in (`engine.overrides.refresh_paging`)
    file_schedules: Mapping[str, Schedule] = field(default_factory=dict)
    refreshed_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.file_schedules:
            self.file_schedules = dict(self.directory.schedules)

    def plan(self, reference: str) -> EscalationPlan | None:
        """The plan behind a reference, named by the reference itself (what the
        engagement row keeps), so a stored engagement finds its plan again."""
        found = self.directory.plan(reference)
        return None if found is None else replace(found, name=reference)

    @property
    def active(self) -> bool:
        return bool(self.engagements)

    # -- what moves cause ----------------------------------------------------------------

    async def declared(self, tx: Tx, incident: Incident) -> None:
        """Start every engagement of the incident's response plan."""
        for reference in self.engagements.get(incident.plan or "", ()):
            plan = self.plan(reference)
            if plan is None:
                continue  # `warroom check` names it; nobody to page here
            if any(e.plan == reference for e in await tx.engagements_of(incident.id)):
                continue
            await append(tx, incident.id, ACTOR, events.Engaged(reference, len(plan.stages)))
            state, steps = esc.start(plan, tx.now, self.directory.reach)
            await self._write(tx, incident, state, steps)

    async def reopened(self, tx: Tx, incident: Incident) -> None:
        """Start again from stage 1, in a new round (a round's pages are rows of their own)."""
        known = {e.plan: e for e in await tx.engagements_of(incident.id)}
        for reference in self.engagements.get(incident.plan or "", ()):
            plan = self.plan(reference)
            before = known.get(reference)
            if plan is None:
                continue
            if before is None:
                await self.declared(tx, incident)
                return
            fresh = Engagement(reference, Status.ACTIVE, 0, before.loop + 1, tx.now, tx.now)
            await append(tx, incident.id, ACTOR, events.Engaged(reference, len(plan.stages)))
            state, steps = esc.advance(plan, fresh, tx.now, self.directory.reach)
            await self._write(tx, incident, state, steps)

    async def acknowledged(self, tx: Tx, incident: Incident, actor: str) -> None:
        engaged = await tx.engagements_of(incident.id)
        for state in engaged:
            plan = self.plan(state.plan)
            if plan is not None:
                await tx.save_engagement(incident.id, esc.acknowledge(plan, state, tx.now))
        await self._stop(tx, incident, "acknowledge", f"acknowledged by {actor}", ("trigger",))

    async def resolved(self, tx: Tx, incident: Incident, actor: str) -> None:
        for state in await tx.engagements_of(incident.id):
            if state.status is not Status.RESOLVED:
                await tx.save_engagement(incident.id, esc.resolve(state))
        await self._stop(
            tx, incident, "resolve", f"resolved by {actor}", ("trigger", "acknowledge")
        )

    async def escalate(
        self,
        tx: Tx,
        incident: Incident,
        reference: str,
        seen: tuple[int, int],
        actor: str,
        to_stage: int | None = None,
    ) -> None:
        """Raise StaleEscalation if the engagement moved since `seen`; ValueError for
        a stage the plan lacks or a plan the incident does not engage."""
        plan = self.plan(reference)
        engaged = await tx.engagements_of(incident.id)
        current = next((e for e in engaged if e.plan == reference), None)
        if plan is None or current is None:
            raise ValueError(f"incident #{incident.id} does not engage {reference}")
        state, steps = esc.escalate(plan, current, seen, tx.now, self.directory.reach, to_stage)
        escalated = events.Escalated(reference, seen[0], seen[1], to_stage)
        await append(tx, incident.id, actor, escalated)
        await self._write(tx, incident, state, steps)

    async def due(self, tx: Tx, now: datetime) -> int:
        """Advance every engagement due by `now` (the lease holder's duty); how many."""
        moved = 0
        for incident_id, state in await tx.due_engagements(now):
            incident = await tx.incident(incident_id)
            plan = self.plan(state.plan)
            if incident is None:
                continue
            if plan is None:
                said = events.EscalationSaid(
                    state.plan, state.stage, state.loop, "no longer declared: engagement stopped"
                )
                await append(tx, incident_id, ACTOR, said)
                stopped = replace(state, status=Status.EXHAUSTED, next_at=None)
                await tx.save_engagement(incident_id, stopped)
                continue
            new, steps = esc.advance(plan, state, now, self.directory.reach)
            await self._write(tx, incident, new, steps)
            moved += 1
        return moved

    # -- writing ---------------------------------------------------------------------------

    async def _write(
        self, tx: Tx, incident: Incident, state: Engagement, steps: Sequence[esc.Step]
    ) -> None:
        await tx.save_engagement(incident.id, state)
        for step in steps:
            if isinstance(step, Page):
                expanded = page_rows(incident, state.plan, step, tx.now, self.directory)
                await tx.enqueue(expanded.rows)
                paged = events.Paged(
                    state.plan,
                    step.stage,
                    step.loop,
                    step.target.ref,
                    expanded.people,
                    len(expanded.rows),
                )
                await append(tx, incident.id, ACTOR, paged)
                for problem in expanded.problems:
                    said = events.EscalationSaid(state.plan, step.stage, step.loop, problem)
                    await append(tx, incident.id, ACTOR, said)
            else:
                said = events.EscalationSaid(state.plan, step.stage, step.loop, step.text)
                await append(tx, incident.id, ACTOR, said)

    async def _stop(
        self, tx: Tx, incident: Incident, action: str, why: str, cancel: tuple[str, ...]
    ) -> None:
        await tx.cancel_open(incident.id, cancel, why)
        paged = await tx.paged_channels(incident.id)
        if paged:
            round_ = await tx.count_rows(incident.id, action) + 1
            await tx.enqueue(follow_up_rows(incident, action, paged, tx.now, round_))
