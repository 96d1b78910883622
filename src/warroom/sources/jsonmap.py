"""The `http-json` mapping: where alerts are in someone else's JSON, and which field is what.

Kept free of httpx so that config validation can check a mapping (and point at
its line) without importing the HTTP stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.model.clock import parse_timestamp
from warroom.sources.normalise import ShapeError, string_map
from warroom.sources.options import OptionError

FIELDS = frozenset(
    {
        "fingerprint",
        "name",
        "severity",
        "state",
        "starts_at",
        "summary",
        "description",
        "url",
        "labels",
        "annotations",
    }
)
STATE_LISTS = {
    "firing_values": AlertState.FIRING,
    "pending_values": AlertState.PENDING,
    "suppressed_values": AlertState.SUPPRESSED,
    "resolved_values": AlertState.RESOLVED,
}


def check_options(options: Mapping[str, Any]) -> None:
    """Raise OptionError for a mapping that could never work; config adds file:line:col."""
    fields = options.get("fields") or {}
    if not isinstance(fields, dict):
        raise OptionError("'fields' must map alert fields to JSON paths", ("fields",))
    for key in fields:
        if key not in FIELDS:
            known = ", ".join(sorted(FIELDS))
            raise OptionError(f"unknown field {key!r} (known: {known})", ("fields", key))
    if "name" not in fields:
        raise OptionError("'fields' needs at least 'name'", ("fields",))
    for key in ("labels", "annotations"):
        extra = options.get(key) or {}
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise OptionError(f"'{key}' must map names to JSON paths", (key,))
    for key in STATE_LISTS:
        values = options.get(key)
        if values is not None and not isinstance(values, list):
            raise OptionError(f"'{key}' must be a list of values", (key,))


def lookup(data: Any, path: str) -> Any:
    """`a.b.0.c` into nested objects and lists; None where the path leads nowhere."""
    current = data
    for part in path.split(".") if path else []:
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            return None
    return current


def _time(value: Any, what: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value  # epoch milliseconds, too
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise ShapeError(f"{what}: {exc}") from exc
    raise ShapeError(f"{what}: expected a time, got {type(value).__name__}")


def map_alerts(source: str, payload: Any, options: Mapping[str, Any], now: datetime) -> list[Alert]:
    items = lookup(payload, str(options.get("items") or ""))
    if not isinstance(items, list):
        raise ShapeError(f"items path {options.get('items')!r} is not a list")
    fields: Mapping[str, str] = options.get("fields") or {}
    states: dict[str, AlertState] = {}
    for key, state in STATE_LISTS.items():
        for value in options.get(key) or []:
            states[str(value).lower()] = state
    alerts = []
    for index, item in enumerate(items):
        where = f"item {index}"

        def get(field: str, item: Any = item) -> Any:
            return lookup(item, fields[field]) if field in fields else None

        name = get("name")
        if name is None or isinstance(name, (dict, list)):
            raise ShapeError(f"{where}: no name at {fields['name']!r}")
        labels = string_map(get("labels"), f"{where} labels")
        for label, path in (options.get("labels") or {}).items():
            value = lookup(item, path)
            if value is not None:
                labels[label] = str(value)
        labels.setdefault("alertname", str(name))
        annotations = string_map(get("annotations"), f"{where} annotations")
        for key in ("summary", "description"):
            if (value := get(key)) is not None:
                annotations[key] = str(value)
        for label, path in (options.get("annotations") or {}).items():
            if (value := lookup(item, path)) is not None:
                annotations[label] = str(value)
        raw_state = get("state")
        state = AlertState.FIRING
        if raw_state is not None:
            state = states.get(str(raw_state).lower(), AlertState.FIRING)
        if state is AlertState.RESOLVED:
            continue  # the source lists it, but it is over: absent from our snapshot
        severity = get("severity")
        if severity is not None:
            labels.setdefault("severity", str(severity))
        fingerprint = get("fingerprint")
        starts = get("starts_at")
        alerts.append(
            Alert(
                source=source,
                fingerprint=str(fingerprint) if fingerprint is not None else fingerprint_of(labels),
                name=str(name),
                state=state,
                severity=Severity.parse(severity),
                starts_at=now if starts is None else _time(starts, f"{where} starts_at"),
                labels=labels,
                annotations=annotations,
                url=str(get("url") or ""),
            )
        )
    return alerts
