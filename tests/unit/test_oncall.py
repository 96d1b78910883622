"""Who is on call, across every kind of change of offset (the research note's matrix).

Expected instants are written out in UTC, computed by hand from the 2026 rules, so a
wrong rule cannot agree with itself.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest

from warroom.model.oncall import (
    Override,
    Rotation,
    Schedule,
    Unit,
    Window,
    gaps,
    handoff,
    on_call,
    overlaps,
    rotation_shifts,
    timeline,
    turn,
)
from warroom.model.walltime import UnknownZone, instant, zone

NY = zone("America/New_York")
LONDON = zone("Europe/London")
SANTIAGO = zone("America/Santiago")
LORD_HOWE = zone("Australia/Lord_Howe")
PEOPLE = ("alice", "bob", "carol")


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def rotation(anchor: datetime, unit: Unit = Unit.DAY, count: int = 1) -> Rotation:
    return Rotation("r", PEOPLE, anchor, unit, count)


def _turn_start(rot: Rotation, tz, at: datetime) -> tuple[datetime, datetime]:
    """The whole turn containing `at` (not clipped to a window)."""
    k = turn(rot, at, tz)
    return handoff(rot, k, tz), handoff(rot, k + 1, tz)


# -- wall times to instants --------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "wall", "last", "expected"),
    [
        (NY, datetime(2026, 3, 8, 2, 30), False, z(2026, 3, 8, 7, 0)),  # gap: 03:00 EDT
        (NY, datetime(2026, 11, 1, 1, 30), False, z(2026, 11, 1, 5, 30)),  # first 01:30
        (NY, datetime(2026, 11, 1, 1, 30), True, z(2026, 11, 1, 6, 30)),  # last 01:30
        (LONDON, datetime(2026, 3, 29, 1, 30), False, z(2026, 3, 29, 1, 0)),  # 02:00 BST
        (LONDON, datetime(2026, 10, 25, 1, 30), False, z(2026, 10, 25, 0, 30)),  # 01:30 BST
        (SANTIAGO, datetime(2026, 9, 6, 0, 0), False, z(2026, 9, 6, 4, 0)),  # 01:00 -03
        (SANTIAGO, datetime(2026, 4, 4, 23, 30), False, z(2026, 4, 5, 2, 30)),  # first
        (LORD_HOWE, datetime(2026, 10, 4, 2, 15), False, z(2026, 10, 3, 15, 30)),  # 02:30 +11
        (NY, datetime(2026, 7, 1, 9, 0), False, z(2026, 7, 1, 13, 0)),  # plain EDT
    ],
)
def test_a_wall_time_is_one_instant_by_goalerts_rule(tz, wall, last, expected) -> None:
    assert instant(wall, tz, last=last) == expected


def test_an_unknown_zone_says_what_a_zone_name_looks_like() -> None:
    with pytest.raises(UnknownZone, match="IANA name"):
        zone("Mars/Olympus_Mons")


# -- hand-offs across changes of offset ------------------------------------------------


def test_new_york_0230_daily_hand_off_on_the_spring_day_is_at_0700z() -> None:
    rot = rotation(datetime(2026, 3, 1, 2, 30))
    assert _turn_start(rot, NY, z(2026, 3, 8, 8, 0))[0] == z(2026, 3, 8, 7, 0)
    before = _turn_start(rot, NY, z(2026, 3, 8, 6, 0))
    assert before == (z(2026, 3, 7, 7, 30), z(2026, 3, 8, 7, 0))
    assert before[1] - before[0] == timedelta(hours=23, minutes=30)


def test_new_york_0130_hand_off_on_the_fall_day_is_the_first_0130_and_lasts_25_hours() -> None:
    rot = rotation(datetime(2026, 10, 20, 1, 30))
    start, end = _turn_start(rot, NY, z(2026, 11, 1, 6, 0))
    assert start == z(2026, 11, 1, 5, 30)
    assert end - start == timedelta(hours=25)


@pytest.mark.parametrize(
    ("unit", "anchor", "at", "hours"),
    [
        # the turn that holds the change: daily from the 09:00 before it
        (Unit.DAY, datetime(2026, 1, 5, 9), z(2026, 3, 8, 6), 23),
        (Unit.DAY, datetime(2026, 1, 5, 9), z(2026, 11, 1, 6), 25),
        # weekly, handing off on Sundays at 09:00, the change at 02:00 that Sunday
        (Unit.WEEK, datetime(2026, 1, 4, 9), z(2026, 3, 8, 7), 167),
        (Unit.WEEK, datetime(2026, 1, 4, 9), z(2026, 11, 1, 7), 169),
    ],
)
def test_a_0900_hand_off_keeps_its_wall_time_so_the_shift_stretches(
    unit, anchor, at, hours
) -> None:
    start, end = _turn_start(rotation(anchor, unit), NY, at)
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(NY).time() == time(9) == end.astimezone(NY).time()


def test_two_hourly_hands_off_on_even_wall_hours_through_both_changes() -> None:
    rot = rotation(datetime(2026, 3, 1, 0, 0), Unit.HOUR, 2)
    spring = list(rotation_shifts(rot, NY, z(2026, 3, 8, 5), z(2026, 3, 8, 12)))
    walls = [s.start.astimezone(NY).strftime("%H:%M") for s in spring]
    assert walls == ["00:00", "03:00", "04:00", "06:00"]
    assert spring[0].end - spring[0].start == timedelta(hours=2)  # 00:00 EST -> 03:00 EDT
    fall = list(rotation_shifts(rot, NY, z(2026, 11, 1, 4), z(2026, 11, 1, 11)))
    walls = [s.start.astimezone(NY).strftime("%H:%M") for s in fall]
    assert walls == ["00:00", "02:00", "04:00"]
    assert fall[0].end - fall[0].start == timedelta(hours=3)  # the repeated hour


def test_lord_howe_half_hour_gap_hand_off() -> None:
    rot = rotation(datetime(2026, 9, 1, 2, 15))
    assert _turn_start(rot, LORD_HOWE, z(2026, 10, 3, 20))[0] == z(2026, 10, 3, 15, 30)


def test_santiago_midnight_gap_hand_off() -> None:
    rot = rotation(datetime(2026, 8, 1, 0, 0))
    assert _turn_start(rot, SANTIAGO, z(2026, 9, 6, 12))[0] == z(2026, 9, 6, 4, 0)


def test_monthly_rotation_hands_off_on_the_same_day_and_refuses_day_29() -> None:
    rot = rotation(datetime(2026, 1, 28, 9), Unit.MONTH)
    assert handoff(rot, 1, NY) == z(2026, 2, 28, 14)
    assert handoff(rot, 13, NY) == z(2027, 2, 28, 14)
    assert handoff(rot, -1, NY) == z(2025, 12, 28, 14)
    with pytest.raises(ValueError, match="day 29"):
        rotation(datetime(2026, 1, 29, 9), Unit.MONTH)


# -- who is on call ------------------------------------------------------------------


def test_turn_order_and_on_call_count() -> None:
    rot = Rotation("r", ("a", "b", "c", "d"), datetime(2026, 1, 5, 9), Unit.WEEK, on_call=2)
    schedule = Schedule("s", NY, (rot,))
    weeks = [on_call(schedule, z(2026, 1, 5, 15) + timedelta(weeks=k)) for k in range(3)]
    assert weeks == [("a", "b"), ("c", "d"), ("a", "b")]
    assert on_call(schedule, z(2026, 1, 5, 13)) == ()  # before the first hand-off


def test_edits_start_at_effective_from_and_never_rewrite_the_past() -> None:
    old = Rotation("v1", ("a", "b"), datetime(2026, 1, 5, 9), until=z(2026, 2, 2, 14))
    new = Rotation("v2", ("c", "d"), datetime(2026, 1, 5, 9), effective_from=z(2026, 2, 2, 14))
    schedule = Schedule("s", NY, (old, new))
    assert on_call(schedule, z(2026, 2, 2, 13)) == ("b",)  # 2026-02-01 09:00 EST turn 27
    # v2 counts its own turns from its anchor: turn 28 is c's; v1's past stays b's
    assert on_call(schedule, z(2026, 2, 2, 15)) == ("c",)
    assert gaps(schedule, z(2026, 1, 6), z(2026, 3, 1)) == []


def test_coverage_windows_are_wall_clock_and_a_night_window_belongs_to_its_start_day() -> None:
    weekdays = {d: (Window(time(9), time(17)),) for d in range(5)}
    days = Rotation("days", ("dee",), datetime(2026, 1, 5, 9), Unit.WEEK, coverage=weekdays)
    nights = Rotation(
        "nights",
        ("nia",),
        datetime(2026, 1, 5, 9),
        Unit.WEEK,
        coverage={4: (Window(time(22), time(6)),)},  # Friday 22:00 to Saturday 06:00
    )
    schedule = Schedule("s", NY, (days, nights))
    assert on_call(schedule, z(2026, 3, 9, 13, 30)) == ("dee",)  # Mon 09:30 EDT
    assert on_call(schedule, z(2026, 3, 6, 13, 30)) == ()  # Fri 08:30 EST
    assert on_call(schedule, z(2026, 3, 7, 10)) == ("nia",)  # Sat 05:00 EST
    assert on_call(schedule, z(2026, 3, 7, 12)) == ()  # Sat 07:00 EST


def test_follow_the_sun_seam_is_exact_except_when_one_zone_has_changed_and_not_the_other() -> None:
    every_day = {d: (Window(time(8), time(16)),) for d in range(7)}
    late = {d: (Window(time(11), time(19)),) for d in range(7)}
    london = Rotation("london", ("lee",), datetime(2026, 1, 5, 8), coverage=every_day, tz=LONDON)
    newyork = Rotation("newyork", ("nat",), datetime(2026, 1, 5, 8), coverage=late, tz=NY)
    schedule = Schedule("sun", UTC, (london, newyork))
    # winter: London 08-16Z then New York 16-24Z, no overlap
    assert overlaps(schedule, z(2026, 2, 1), z(2026, 2, 8)) == []
    # New York is on EDT from 03-08, London on BST only from 03-29: 15-16Z overlaps
    spring = overlaps(schedule, z(2026, 3, 1), z(2026, 4, 5))
    assert next((a, b) for a, b, _ in spring) == (z(2026, 3, 8, 15), z(2026, 3, 8, 16))
    assert [(a, b) for a, b, _ in spring][-1] == (z(2026, 3, 28, 15), z(2026, 3, 28, 16))
    assert len(spring) == 21 and all(who == ("london", "newyork") for _, _, who in spring)
    autumn = overlaps(schedule, z(2026, 10, 18), z(2026, 11, 8))
    assert len(autumn) == 7  # 10-25 .. 10-31: London on GMT, New York still on EDT
    assert on_call(schedule, z(2026, 3, 10, 15, 30)) == ("lee", "nat")
    assert on_call(schedule, z(2026, 4, 10, 15, 30)) == ("nat",)  # seam exact again


def test_overrides_follow_goalerts_semantics() -> None:
    rot = Rotation("r", ("alice", "bob"), datetime(2026, 1, 5, 9), Unit.WEEK)
    span = (z(2026, 1, 6), z(2026, 1, 7))
    at = z(2026, 1, 6, 12)
    assert on_call(Schedule("s", NY, (rot,)), at) == ("alice",)

    def with_overrides(*overrides: Override) -> tuple[str, ...]:
        return on_call(Schedule("s", NY, (rot,), overrides), at)

    assert with_overrides(Override(*span, replace="bob", with_="dave")) == ("alice",)  # no-op
    assert with_overrides(Override(*span, replace="alice", with_="dave")) == ("dave",)
    assert with_overrides(Override(*span, replace="alice")) == ()
    assert with_overrides(Override(*span, with_="erin")) == ("alice", "erin")
    assert with_overrides(Override(*span, replace="alice"), Override(*span, with_="erin")) == (
        "erin",
    )
    assert with_overrides(Override(z(2026, 1, 7), z(2026, 1, 8), replace="alice")) == ("alice",)


def test_gaps_name_the_hours_nobody_covers() -> None:
    weekdays = {d: (Window(time(9), time(17)),) for d in range(5)}
    rot = Rotation("days", ("dee",), datetime(2026, 1, 5, 9), Unit.WEEK, coverage=weekdays)
    found = gaps(Schedule("s", NY, (rot,)), z(2026, 1, 12, 14), z(2026, 1, 13, 23))
    assert found == [
        (z(2026, 1, 12, 22), z(2026, 1, 13, 14)),
        (z(2026, 1, 13, 22), z(2026, 1, 13, 23)),
    ]


# -- brute force: shifts tile time, and on_call agrees with them -------------------------

TRANSITIONS = [
    (NY, z(2026, 3, 8, 7)),
    (NY, z(2026, 11, 1, 6)),
    (LONDON, z(2026, 3, 29, 1)),
    (LONDON, z(2026, 10, 25, 1)),
    (SANTIAGO, z(2026, 9, 6, 4)),
    (SANTIAGO, z(2026, 4, 5, 3)),
    (LORD_HOWE, z(2026, 10, 3, 15, 30)),
    (LORD_HOWE, z(2026, 4, 4, 15)),
]
ROTATIONS = [
    (Unit.HOUR, 1, time(0, 0)),
    (Unit.HOUR, 2, time(0, 30)),
    (Unit.DAY, 1, time(2, 15)),
    (Unit.DAY, 1, time(1, 30)),
    (Unit.DAY, 2, time(0, 0)),
    (Unit.WEEK, 1, time(2, 30)),
]


@pytest.mark.parametrize(("tz", "change"), TRANSITIONS, ids=lambda v: str(v))
def test_brute_force_shifts_tile_time_around_each_change(tz, change) -> None:
    for unit, count, at in ROTATIONS:
        rot = Rotation("r", PEOPLE, datetime.combine(datetime(2026, 1, 1), at), unit, count)
        start, end = change - timedelta(days=4), change + timedelta(days=4)
        shifts = list(rotation_shifts(rot, tz, start, end))
        assert shifts[0].start == start and shifts[-1].end == end
        for before, after in itertools.pairwise(shifts):
            assert before.end == after.start, (unit, count, at, before, after)
            assert before.end > before.start
        schedule = Schedule("s", tz, (rot,))
        moment, index = start, 0
        while moment < end:
            while shifts[index].end <= moment:
                index += 1
            assert on_call(schedule, moment) == shifts[index].members, (unit, count, at, moment)
            moment += timedelta(seconds=120 if unit is Unit.HOUR else 600)


def test_timeline_merges_neighbours_and_covers_the_whole_span() -> None:
    rot = Rotation("r", ("a", "a", "b"), datetime(2026, 1, 5, 9), Unit.DAY)
    spans = timeline(Schedule("s", NY, (rot,)), z(2026, 1, 6), z(2026, 1, 10))
    assert spans[0][0] == z(2026, 1, 6) and spans[-1][1] == z(2026, 1, 10)
    assert all(a[1] == b[0] and a[2] != b[2] for a, b in itertools.pairwise(spans))
