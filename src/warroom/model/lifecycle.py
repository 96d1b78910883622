"""The incident lifecycle: the one place that says which move is allowed from which
state, and what each move writes.

The service (a responder's keys and scripts), triage (the poll) and `warroom
simulate` used to decide this each on its own, and disagreed: a responder's
reopen brought back `acknowledged`, triage's reopen said `open` but kept the old
acknowledger, and simulate never predicted a reopen at all. Escalation will ask
the same questions ("is anyone on it?"), so they are answered here, once, as
pure functions of an `Incident` value: no I/O, testable as a table.

States: `open` (nobody owns it), `acknowledged` (someone does), `resolved`, and
`merged` (resolved into a parent incident; stored as resolved with `parent_id`).

Reopening, by a responder (`o`, `warroom reopen`) or by an alert of the plan that
fires again within `reopen_within`, returns the incident to `open` with
`acknowledged_at` and `acknowledged_by` cleared. A reopened incident is a
problem that came back: whoever acknowledged it last time may be off shift or
asleep, and "an acknowledgement stops escalation" (issue #10) only works if a
reopen lets escalation start again until someone acknowledges afresh. Restoring
`acknowledged` would leave a returning fire owned by nobody awake. Who had
acknowledged is not lost: the `reopened` timeline event records it, and the
`acknowledged` event stays in the timeline.

A merged incident never moves again: its alerts now live in its parent, so
acknowledging, reopening or re-firing it would split the work in two. Work
happens on the parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.model.clock import format_duration
from warroom.model.incident import Incident, IncidentStatus
from warroom.model.value import Value, field


class State(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    MERGED = "merged"

    @property
    def is_active(self) -> bool:
        """Still being worked on: alerts join it, escalation may run for it."""
        return self in (State.OPEN, State.ACKNOWLEDGED)


class Move(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    REOPEN = "reopen"  # by a responder
    REFIRE = "refire"  # an alert of its plan fired again within `reopen_within`
    MERGE = "merge"  # this incident goes into another
    ABSORB = "absorb"  # another incident is merged into this one


def state_of(incident: Incident) -> State:
    if incident.parent_id is not None:
        return State.MERGED
    return State(incident.status.value)


class Refused(Exception):
    """A move the lifecycle does not allow from the incident's state.

    The message is for the responder: it names the incident, why, and where to
    act instead. `state` and `move` let a caller word it its own way.
    """

    def __init__(self, incident: Incident, move: Move, reason: str) -> None:
        super().__init__(reason)
        self.incident_id = incident.id
        self.state = state_of(incident)
        self.move = move
        self.parent_id = incident.parent_id


class Transition(Value, frozen=True):
    """What a move does: the state it leads to and the incident fields to write.

    `changes` maps `Incident` field names to new values, ready for the store's
    `update_incident`; empty for a move that only checks (ABSORB).
    `acknowledged_by` is who owned the incident before the move, kept for the
    timeline when a reopen clears it.
    """

    incident_id: int
    move: Move
    before: State
    after: State
    changes: Mapping[str, object] = field(default_factory=dict)
    acknowledged_by: str | None = None


# (state, move) -> the state it leads to; a pair missing here is a no-op (the
# incident is already there) or refused, as `_refusal` says.
_ALLOWED: dict[tuple[State, Move], State] = {
    (State.OPEN, Move.ACKNOWLEDGE): State.ACKNOWLEDGED,
    (State.OPEN, Move.RESOLVE): State.RESOLVED,
    (State.OPEN, Move.MERGE): State.MERGED,
    (State.OPEN, Move.ABSORB): State.OPEN,
    (State.ACKNOWLEDGED, Move.RESOLVE): State.RESOLVED,
    (State.ACKNOWLEDGED, Move.MERGE): State.MERGED,
    (State.ACKNOWLEDGED, Move.ABSORB): State.ACKNOWLEDGED,
    (State.RESOLVED, Move.REOPEN): State.OPEN,
    (State.RESOLVED, Move.REFIRE): State.OPEN,
    (State.RESOLVED, Move.MERGE): State.MERGED,
}

# already where the move would take it: nothing to write, nothing to record
_ALREADY: frozenset[tuple[State, Move]] = frozenset(
    {
        (State.ACKNOWLEDGED, Move.ACKNOWLEDGE),
        (State.RESOLVED, Move.RESOLVE),
        (State.MERGED, Move.RESOLVE),
        (State.OPEN, Move.REOPEN),
        (State.ACKNOWLEDGED, Move.REOPEN),
        (State.OPEN, Move.REFIRE),
        (State.ACKNOWLEDGED, Move.REFIRE),
    }
)


def _refusal(incident: Incident, move: Move) -> str:
    ref = f"incident #{incident.id}"
    if incident.parent_id is not None:
        if move is Move.MERGE:
            return f"{ref} is already merged into #{incident.parent_id}"
        if move is Move.ABSORB:
            return f"#{incident.id} was merged into #{incident.parent_id}; merge there"
        return f"{ref} was merged into #{incident.parent_id}; work there"
    if move is Move.ABSORB:
        return f"#{incident.id} is resolved; reopen it before merging into it"
    return f"{ref} is resolved; reopen it first"


def apply(
    incident: Incident,
    move: Move,
    actor: str,
    at: datetime,
    *,
    into: Incident | None = None,
    within: timedelta | None = None,
) -> Transition | None:
    """The transition `move` makes from the incident's state, None if it is already
    there, or Refused. MERGE needs `into` (the parent), REFIRE `within` (the plan's
    `reopen_within`)."""
    before = state_of(incident)
    if (before, move) in _ALREADY:
        return None
    after = _ALLOWED.get((before, move))
    if after is None:
        raise Refused(incident, move, _refusal(incident, move))
    changes: dict[str, object] = {}
    if move is Move.ACKNOWLEDGE:
        changes = {
            "status": IncidentStatus.ACKNOWLEDGED,
            "acknowledged_at": at,
            "acknowledged_by": actor,
        }
    elif move is Move.RESOLVE:
        changes = {"status": IncidentStatus.RESOLVED, "resolved_at": at, "resolved_by": actor}
    elif move in (Move.REOPEN, Move.REFIRE):
        if move is Move.REFIRE:
            _check_window(incident, at, within)
        changes = {
            "status": IncidentStatus.OPEN,
            "acknowledged_at": None,
            "acknowledged_by": None,
            "resolved_at": None,
            "resolved_by": None,
        }
    elif move is Move.MERGE:
        if into is None:
            raise ValueError("a merge needs the incident to merge into")
        _check_merge(incident, into, actor, at)
        changes = {
            "parent_id": into.id,
            "status": IncidentStatus.RESOLVED,
            "resolved_at": at,
            "resolved_by": actor,
        }
    return Transition(incident.id, move, before, after, changes, incident.acknowledged_by)


def _check_window(incident: Incident, at: datetime, within: timedelta | None) -> None:
    if not within:
        raise Refused(incident, Move.REFIRE, f"incident #{incident.id}'s plan never reopens")
    if incident.resolved_at is None or at - incident.resolved_at > within:
        ago = format_duration(at - incident.resolved_at) if incident.resolved_at else "long"
        raise Refused(
            incident,
            Move.REFIRE,
            f"incident #{incident.id} was resolved {ago} ago, longer than"
            f" reopen_within {format_duration(within)}",
        )


def _check_merge(child: Incident, parent: Incident, actor: str, at: datetime) -> None:
    if child.id == parent.id:
        raise Refused(child, Move.MERGE, "an incident cannot be merged into itself")
    apply(parent, Move.ABSORB, actor, at)


def acknowledge(incident: Incident, actor: str, at: datetime) -> Transition | None:
    return apply(incident, Move.ACKNOWLEDGE, actor, at)


def resolve(incident: Incident, actor: str, at: datetime) -> Transition | None:
    return apply(incident, Move.RESOLVE, actor, at)


def reopen(incident: Incident, actor: str, at: datetime) -> Transition | None:
    return apply(incident, Move.REOPEN, actor, at)


def refire(incident: Incident, at: datetime, within: timedelta | None) -> Transition | None:
    """An alert of the incident's plan fired again: reopen it if it resolved within
    `within`; None if it is still active (the alert simply joins it)."""
    return apply(incident, Move.REFIRE, "", at, within=within)


def merge(child: Incident, parent: Incident, actor: str, at: datetime) -> Transition:
    transition = apply(child, Move.MERGE, actor, at, into=parent)
    assert transition is not None  # MERGE is never a no-op
    return transition


class Fate(StrEnum):
    """What a firing alert of a plan does to the incidents with its dedupe key."""

    JOINS = "joins"
    REOPENS = "reopens"
    DECLARES = "declares"


def fate(
    active: Incident | None, last_resolved: Incident | None, at: datetime, within: timedelta | None
) -> tuple[Fate, Incident | None]:
    """Triage's choice for a firing alert, given the incidents with its dedupe key:
    the active one (the oldest), else the one resolved last, if the lifecycle lets
    it re-fire, else a new incident. Triage and simulate both decide by this.
    """
    if active is not None:
        return Fate.JOINS, active
    if last_resolved is not None and within:
        try:
            if refire(last_resolved, at, within) is not None:
                return Fate.REOPENS, last_resolved
        except Refused:
            pass
    return Fate.DECLARES, None


def candidates(
    incidents: Sequence[Incident], dedupe_key: str
) -> tuple[Incident | None, Incident | None]:
    """(the oldest active, the last resolved) among incidents with this dedupe key,
    as the store's triage queries pick them."""
    same = [i for i in incidents if i.dedupe_key == dedupe_key]
    active = [i for i in same if state_of(i).is_active]
    resolved = [i for i in same if not state_of(i).is_active and i.resolved_at is not None]
    return (
        min(active, key=lambda i: i.id) if active else None,
        max(resolved, key=lambda i: (i.resolved_at, i.id)) if resolved else None,
    )
