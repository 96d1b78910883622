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


def string_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShapeError(f"{what} must be an object, got {type(value).__name__}")
    # the common case, checked in one pass: every value a string of sane size
    if all(type(v) is str and len(v) <= MAX_VALUE_CHARS for v in value.values()):
        return dict(value)
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)) or item is None:
            raise ShapeError(f"{what}.{key} must be a string, got {type(item).__name__}")
        text = item if isinstance(item, str) else str(item)
        if len(text) > MAX_VALUE_CHARS:
            text = text[:MAX_VALUE_CHARS] + f"… [cut: {len(text)} characters]"
        result[str(key)] = text
    return result


def item_labels(item: Any, where: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """An alert item as an object, and its labels: the part every API shares.

    Messages name no position: the caller adds "alert N: " when it raises.
    """
    if not isinstance(item, dict):
        raise ShapeError(f"expected an object, got {type(item).__name__}")
    if "labels" not in item:
        raise ShapeError("no labels")
    return item, string_map(item["labels"], "labels")


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
