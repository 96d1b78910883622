"""Checks shared by every source's normaliser.

A malformed item fails the whole poll rather than being skipped: dropping one
alert from a snapshot would resolve it, and garbage must never resolve anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from warroom.model.clock import parse_timestamp

# A label or annotation value longer than this is cut (with a note); 1 MiB values
# from a misbehaving exporter must not bloat every row and every screen.
MAX_VALUE_CHARS = 16 * 1024


class ShapeError(ValueError):
    """The response is JSON but not the shape the source type promises."""


class SharedText:
    """One copy of each label name and of each value that many alerts repeat.

    Each alert of an answer is decoded on its own, so each brings its own copy of
    "alertname", "severity", "critical", the rule's generatorURL...: 50,000 alerts
    held a third of their memory in such duplicates. Names are shared; so are the
    values of a name until it shows itself unique per alert (`instance`), and the
    whole table is bounded, so hostile input cannot grow it: past a bound a string
    is simply kept as it came. Content never changes, only which copy is kept.
    """

    MAX_NAMES = 512
    MAX_VALUES_PER_NAME = 256  # more distinct values than this: not worth sharing
    MAX_VALUES = 16_384
    MAX_CHARS = 256  # longer values rarely repeat
    MAX_TIMES = 4096

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, dict[str, str] | None] = {}
        self._count = 0
        self._times: dict[str, datetime] = {}

    def time(self, value: Any, what: str) -> datetime:
        """`timestamp(value, what)`, one datetime per distinct text: the alerts of
        one rule start together, and parsing is the dearest step of normalising."""
        if type(value) is str:
            cached = self._times.get(value)
            if cached is not None:
                return cached
        parsed = timestamp(value, what)
        if len(self._times) >= self.MAX_TIMES:
            self._times.clear()
        self._times[value] = parsed
        return parsed

    def map(self, value: dict[str, str]) -> dict[str, str]:
        """`value` (a plain string map) with shared copies of its strings."""
        return {self.name(k): self.value(k, v) for k, v in value.items()}

    def name(self, key: str) -> str:
        shared = self._names.get(key)
        if shared is not None:
            return shared
        if len(self._names) >= self.MAX_NAMES:
            return key
        self._names[key] = key
        self._values[key] = {}
        return key

    def value(self, name: str, text: str) -> str:
        pool = self._values.get(name)
        if pool is None:
            if name in self._values or len(self._values) >= self.MAX_NAMES:
                return text  # given up on, or too many names
            pool = self._values[name] = {}
        shared = pool.get(text)
        if shared is not None:
            return shared
        if len(text) > self.MAX_CHARS or self._count >= self.MAX_VALUES:
            return text
        if len(pool) >= self.MAX_VALUES_PER_NAME:  # unique per alert: stop trying
            self._values[name] = None
            self._count -= len(pool)
            return text
        pool[text] = text
        self._count += 1
        return text


def string_map(value: Any, what: str, shared: SharedText | None = None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShapeError(f"{what} must be an object, got {type(value).__name__}")
    # the common case, checked in one pass: every value a string of sane size
    if all(type(v) is str and len(v) <= MAX_VALUE_CHARS for v in value.values()):
        return dict(value) if shared is None else shared.map(value)
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)) or item is None:
            raise ShapeError(f"{what}.{key} must be a string, got {type(item).__name__}")
        text = item if isinstance(item, str) else str(item)
        if len(text) > MAX_VALUE_CHARS:
            text = text[:MAX_VALUE_CHARS] + f"… [cut: {len(text)} characters]"
        result[str(key)] = text
    return result


def item_labels(
    item: Any, where: str = "", shared: SharedText | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """An alert item as an object, and its labels: the part every API shares.

    Messages name no position: the caller adds "alert N: " when it raises.
    """
    if not isinstance(item, dict):
        raise ShapeError(f"expected an object, got {type(item).__name__}")
    if "labels" not in item:
        raise ShapeError("no labels")
    return item, string_map(item["labels"], "labels", shared)


def timestamp(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ShapeError(f"{what} must be an RFC 3339 string, got {type(value).__name__}")
    try:
        # fast path: Python 3.11 reads RFC 3339 with Z and nanoseconds itself
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC) if parsed.utcoffset() else parsed
    except ValueError:
        pass
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise ShapeError(f"{what}: {exc}") from exc


def optional_string(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ShapeError(f"{what} must be a string, got {type(value).__name__}")
    return value
