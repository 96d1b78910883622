"""Escalation as a pure state machine: what to page next, and when.

An engagement is one incident working through one escalation plan. Its state is
a few numbers (stage, loop, when the next stage is due, whether it is stopped)
that the engine stores and advances by calling `advance(plan, state, now, ...)`;
the pages and timeline lines it returns are written in the same transaction as
the new state, so a crash never pages a stage twice nor skips one.

Rules, after Incident Manager, GoAlert and PagerDuty (see the research note):
- A stage pages its targets, then waits its duration before the next stage.
  Any duration is allowed, 0 included (Incident Manager caps at 30 minutes; a
  responder's plan may want longer).
- Acknowledging stops the plan. A target marked `essential` stops it when it
  acknowledges; others only record that they did (Incident Manager's rule).
- After the last stage the plan starts again `repeat` more times, then it is
  exhausted: nobody more to page, said loudly on the timeline.
- A stage whose targets resolve to nobody (an empty schedule) either waits its
  duration all the same (`empty_stage: wait`, GoAlert's behaviour) or is skipped
  at once (`skip`); both say so on the timeline, never silently.
- `ack_timeout`: an acknowledged incident that is still not resolved after it is
  re-armed from the first stage (PagerDuty's re-trigger), so an ack cannot bury it.
- "Escalate now" names the stage the responder saw; if the engagement has moved
  on since, nothing happens (GoAlert's EscalateAsOf): two consoles pressing `e`
  at once advance it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.model.value import Value, replace


class TargetKind(StrEnum):
    CONTACT = "contact"
    SCHEDULE = "schedule"


class EmptyStage(StrEnum):
    WAIT = "wait"
    SKIP = "skip"


class Status(StrEnum):
    ACTIVE = "active"  # paging, the next stage due at `next_at`
    ACKNOWLEDGED = "acknowledged"  # stopped; re-armed at `next_at` if ack_timeout is set
    RESOLVED = "resolved"  # stopped for good
    EXHAUSTED = "exhausted"  # every stage and repeat done, nobody acknowledged


class Target(Value, frozen=True):
    kind: TargetKind
    name: str
    essential: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}"


class Stage(Value, frozen=True):
    duration: timedelta
    targets: tuple[Target, ...]


class EscalationPlan(Value, frozen=True):
    name: str
    stages: tuple[Stage, ...]
    repeat: int = 0
    empty_stage: EmptyStage = EmptyStage.WAIT
    ack_timeout: timedelta | None = None

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError(f"escalation plan {self.name!r} has no stages")
        if self.repeat < 0:
            raise ValueError(f"escalation plan {self.name!r}: repeat is 0 or more")


class Engagement(Value, frozen=True):
    """Where one incident stands in one plan; `stage` and `loop` count from 0."""

    plan: str
    status: Status
    stage: int
    loop: int
    next_at: datetime | None
    started_at: datetime


class Page(Value, frozen=True):
    """Page `target` for (stage, loop): with the incident and engagement, a unique key,
    so writing the same page twice writes it once."""

    stage: int
    loop: int
    target: Target


class Said(Value, frozen=True):
    """A line for the timeline that no page carries: an empty stage, an exhausted plan."""

    stage: int
    loop: int
    text: str


Step = Page | Said
# Who a target reaches at an instant (a schedule's on-call, a contact itself);
# only emptiness matters here, the engine pages through the contacts it returns.
Reach = Callable[[Target, datetime], tuple[str, ...]]


class StaleEscalation(Exception):
    """The engagement moved on since the responder looked: nothing was done."""

    def __init__(self, now_at: Engagement) -> None:
        super().__init__(
            f"already at stage {now_at.stage + 1}"
            + (f" (loop {now_at.loop + 1})" if now_at.loop else "")
            + f", {now_at.status}: nothing escalated"
        )
        self.engagement = now_at


def start(plan: EscalationPlan, now: datetime, reach: Reach) -> tuple[Engagement, list[Step]]:
    """Engage: page stage 1 now (and any 0-length or skipped stages after it)."""
    state = Engagement(plan.name, Status.ACTIVE, 0, 0, now, now)
    return advance(plan, state, now, reach)


def advance(
    plan: EscalationPlan, state: Engagement, now: datetime, reach: Reach
) -> tuple[Engagement, list[Step]]:
    """Everything due by `now`: each due stage pages its targets and sets when the next
    is due. A state with nothing due comes back unchanged with no steps.

    Stages keep their own times: an engine that was down (or a late tick) pages
    every overdue stage now, and the stage after waits from when it was due, not
    from now, so a slow bastion does not stretch a plan the team agreed on."""
    steps: list[Step] = []
    if state.status is Status.ACKNOWLEDGED and _due(state, now):
        state = replace(state, status=Status.ACTIVE, stage=0, loop=state.loop + 1)
        steps.append(Said(0, state.loop, "acknowledged but not resolved in time: re-engaged"))
    # each pass consumes one stage, so this ends after stages x (repeat + 1) at most
    while state.status is Status.ACTIVE and _due(state, now):
        due_at = state.next_at
        assert due_at is not None
        if state.stage >= len(plan.stages):
            if state.loop >= plan.repeat:
                steps.append(
                    Said(state.stage - 1, state.loop, "every stage paged, nobody acknowledged")
                )
                state = replace(state, status=Status.EXHAUSTED, next_at=None)
                break
            state = replace(state, stage=0, loop=state.loop + 1)
        stage = plan.stages[state.stage]
        reached = [t for t in stage.targets if reach(t, due_at)]
        steps.extend(Page(state.stage, state.loop, t) for t in reached)
        wait = stage.duration
        if not reached:
            names = ", ".join(t.ref for t in stage.targets) or "no targets"
            if plan.empty_stage is EmptyStage.SKIP:
                steps.append(Said(state.stage, state.loop, f"nobody to page ({names}): skipped"))
                wait = timedelta(0)
            else:
                steps.append(
                    Said(state.stage, state.loop, f"nobody to page ({names}): waiting {wait}")
                )
        state = replace(state, stage=state.stage + 1, next_at=due_at + wait)
    return state, steps


def acknowledge(
    plan: EscalationPlan, state: Engagement, now: datetime, by: Target | None = None
) -> Engagement:
    """A responder (`by` None: in the console or CLI) or a paged target acknowledged.
    Only a responder or an essential target stops the plan."""
    if state.status is not Status.ACTIVE or (by is not None and not by.essential):
        return state
    rearm = now + plan.ack_timeout if plan.ack_timeout is not None else None
    return replace(state, status=Status.ACKNOWLEDGED, next_at=rearm)


def resolve(state: Engagement) -> Engagement:
    return replace(state, status=Status.RESOLVED, next_at=None)


def escalate(
    plan: EscalationPlan,
    state: Engagement,
    seen: tuple[int, int],
    now: datetime,
    reach: Reach,
    to_stage: int | None = None,
) -> tuple[Engagement, list[Step]]:
    """Page the next stage now (or stage `to_stage`, counted from 0), as the responder
    asked having seen (stage, loop) `seen`. Refused with StaleEscalation if the
    engagement has moved since. Escalating a stopped engagement re-engages it."""
    if (state.stage, state.loop) != seen:
        raise StaleEscalation(state)
    if state.status is Status.RESOLVED:
        raise StaleEscalation(state)
    if to_stage is None:
        if state.status is Status.EXHAUSTED:  # asked for more: go round once more
            moved = replace(state, status=Status.ACTIVE, stage=0, loop=state.loop + 1)
        else:  # the next stage, or the next loop's first (advance wraps)
            moved = replace(state, status=Status.ACTIVE)
    elif 0 <= to_stage < len(plan.stages):
        # back to a stage already paged in this round: a new round, so its pages are
        # new (a page is keyed on its stage and round, and would not be sent twice)
        loop = state.loop + 1 if to_stage < state.stage else state.loop
        moved = replace(state, status=Status.ACTIVE, stage=to_stage, loop=loop)
    else:
        raise ValueError(f"stage {to_stage + 1}: the plan has stages 1..{len(plan.stages)}")
    return advance(plan, replace(moved, next_at=now), now, reach)


def _due(state: Engagement, now: datetime) -> bool:
    return state.next_at is not None and state.next_at <= now
