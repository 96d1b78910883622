"""Who a page reaches and the outbox rows it becomes: pure, so the engine, `warroom
simulate` and the tests all compute pages alike.

A response plan engages references (`escalation-plan:NAME`, `contact:NAME`,
`schedule:NAME`). An escalation plan is used as written; a contact or schedule
engaged directly is a one-stage plan of that name whose target is essential
(its acknowledgement stops it) and which says after DIRECT_WAIT that nobody
acknowledged. A page to a target becomes one row per contact it reaches and per
step of that contact's engagement (a channel, how long after, how often again).

Each row's key names everything that makes it distinct -- incident, plan, stage,
loop, target, contact, channel, action, repeat -- so writing the same page again
(a replayed transaction, two consoles escalating the same step) writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from warroom.model.contact import Contact
from warroom.model.escalation import EscalationPlan, Page, Stage, Target, TargetKind
from warroom.model.incident import Incident
from warroom.model.oncall import Schedule, on_call
from warroom.model.value import Value, field

DIRECT_WAIT = timedelta(minutes=30)
# a contact's `retry_every` pages again until acknowledged, at most this many times
MAX_REPEATS = 10


class OutboxKind(StrEnum):
    PAGE = "page"
    SILENCE = "silence"
    EXPIRE_SILENCE = "expire-silence"


class RowState(StrEnum):
    PENDING = "pending"  # waiting for `due_at`
    CLAIMED = "claimed"  # the lease holder took it; the send may be under way
    SENT = "sent"
    FAILED = "failed"  # will not work as configured; said on the timeline
    CANCELLED = "cancelled"  # acknowledged or resolved before it was due
    UNKNOWN = "unknown"  # the request left, the answer was lost (a crash or a reset)

    @property
    def open(self) -> bool:
        return self in (RowState.PENDING, RowState.CLAIMED)


class OutboxItem(Value, frozen=True):
    """A row to write. `target` is who (a contact's name, or a source for silences),
    `channel` how (the contact's channel name); `payload` holds what the message
    says, never a secret (channel options stay in the plan files)."""

    key: str
    incident_id: int | None
    kind: OutboxKind
    action: str
    target: str
    channel: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


class OutboxRow(Value, frozen=True):
    """A row as stored, with what became of it."""

    id: int
    key: str
    incident_id: int | None
    kind: OutboxKind
    action: str
    target: str
    channel: str
    payload: Mapping[str, Any]
    state: RowState
    due_at: datetime
    attempts: int
    claimed_epoch: int | None
    detail: str
    reference: str
    possible_repeat: bool
    created_at: datetime
    done_at: datetime | None


class Directory(Value, frozen=True):
    """Everyone warroom can page, from the plan files (with the console's overrides
    merged into the schedules by the caller)."""

    contacts: Mapping[str, Contact] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    plans: Mapping[str, EscalationPlan] = field(default_factory=dict)

    def plan(self, reference: str) -> EscalationPlan | None:
        """The plan a response plan's engagement names; None for a bare word or an
        unknown name (`warroom check` reports both)."""
        kind, _, name = reference.partition(":")
        if kind == "escalation-plan":
            return self.plans.get(name)
        if (kind == "contact" and name in self.contacts) or (
            kind == "schedule" and name in self.schedules
        ):
            target = Target(TargetKind(kind), name, essential=True)
            return EscalationPlan(reference, (Stage(DIRECT_WAIT, (target,)),))
        return None

    def people(self, target: Target, at: datetime) -> tuple[str, ...]:
        """Who `target` means at `at`: the contact, or whoever the schedule has on call."""
        if target.kind is TargetKind.CONTACT:
            return (target.name,) if target.name in self.contacts else ()
        schedule = self.schedules.get(target.name)
        return () if schedule is None else on_call(schedule, at)

    def reach(self, target: Target, at: datetime) -> tuple[str, ...]:
        """The contacts a page to `target` reaches (for `escalation.advance`)."""
        return tuple(p for p in self.people(target, at) if p in self.contacts)


def thread(incident_id: int, contact: str, channel: str) -> str:
    """Shared by every message of an incident on one channel: PagerDuty's dedup_key
    (so stage 2 and a repeat re-trigger the same alert), the mail thread."""
    return f"warroom/incident/{incident_id}/{contact}/{channel}"


def message(incident: Incident) -> dict[str, Any]:
    """What a page says about the incident, copied into the row when it is written
    (the incident may be edited later; the page says what was true when it paged)."""
    return {
        "title": incident.title,
        "impact": int(incident.impact),
        "summary": incident.summary,
    }


class Expanded(Value, frozen=True):
    rows: list[OutboxItem]
    people: tuple[str, ...]
    problems: list[str]  # one line each, for the timeline


def page_rows(
    incident: Incident, plan: str, page: Page, at: datetime, directory: Directory
) -> Expanded:
    """The rows for one page of one stage, due from `at` (when the stage was due)."""
    rows: list[OutboxItem] = []
    problems: list[str] = []
    people = directory.people(page.target, at)
    reached = []
    for person in people:
        contact = directory.contacts.get(person)
        if contact is None:
            problems.append(f"{person} is on call ({page.target.ref}) but is no contact: not paged")
            continue
        reached.append(person)
        if not contact.engagement:
            problems.append(f"contact {person} has no engagement steps: not paged")
        for step in contact.engagement:
            key = "/".join(
                (
                    f"i{incident.id}",
                    plan,
                    f"s{page.stage}",
                    f"l{page.loop}",
                    page.target.ref,
                    person,
                    step.channel,
                    "trigger",
                    "1",
                )
            )
            payload = {
                **message(incident),
                "plan": plan,
                "stage": page.stage,
                "loop": page.loop,
                "thread": thread(incident.id, person, step.channel),
                "repeat": 1,
            }
            if step.retry_every is not None:
                payload["retry_every"] = step.retry_every.total_seconds()
            rows.append(
                OutboxItem(
                    key,
                    incident.id,
                    OutboxKind.PAGE,
                    "trigger",
                    person,
                    step.channel,
                    at + step.after,
                    payload,
                )
            )
    return Expanded(rows, tuple(reached), problems)


def repeat_row(row: OutboxRow, sent_at: datetime) -> OutboxItem | None:
    """The next page of a contact step with `retry_every`, after `row` was sent;
    None when it has none or has repeated MAX_REPEATS times."""
    every = row.payload.get("retry_every")
    repeat = int(row.payload.get("repeat", 1))
    if not isinstance(every, int | float) or every <= 0 or repeat >= MAX_REPEATS:
        return None
    base = row.key.rpartition("/")[0]
    payload = {**row.payload, "repeat": repeat + 1}
    return OutboxItem(
        f"{base}/{repeat + 1}",
        row.incident_id,
        row.kind,
        row.action,
        row.target,
        row.channel,
        sent_at + timedelta(seconds=every),
        payload,
    )


def follow_up_rows(
    incident: Incident, action: str, triggered: list[tuple[str, str]], at: datetime, round_: int
) -> list[OutboxItem]:
    """Acknowledge or resolve on every (contact, channel) that was paged, so
    PagerDuty closes its alert and a room hears it is handled. `round_` tells the
    first acknowledgement from one after a re-arm (each is its own row)."""
    return [
        OutboxItem(
            f"i{incident.id}/{contact}/{channel}/{action}/{round_}",
            incident.id,
            OutboxKind.PAGE,
            action,
            contact,
            channel,
            at,
            {**message(incident), "thread": thread(incident.id, contact, channel)},
        )
        for contact, channel in triggered
    ]


class Forecast(Value, frozen=True):
    """One page a plan would send if nobody acknowledged: when, and to whom."""

    after: timedelta
    plan: str
    stage: int
    loop: int
    target: str
    people: tuple[str, ...]


def forecast(
    reference: str, directory: Directory, start: datetime, most: int = 50
) -> list[Forecast]:
    """Who `reference` would page when, from `start`, if nobody acknowledged: the
    escalation state machine run forward on the real schedules, so `warroom simulate`
    and the engine never disagree. Empty stages and the end are said as pages to
    nobody."""
    from warroom.model import escalation as esc

    plan = directory.plan(reference)
    if plan is None:
        return []
    out: list[Forecast] = []
    state, steps = esc.start(plan, start, directory.reach)
    at = start
    while True:
        for step in steps:
            if isinstance(step, Page):
                people = directory.reach(step.target, at)
                out.append(
                    Forecast(at - start, reference, step.stage, step.loop, step.target.ref, people)
                )
            else:
                out.append(Forecast(at - start, reference, step.stage, step.loop, step.text, ()))
        if state.next_at is None or len(out) >= most:
            return out
        at = state.next_at
        state, steps = esc.advance(plan, state, at, directory.reach)
