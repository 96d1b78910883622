"""Escalation as a pure state machine, driven by explicit instants (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.model.escalation import (
    EmptyStage,
    Engagement,
    EscalationPlan,
    Page,
    Said,
    Stage,
    StaleEscalation,
    Status,
    Step,
    Target,
    TargetKind,
    acknowledge,
    advance,
    escalate,
    resolve,
    start,
)

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
PRIMARY = Target(TargetKind.SCHEDULE, "primary", essential=True)
ROOM = Target(TargetKind.CONTACT, "ops-room")
SECONDARY = Target(TargetKind.SCHEDULE, "secondary", essential=True)
MANAGER = Target(TargetKind.CONTACT, "eng-manager", essential=True)


def plan(
    repeat: int = 0,
    empty_stage: EmptyStage = EmptyStage.WAIT,
    ack_timeout: timedelta | None = None,
) -> EscalationPlan:
    stages = (
        Stage(timedelta(minutes=5), (PRIMARY, ROOM)),
        Stage(timedelta(minutes=10), (SECONDARY,)),
        Stage(timedelta(0), (MANAGER,)),
    )
    return EscalationPlan("payments-critical", stages, repeat, empty_stage, ack_timeout)


def everyone(target: Target, at: datetime) -> tuple[str, ...]:
    return (target.name,)


def nobody_on(*empty: str):
    def reach(target: Target, at: datetime) -> tuple[str, ...]:
        return () if target.name in empty else (target.name,)

    return reach


def pages(steps: list[Step]) -> list[tuple[int, int, str]]:
    return [(s.stage, s.loop, s.target.name) for s in steps if isinstance(s, Page)]


def said(steps: list[Step]) -> list[str]:
    return [s.text for s in steps if isinstance(s, Said)]


def test_stage_one_pages_at_once_and_stage_two_after_its_duration() -> None:
    p = plan()
    state, steps = start(p, T0, everyone)
    assert pages(steps) == [(0, 0, "primary"), (0, 0, "ops-room")]
    assert state.next_at == T0 + timedelta(minutes=5)
    same, nothing = advance(p, state, T0 + timedelta(minutes=4, seconds=59), everyone)
    assert same == state and nothing == []
    state, steps = advance(p, state, T0 + timedelta(minutes=5), everyone)
    assert pages(steps) == [(1, 0, "secondary")]
    assert state.next_at == T0 + timedelta(minutes=15)


def test_a_zero_length_stage_runs_straight_into_the_next_due_check() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    state, _ = advance(p, state, T0 + timedelta(minutes=5), everyone)
    state, steps = advance(p, state, T0 + timedelta(minutes=15), everyone)
    assert pages(steps) == [(2, 0, "eng-manager")]
    # the 0-minute last stage is followed at once by the end of the plan
    assert state.status is Status.EXHAUSTED and state.next_at is None
    assert said(steps) == ["every stage paged, nobody acknowledged"]


def test_a_late_tick_pages_every_overdue_stage_at_its_own_time_not_shifted() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    state, steps = advance(p, state, T0 + timedelta(minutes=7), everyone)
    assert pages(steps) == [(1, 0, "secondary")]
    assert state.next_at == T0 + timedelta(minutes=15)  # from when stage 2 was due


def test_repeat_goes_round_again_then_exhausts() -> None:
    p = plan(repeat=1)
    state, _ = start(p, T0, everyone)
    state, steps = advance(p, state, T0 + timedelta(minutes=15), everyone)
    assert pages(steps) == [
        (1, 0, "secondary"),
        (2, 0, "eng-manager"),
        (0, 1, "primary"),
        (0, 1, "ops-room"),
    ]
    state, steps = advance(p, state, T0 + timedelta(hours=1), everyone)
    assert pages(steps) == [(1, 1, "secondary"), (2, 1, "eng-manager")]
    assert state.status is Status.EXHAUSTED


def test_an_acknowledgement_stops_it_and_nothing_more_is_paged() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    state = acknowledge(p, state, T0 + timedelta(minutes=1))
    assert state.status is Status.ACKNOWLEDGED and state.next_at is None
    after, steps = advance(p, state, T0 + timedelta(hours=5), everyone)
    assert steps == [] and after == state


def test_only_an_essential_target_stops_it() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    assert acknowledge(p, state, T0, by=ROOM) == state
    assert acknowledge(p, state, T0, by=PRIMARY).status is Status.ACKNOWLEDGED


def test_ack_timeout_re_engages_from_the_first_stage() -> None:
    p = plan(ack_timeout=timedelta(minutes=60))
    state, _ = start(p, T0, everyone)
    state = acknowledge(p, state, T0 + timedelta(minutes=2))
    state, steps = advance(p, state, T0 + timedelta(minutes=61), everyone)
    assert steps == []
    state, steps = advance(p, state, T0 + timedelta(minutes=62), everyone)
    assert said(steps) == ["acknowledged but not resolved in time: re-engaged"]
    assert pages(steps) == [(0, 1, "primary"), (0, 1, "ops-room")]
    assert state.status is Status.ACTIVE


def test_resolve_stops_for_good() -> None:
    p = plan(ack_timeout=timedelta(minutes=1))
    state, _ = start(p, T0, everyone)
    state = resolve(acknowledge(p, state, T0))
    assert advance(p, state, T0 + timedelta(days=1), everyone)[1] == []


@pytest.mark.parametrize("rule", [EmptyStage.WAIT, EmptyStage.SKIP])
def test_an_empty_stage_is_said_and_waits_or_skips(rule: EmptyStage) -> None:
    p = plan(empty_stage=rule)
    state, steps = start(p, T0, nobody_on("primary", "ops-room"))
    assert pages(steps) == ([(1, 0, "secondary")] if rule is EmptyStage.SKIP else [])
    assert said(steps)[0].startswith("nobody to page (schedule:primary, contact:ops-room)")
    # skip: stage 2 paged at once and waits its 10 minutes; wait: stage 1's 5 minutes
    expected = timedelta(minutes=10 if rule is EmptyStage.SKIP else 5)
    assert state.next_at == T0 + expected


def test_escalate_now_pages_the_next_stage_once_across_two_consoles() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    seen = (state.stage, state.loop)
    now = T0 + timedelta(minutes=1)
    state, steps = escalate(p, state, seen, now, everyone)
    assert pages(steps) == [(1, 0, "secondary")]
    assert state.next_at == now + timedelta(minutes=10)
    with pytest.raises(StaleEscalation, match="already at stage 3"):
        escalate(p, state, seen, now, everyone)  # the other console saw the same stage


def test_escalate_to_a_chosen_stage_and_re_engage_after_an_ack() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    state = acknowledge(p, state, T0)
    state, steps = escalate(p, state, (state.stage, state.loop), T0, everyone, to_stage=2)
    assert pages(steps) == [(2, 0, "eng-manager")]
    with pytest.raises(ValueError, match=r"stages 1\.\.3"):
        escalate(p, state, (state.stage, state.loop), T0, everyone, to_stage=3)


def test_escalating_an_exhausted_plan_goes_round_once_more() -> None:
    p = plan()
    state, _ = start(p, T0, everyone)
    state, _ = advance(p, state, T0 + timedelta(hours=1), everyone)
    assert state.status is Status.EXHAUSTED
    state, steps = escalate(p, state, (state.stage, state.loop), T0 + timedelta(hours=2), everyone)
    assert pages(steps) == [(0, 1, "primary"), (0, 1, "ops-room")]


def test_states_are_plain_values_the_engine_can_store() -> None:
    state, _ = start(plan(), T0, everyone)
    assert state == Engagement(
        "payments-critical", Status.ACTIVE, 1, 0, T0 + timedelta(minutes=5), T0
    )


def test_escalating_back_to_a_stage_already_paged_is_a_new_round() -> None:
    """Its pages must be new rows: the same (stage, round) would be written once only,
    and the responder who asked for stage 1 again would page nobody."""
    p = plan()
    state, first = start(p, T0, everyone)
    state, steps = escalate(p, state, (state.stage, state.loop), T0, everyone, to_stage=0)
    assert pages(steps) == [(0, 1, "primary"), (0, 1, "ops-room")]
    assert pages(first) == [(0, 0, "primary"), (0, 0, "ops-room")]
