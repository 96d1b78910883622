"""Rows to model values and back; the only place that knows the column layout."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import aiosqlite
import orjson

from warroom.model import (
    Alert,
    AlertKey,
    AlertState,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEvent,
    TrackedAlert,
)
from warroom.model.clock import from_epoch, to_epoch
from warroom.model.events import unpack

# its old home: benchmarks and tests import it from here
from warroom.store.snapshot import alert_digest as alert_digest

ALERT_COLUMNS = (
    "source, fingerprint, name, state, severity, labels, annotations, starts_at, ends_at, url,"
    " first_seen, acknowledged_at, acknowledged_by, incident_id"
)
INCIDENT_COLUMNS = (
    "i.id, i.title, i.summary, i.impact, i.status, i.dedupe_key, i.plan, i.created_at,"
    " i.created_by, i.acknowledged_at, i.acknowledged_by, i.resolved_at, i.resolved_by,"
    " (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id), i.parent_id"
)
EVENT_COLUMNS = "id, incident_id, at, kind, actor, text, data"
# an incident's alerts, firing first: for the screen and inside a transaction alike
INCIDENT_ALERTS = (
    f"SELECT {ALERT_COLUMNS} FROM alerts WHERE incident_id = ?"
    " ORDER BY state = 'resolved', starts_at"
)


# (source, fingerprint) pairs per statement: 800 parameters, under the 999 of
# older SQLite builds.
KEY_CHUNK = 400


def key_chunks(keys: Sequence[AlertKey]) -> Iterator[tuple[Sequence[AlertKey], str, list[str]]]:
    """Keys in chunks, each with its `(source, fingerprint) IN (VALUES ...)` test and
    parameters: one statement per 400 alerts, not one per alert."""
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        pairs = ",".join("(?, ?)" for _ in chunk)
        params = [part for k in chunk for part in (k.source, k.fingerprint)]
        yield chunk, f"(source, fingerprint) IN (VALUES {pairs})", params


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_map_json(value: Mapping[str, str]) -> str:
    """An alert's labels or annotations as `dumps` writes them, seven times faster.

    A storm's first poll writes two of these per alert on the event loop, which
    at 50,000 alerts kept a responder's key waiting behind each chunk (issue 9:
    key to screen during a poll). For text maps orjson writes the same text:
    compact, keys sorted, non-ASCII as is. A string it will not take (a lone
    surrogate) goes through `dumps` as before.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return dumps(dict(value))


def alert_row(alert: Alert, digest: str) -> tuple[Any, ...]:
    """Column values for an upsert; built only for alerts that changed."""
    return (
        alert.source,
        alert.fingerprint,
        alert.name,
        alert.state.value,
        alert.severity.value,
        text_map_json(alert.labels),
        text_map_json(alert.annotations),
        to_epoch(alert.starts_at),
        to_epoch(alert.ends_at),
        alert.url,
        digest,
    )


def tracked_alert(row: aiosqlite.Row | tuple[Any, ...]) -> TrackedAlert:
    (
        source,
        fingerprint,
        name,
        state,
        severity,
        labels,
        annotations,
        starts,
        ends,
        url,
        first_seen,
        acked_at,
        acked_by,
        incident_id,
    ) = row
    alert = Alert(
        source=source,
        fingerprint=fingerprint,
        name=name,
        state=AlertState(state),
        severity=Severity(severity),
        starts_at=_required(from_epoch(starts)),
        labels=json.loads(labels),
        annotations=json.loads(annotations),
        ends_at=from_epoch(ends),
        url=url,
    )
    return TrackedAlert(
        alert=alert,
        first_seen=_required(from_epoch(first_seen)),
        acknowledged_at=from_epoch(acked_at),
        acknowledged_by=acked_by,
        incident_id=incident_id,
    )


def incident(row: aiosqlite.Row | tuple[Any, ...]) -> Incident:
    (
        id_,
        title,
        summary,
        impact,
        status,
        dedupe,
        plan,
        created_at,
        created_by,
        acked_at,
        acked_by,
        resolved_at,
        resolved_by,
        alert_count,
        parent_id,
    ) = row
    return Incident(
        id=id_,
        title=title,
        summary=summary,
        impact=Impact(impact),
        status=IncidentStatus(status),
        dedupe_key=dedupe,
        plan=plan,
        created_at=_required(from_epoch(created_at)),
        created_by=created_by,
        acknowledged_at=from_epoch(acked_at),
        acknowledged_by=acked_by,
        resolved_at=from_epoch(resolved_at),
        resolved_by=resolved_by,
        alert_count=alert_count,
        parent_id=parent_id,
    )


def event(row: aiosqlite.Row | tuple[Any, ...]) -> TimelineEvent:
    id_, incident_id, at, kind, actor, text, data = row
    version, payload = unpack(json.loads(data))
    return TimelineEvent(
        id=id_,
        incident=incident_id,
        at=_required(from_epoch(at)),
        kind=EventKind(kind),
        actor=actor,
        text=text,
        data=payload,
        version=version,
    )


def _required(value: Any) -> Any:
    if value is None:
        raise ValueError("a required time column is NULL")
    return value
