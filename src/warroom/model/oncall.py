"""Who is on call: a pure function of a schedule and an instant.

A rotation hands off at a wall-clock time in the schedule's zone: hand-off k is
the anchor plus k x count units in *naive* local arithmetic, turned into an
instant by `walltime.instant` (GoAlert's rule). So a daily 09:00 hand-off stays
at 09:00 across a change of offset (that day's shift is 23 or 25 hours long), a
2-hourly one stays on even hours, and the shift at T is found in constant time
from T's wall time, never by walking the history.

A schedule is the union of its rotations (follow-the-sun is several), each
limited to its coverage windows, then its overrides in order (GoAlert's
semantics): `replace` swaps one person for another only while the replaced one
is on call, `remove` takes someone off, `add` puts someone on. Edits never
rewrite past shifts: a rotation applies only from its `effective_from`, so a
changed rotation is a new entry that starts at a future instant while the old
one keeps its `until`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from itertools import pairwise

from warroom.model.value import Value
from warroom.model.walltime import instant, wall_of


class Unit(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_NOMINAL = {
    Unit.HOUR: timedelta(hours=1),
    Unit.DAY: timedelta(days=1),
    Unit.WEEK: timedelta(weeks=1),
}
# A month rotation's anchor day must exist in every month.
MAX_MONTH_DAY = 28


class Window(Value, frozen=True):
    """A wall-clock span on one weekday; `end <= start` runs past midnight into the
    next day (it belongs to the day it starts, as Incident Manager counts it)."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


class Rotation(Value, frozen=True):
    name: str
    members: tuple[str, ...]
    anchor: datetime  # naive wall time of hand-off 0, in the schedule's zone
    unit: Unit = Unit.WEEK
    count: int = 1
    on_call: int = 1
    # weekday (Monday 0) -> windows; None covers every hour of every day
    coverage: Mapping[int, tuple[Window, ...]] | None = None
    effective_from: datetime | None = None  # aware; None: from the anchor
    until: datetime | None = None  # aware; None: for ever
    tz: tzinfo | None = None  # its own zone (follow-the-sun); None: the schedule's

    def __post_init__(self) -> None:
        if self.anchor.tzinfo is not None:
            raise ValueError("a rotation's anchor is a wall time, without a zone")
        if not self.members:
            raise ValueError(f"rotation {self.name!r} has no members")
        if self.count < 1 or self.on_call < 1:
            raise ValueError(f"rotation {self.name!r}: count and on_call start at 1")
        if self.unit is Unit.MONTH and self.anchor.day > MAX_MONTH_DAY:
            raise ValueError(
                f"rotation {self.name!r}: a monthly hand-off on day {self.anchor.day}"
                f" does not exist every month (use 1..{MAX_MONTH_DAY})"
            )


class Override(Value, frozen=True):
    """Between `start` and `end` (aware): `replace` and `with_` both set swaps them
    while `replace` is on call; only `replace` removes; only `with_` adds."""

    start: datetime
    end: datetime
    replace: str | None = None
    with_: str | None = None
    author: str = ""
    reason: str = ""


class Schedule(Value, frozen=True):
    name: str
    tz: tzinfo
    rotations: tuple[Rotation, ...]
    overrides: tuple[Override, ...] = ()


class Shift(Value, frozen=True):
    """One person's (or one set's) turn: [start, end) in UTC."""

    rotation: str
    start: datetime
    end: datetime
    members: tuple[str, ...]


def handoff(rotation: Rotation, k: int, tz: tzinfo) -> datetime:
    """The instant of hand-off k (0 is the anchor; negative ones are before it)."""
    return instant(_handoff_wall(rotation, k), tz)


def turn(rotation: Rotation, at: datetime, tz: tzinfo) -> int:
    """The k with handoff(k) <= at < handoff(k + 1)."""
    local = wall_of(at, tz)
    k = _estimate(rotation, local)
    while handoff(rotation, k, tz) > at:
        k -= 1
    while handoff(rotation, k + 1, tz) <= at:
        k += 1
    return k


def members_of_turn(rotation: Rotation, k: int) -> tuple[str, ...]:
    """Who is on for turn k: `on_call` people, in turn order, from position k x on_call."""
    size = len(rotation.members)
    count = min(rotation.on_call, size)
    return tuple(rotation.members[(k * rotation.on_call + i) % size] for i in range(count))


def covered(rotation: Rotation, at: datetime, tz: tzinfo) -> bool:
    """Whether `at` falls inside the rotation's coverage windows."""
    if rotation.coverage is None:
        return True
    today = wall_of(at, tz).date()
    for day in (today - timedelta(days=1), today):
        for start, end in _windows_on(rotation, day, tz):
            if start <= at < end:
                return True
    return False


def rotation_on_call(rotation: Rotation, at: datetime, tz: tzinfo) -> tuple[str, ...]:
    if not _in_force(rotation, at, tz) or not covered(rotation, at, tz):
        return ()
    return members_of_turn(rotation, turn(rotation, at, tz))


def on_call(schedule: Schedule, at: datetime) -> tuple[str, ...]:
    """Everyone on call at `at`, in rotation order, each once, overrides applied."""
    if at.tzinfo is None:
        raise ValueError("on_call takes an aware instant")
    people: list[str] = []
    for rotation in schedule.rotations:
        for person in rotation_on_call(rotation, at, zone_of(rotation, schedule)):
            if person not in people:
                people.append(person)
    for override in schedule.overrides:
        if override.start <= at < override.end:
            _apply(override, people)
    return tuple(people)


