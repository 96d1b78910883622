"""Time in one place: aware UTC inside, the responder's zone only when shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def to_epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: warroom keeps every time zone-aware")
    return value.timestamp()


def parse_duration(text: str) -> timedelta:
    """Prometheus-style durations: `15s`, `1m30s`, `500ms`, `2h`. Raises ValueError."""
    text = text.strip()
    pos = 0
    seconds = 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 15s, 1m30s, 500ms, 2h)")
    return timedelta(seconds=seconds)


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 as sources send it (`Z` or offset, up to nanoseconds). Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # Python takes at most microseconds; Go's RFC 3339 gives nanoseconds.
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a zone: {text!r}")
    return parsed.astimezone(UTC)


def format_age(delta: timedelta) -> str:
    """Compact and coarse on purpose: fewer changing cells, fewer bytes over SSH."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 10:
        return "now"
    if seconds < 60:
        return f"{seconds // 10 * 10}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h{minutes % 60:02d}m"
    if hours < 100 * 24:
        return f"{hours // 24}d{hours % 24:02d}h"
    return ">99d"  # six cells at most: the AGE column never runs into the next


def format_duration(value: timedelta) -> str:
    """`1d2h`, `2h30m`, `45s`: a length of time as a responder writes it."""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if secs and not days and not hours:
        parts.append(f"{secs}s")
    return "".join(parts) or "0s"


def format_local(value: datetime | None, with_date: bool = False) -> str:
    """A time in the responder's zone (the process's local zone, so TZ= works)."""
    if value is None:
        return "-"
    local = value.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if with_date else "%H:%M:%S")
