"""The incident lifecycle as a table: every (state, move) pair, what it leads to and writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.model import Impact, Incident, IncidentStatus
from warroom.model import lifecycle as lc
from warroom.model.lifecycle import Fate, Move, Refused, State
from warroom.model.value import replace

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
WITHIN = timedelta(hours=1)


def incident_in(state: State, incident_id: int = 7) -> Incident:
    """An incident that got to `state` the usual way: acknowledged by alice before it resolved."""
    base = Incident(incident_id, "Disk", Impact.HIGH, IncidentStatus.OPEN, T0, "warroom")
    if state is State.OPEN:
        return base
    acked = replace(
        base,
        status=IncidentStatus.ACKNOWLEDGED,
        acknowledged_at=T0 + timedelta(minutes=5),
        acknowledged_by="alice",
    )
    if state is State.ACKNOWLEDGED:
        return acked
    resolved = replace(
        acked,
        status=IncidentStatus.RESOLVED,
        resolved_at=NOW - timedelta(minutes=10),  # within WITHIN
        resolved_by="alice",
    )
    return resolved if state is State.RESOLVED else replace(resolved, parent_id=3)


PARENT = Incident(3, "Storage", Impact.HIGH, IncidentStatus.OPEN, T0, "warroom")

REOPENED: dict[str, object] = {
    "status": IncidentStatus.OPEN,
    "acknowledged_at": None,
    "acknowledged_by": None,
    "resolved_at": None,
    "resolved_by": None,
}
MERGED: dict[str, object] = {
    "parent_id": 3,
    "status": IncidentStatus.RESOLVED,
    "resolved_at": NOW,
    "resolved_by": "bob",
}

# (state, move) -> the state it leads to and what it writes, None for "already there",
# or the refusal's words. Written out by hand: this is the specification.
TABLE: dict[tuple[State, Move], tuple[State, dict[str, object]] | str | None] = {
    (State.OPEN, Move.ACKNOWLEDGE): (
        State.ACKNOWLEDGED,
        {"status": IncidentStatus.ACKNOWLEDGED, "acknowledged_at": NOW, "acknowledged_by": "bob"},
    ),
    (State.OPEN, Move.RESOLVE): (
        State.RESOLVED,
        {"status": IncidentStatus.RESOLVED, "resolved_at": NOW, "resolved_by": "bob"},
    ),
    (State.OPEN, Move.REOPEN): None,
    (State.OPEN, Move.REFIRE): None,
    (State.OPEN, Move.MERGE): (State.MERGED, MERGED),
    (State.OPEN, Move.ABSORB): (State.OPEN, {}),
    (State.ACKNOWLEDGED, Move.ACKNOWLEDGE): None,
    (State.ACKNOWLEDGED, Move.RESOLVE): (
        State.RESOLVED,
        {"status": IncidentStatus.RESOLVED, "resolved_at": NOW, "resolved_by": "bob"},
    ),
    (State.ACKNOWLEDGED, Move.REOPEN): None,
    (State.ACKNOWLEDGED, Move.REFIRE): None,
    (State.ACKNOWLEDGED, Move.MERGE): (State.MERGED, MERGED),
    (State.ACKNOWLEDGED, Move.ABSORB): (State.ACKNOWLEDGED, {}),
    (State.RESOLVED, Move.ACKNOWLEDGE): "incident #7 is resolved; reopen it first",
    (State.RESOLVED, Move.RESOLVE): None,
    (State.RESOLVED, Move.REOPEN): (State.OPEN, REOPENED),
    (State.RESOLVED, Move.REFIRE): (State.OPEN, REOPENED),
    (State.RESOLVED, Move.MERGE): (State.MERGED, MERGED),
    (State.RESOLVED, Move.ABSORB): "#7 is resolved; reopen it before merging into it",
    (State.MERGED, Move.ACKNOWLEDGE): "incident #7 was merged into #3; work there",
    (State.MERGED, Move.RESOLVE): None,
    (State.MERGED, Move.REOPEN): "incident #7 was merged into #3; work there",
    (State.MERGED, Move.REFIRE): "incident #7 was merged into #3; work there",
    (State.MERGED, Move.MERGE): "incident #7 is already merged into #3",
    (State.MERGED, Move.ABSORB): "#7 was merged into #3; merge there",
}


def test_the_table_covers_every_pair() -> None:
    assert set(TABLE) == {(s, m) for s in State for m in Move}


@pytest.mark.parametrize(("state", "move"), list(TABLE), ids=lambda v: str(v))
def test_every_state_and_move(state: State, move: Move) -> None:
    incident = incident_in(state)
    assert lc.state_of(incident) is state
    expected = TABLE[(state, move)]

    def run() -> lc.Transition | None:
        return lc.apply(incident, move, "bob", NOW, into=PARENT, within=WITHIN)

    if isinstance(expected, str):
        with pytest.raises(Refused) as refused:
            run()
        assert str(refused.value) == expected
        assert (refused.value.incident_id, refused.value.state, refused.value.move) == (
            7,
            state,
            move,
        )
        return
    transition = run()
    if expected is None:
        assert transition is None
        return
    after, changes = expected
    assert transition is not None
    assert (transition.before, transition.after, transition.move) == (state, after, move)
    assert dict(transition.changes) == changes
    # the changes really lead to the state they claim
    assert lc.state_of(replace(incident, **transition.changes)) is after
    # who owned it before is kept for the timeline, whatever the move clears
    assert transition.acknowledged_by == incident.acknowledged_by


def test_refire_only_within_the_window() -> None:
    resolved = incident_in(State.RESOLVED)  # resolved 10 minutes before NOW
    assert lc.refire(resolved, NOW, timedelta(minutes=10)) is not None  # the edge is in
    with pytest.raises(Refused, match="resolved 10m ago, longer than reopen_within 9m"):
        lc.refire(resolved, NOW, timedelta(minutes=9))
    with pytest.raises(Refused, match="never reopens"):
        lc.refire(resolved, NOW, None)
    with pytest.raises(Refused, match="never reopens"):
        lc.refire(resolved, NOW, timedelta(0))


def test_merge_into_itself_or_a_closed_parent_is_refused() -> None:
    child = incident_in(State.OPEN)
    with pytest.raises(Refused, match="cannot be merged into itself"):
        lc.merge(child, child, "bob", NOW)
    with pytest.raises(Refused, match="#3 is resolved; reopen it before merging into it"):
        lc.merge(child, replace(PARENT, status=IncidentStatus.RESOLVED, resolved_at=T0), "b", NOW)
    merged_parent = replace(PARENT, status=IncidentStatus.RESOLVED, resolved_at=T0, parent_id=1)
    with pytest.raises(Refused, match="#3 was merged into #1; merge there"):
        lc.merge(child, merged_parent, "bob", NOW)


@pytest.mark.parametrize(
    ("active", "last", "within", "fate"),
    [
        (State.OPEN, None, WITHIN, Fate.JOINS),
        (State.ACKNOWLEDGED, State.RESOLVED, WITHIN, Fate.JOINS),
        (None, State.RESOLVED, WITHIN, Fate.REOPENS),
        (None, State.RESOLVED, timedelta(minutes=5), Fate.DECLARES),  # resolved 10m ago
        (None, State.RESOLVED, None, Fate.DECLARES),  # the plan never reopens
        (None, State.MERGED, WITHIN, Fate.DECLARES),  # its alerts live in the parent
        (None, None, WITHIN, Fate.DECLARES),
    ],
)
def test_fate_of_a_firing_alert(
    active: State | None, last: State | None, within: timedelta | None, fate: Fate
) -> None:
    got, incident = lc.fate(
        incident_in(active, 1) if active else None,
        incident_in(last, 2) if last else None,
        NOW,
        within,
    )
    assert got is fate
    assert (incident.id if incident else None) == {
        Fate.JOINS: 1,
        Fate.REOPENS: 2,
        Fate.DECLARES: None,
    }[fate]


def test_candidates_are_the_oldest_active_and_the_last_resolved() -> None:
    def keyed(state: State, incident_id: int, resolved_ago: int = 0, key: str = "k") -> Incident:
        incident = replace(incident_in(state, incident_id), dedupe_key=key)
        if incident.resolved_at is not None:
            incident = replace(incident, resolved_at=NOW - timedelta(minutes=resolved_ago))
        return incident

    incidents = [
        keyed(State.ACKNOWLEDGED, 9),
        keyed(State.OPEN, 4),
        keyed(State.OPEN, 2, key="other"),
        keyed(State.RESOLVED, 5, resolved_ago=30),
        keyed(State.RESOLVED, 6, resolved_ago=20),
        keyed(State.RESOLVED, 1, resolved_ago=1, key="other"),
    ]
    active, last = lc.candidates(incidents, "k")
    assert (active and active.id, last and last.id) == (4, 6)
    assert lc.candidates(incidents, "nothing") == (None, None)