def rotation_shifts(
    rotation: Rotation, tz: tzinfo, start: datetime, end: datetime
) -> Iterator[Shift]:
    """The rotation's turns that overlap [start, end), clipped to when it is in force
    (not to coverage: a turn is a turn even when its windows are closed)."""
    begin = _begin(rotation, tz)
    start = max(start, begin)
    if rotation.until is not None:
        end = min(end, rotation.until)
    if start >= end:
        return
    k = turn(rotation, start, tz)
    while True:
        shift_start, shift_end = handoff(rotation, k, tz), handoff(rotation, k + 1, tz)
        if shift_start >= end:
            return
        if shift_end > shift_start:  # a hand-off swallowed by a gap leaves an empty turn
            yield Shift(
                rotation.name,
                max(shift_start, start),
                min(shift_end, end),
                members_of_turn(rotation, k),
            )
        k += 1


def changes(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in [start, end) at which who is on call may change, sorted:
    hand-offs, coverage edges, override edges, rotations coming into or out of force."""
    edges = {start}
    for rotation in schedule.rotations:
        tz = zone_of(rotation, schedule)
        for shift in rotation_shifts(rotation, tz, start, end):
            edges.update((shift.start, shift.end))
        if rotation.coverage is not None:
            day = wall_of(start, tz).date() - timedelta(days=1)
            while instant(datetime.combine(day, time()), tz) < end:
                for window_start, window_end in _windows_on(rotation, day, tz):
                    edges.update((window_start, window_end))
                day += timedelta(days=1)
    for override in schedule.overrides:
        edges.update((override.start, override.end))
    return sorted(edge for edge in edges if start <= edge < end)


def timeline(
    schedule: Schedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, tuple[str, ...]]]:
    """[start, end) cut where who is on call changes: (from, to, people) spans, the
    people of neighbouring spans always different. An empty tuple is a gap."""
    spans: list[tuple[datetime, datetime, tuple[str, ...]]] = []
    edges = [*changes(schedule, start, end), end]
    for span_start, span_end in pairwise(edges):
        people = on_call(schedule, span_start)
        if spans and spans[-1][2] == people:
            spans[-1] = (spans[-1][0], span_end, people)
        else:
            spans.append((span_start, span_end, people))
    return spans


def overlaps(
    schedule: Schedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, tuple[str, ...]]]:
    """Spans when more than one rotation is on call at once: intended for a team that
    pairs, a mistake at a follow-the-sun seam when the zones change offset on
    different dates. `warroom check` shows them; only the responder can tell which."""
    found: list[tuple[datetime, datetime, tuple[str, ...]]] = []
    edges = [*changes(schedule, start, end), end]
    for span_start, span_end in pairwise(edges):
        active = tuple(
            rotation.name
            for rotation in schedule.rotations
            if rotation_on_call(rotation, span_start, zone_of(rotation, schedule))
        )
        if len(active) < 2:
            continue
        if found and found[-1][1] == span_start and found[-1][2] == active:
            found[-1] = (found[-1][0], span_end, active)
        else:
            found.append((span_start, span_end, active))
    return found


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Spans of [start, end) when nobody is on call: what `warroom check` warns of."""
    return [(a, b) for a, b, people in timeline(schedule, start, end) if not people]


def zone_of(rotation: Rotation, schedule: Schedule) -> tzinfo:
    return rotation.tz or schedule.tz


def _apply(override: Override, people: list[str]) -> None:
    if override.replace is not None:
        if override.replace not in people:
            return  # GoAlert: replacing someone who is not on call does nothing
        position = people.index(override.replace)
        people.pop(position)
        if override.with_ is not None and override.with_ not in people:
            people.insert(position, override.with_)
    elif override.with_ is not None and override.with_ not in people:
        people.append(override.with_)


def _handoff_wall(rotation: Rotation, k: int) -> datetime:
    steps = k * rotation.count
    if rotation.unit is Unit.MONTH:
        month = rotation.anchor.month - 1 + steps
        year = rotation.anchor.year + month // 12
        return rotation.anchor.replace(year=year, month=month % 12 + 1)
    return rotation.anchor + steps * _NOMINAL[rotation.unit]


def _estimate(rotation: Rotation, local: datetime) -> int:
    """A turn within one or two of the answer, from wall-clock arithmetic alone."""
    if rotation.unit is Unit.MONTH:
        months = (local.year - rotation.anchor.year) * 12 + local.month - rotation.anchor.month
        return months // rotation.count
    length = _NOMINAL[rotation.unit] * rotation.count
    return (local - rotation.anchor) // length


def _begin(rotation: Rotation, tz: tzinfo) -> datetime:
    first = handoff(rotation, 0, tz)
    if rotation.effective_from is None:
        return first
    return max(first, rotation.effective_from)


def _in_force(rotation: Rotation, at: datetime, tz: tzinfo) -> bool:
    if at < _begin(rotation, tz):
        return False
    return rotation.until is None or at < rotation.until


def _windows_on(rotation: Rotation, day: date, tz: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """The coverage windows that start on `day`, as instants: a window starts at the
    first occurrence of its wall time and ends at the last, so a repeated hour is
    covered twice over rather than not at all."""
    assert rotation.coverage is not None
    for window in rotation.coverage.get(day.weekday(), ()):
        end_day = day + timedelta(days=1) if window.crosses_midnight else day
        yield (
            instant(datetime.combine(day, window.start), tz),
            instant(datetime.combine(end_day, window.end), tz, last=True),
        )


WEEKDAYS: Sequence[str] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
