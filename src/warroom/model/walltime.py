"""Wall-clock times of a zone turned into instants, by one explicit rule.

Schedules say "hand off at 09:00 in New York", and twice a year that wall time
exists once, not at all, or twice. Python's `fold` answers the last two in ways
nobody would choose (a nonexistent 02:30 becomes 03:30 or 01:30), and adding a
`timedelta` to a zoned datetime is wall-clock arithmetic that hides the hour
gained or lost. So every wall time goes through `instant`, with GoAlert's rule:

- a time that exists once is that instant;
- an ambiguous time (the repeated hour of a fall-back) is its first occurrence,
  unless the caller asks for the last (the end of a coverage window, so that a
  window that ends at 01:30 covers both 01:30s);
- a nonexistent time (the skipped hour of a spring-forward) is the first instant
  after the gap: 02:30 on 2026-03-08 in New York is 03:00 EDT, 07:00Z.

Shifts built on this keep their wall-clock hand-off for ever and never drift an
hour after a change of offset (Grafana OnCall's bug #3261).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SECOND = timedelta(seconds=1)


class UnknownZone(ValueError):
    """A time zone name that the bundled IANA database does not know."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """An IANA zone by name (from `tzdata`, bundled, so the host's files do not matter)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(
            f"unknown time zone {name!r} (an IANA name such as Europe/London)"
        ) from exc


@lru_cache(maxsize=8192)  # hand-offs and window edges repeat for every question asked
def instant(wall: datetime, tz: tzinfo, *, last: bool = False) -> datetime:
    """The UTC instant of the naive wall time `wall` in zone `tz` (rule above)."""
    if wall.tzinfo is not None:
        raise ValueError("a wall time is naive: the zone is given separately")
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first
    if _wall(first, tz) == wall:  # it exists twice: fold 0 is the earlier instant
        return max(first, second) if last else min(first, second)
    return _transition(min(first, second), max(first, second), tz)


def wall_of(moment: datetime, tz: tzinfo) -> datetime:
    """The naive wall time in `tz` of an aware instant."""
    return _wall(moment, tz)


def _wall(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None, fold=0)


def _transition(before: datetime, after: datetime, tz: tzinfo) -> datetime:
    """The instant in (before, after] at which `tz` changes its offset: the first
    instant after a gap. Found by halving, to the second (zones change on seconds)."""
    offset = before.astimezone(tz).utcoffset()
    low, high = 0, int((after - before).total_seconds())  # offset(low) old, (high) new
    while high - low > 1:
        middle = (low + high) // 2
        if (before + middle * _SECOND).astimezone(tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return before + high * _SECOND
