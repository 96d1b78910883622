"""Who is on call: 50 schedules asked at every hand-off of a year (prints figures).

    python tests/bench/bench_oncall.py [--schedules 50] [--days 365]

Each schedule is follow-the-sun: a weekly primary in one zone with weekday cover,
a daily secondary in another, and an override. Prints the time to answer
`on_call` once per hour of the year for every schedule, the time to list every
shift of the year, and to find the year's coverage gaps (what `warroom check` does).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from warroom.model.oncall import (
    Override,
    Rotation,
    Schedule,
    Unit,
    Window,
    gaps,
    on_call,
    rotation_shifts,
)
from warroom.model.walltime import zone

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC"]


def schedules(count: int) -> list[Schedule]:
    made = []
    weekdays = {d: (Window(clock(8), clock(20)),) for d in range(5)}
    for i in range(count):
        home, away = zone(ZONES[i % len(ZONES)]), zone(ZONES[(i + 2) % len(ZONES)])
        people = tuple(f"p{i}-{n}" for n in range(6))
        primary = Rotation("primary", people, datetime(2026, 1, 5, 9), Unit.WEEK)
        day = Rotation(
            "day", people[::-1], datetime(2026, 1, 1, 8), Unit.DAY, coverage=weekdays, tz=away
        )
        start = datetime(2026, 6, 1, tzinfo=UTC)
        cover = Override(start, start + timedelta(days=3), replace=people[0], with_="stand-in")
        made.append(Schedule(f"s{i}", home, (primary, day), (cover,)))
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    estate = schedules(args.schedules)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=args.days)
    hours = args.days * 24

    began = time.perf_counter()
    for schedule in estate:
        for hour in range(hours):
            on_call(schedule, start + timedelta(hours=hour))
    asked = time.perf_counter() - began
    questions = hours * len(estate)
    each = asked / questions * 1e6
    print(f"on_call: {questions} questions in {asked:.2f} s ({each:.1f} µs each)")

    began = time.perf_counter()
    shifts = sum(
        len(list(rotation_shifts(rotation, rotation.tz or s.tz, start, end)))
        for s in estate
        for rotation in s.rotations
    )
    print(f"shifts: {shifts} over {args.days} days in {time.perf_counter() - began:.2f} s")

    began = time.perf_counter()
    found = sum(len(gaps(s, start, end)) for s in estate)
    print(f"gaps: {found} found in {time.perf_counter() - began:.2f} s")


if __name__ == "__main__":
    main()
