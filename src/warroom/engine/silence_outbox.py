"""Silences warroom makes for an acknowledgement, and expires once the alerts resolve,
go through the outbox like pages.

They used to be made by the acknowledging process after its transaction had
committed: a console that died in between left acknowledged alerts unsilenced
(Alertmanager kept notifying), and one that died after the silence was made but
before it was recorded left a silence nobody would ever expire. Now the
acknowledgement writes a `silence` row in its own transaction (one per exact
group, `exact_silences`), and the lease holder's deliver duty makes it at the
source (`create_silence_once` finds one an unanswered request made) and records
it with its timeline event in the transaction that closes the row. Expiring is
queued the same way by the lease holder once the alerts have resolved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from warroom.model import AlertKey, AlertState, TrackedAlert, events
from warroom.model.matchers import Matcher, MatchOp
from warroom.model.paging import OutboxItem, OutboxKind, OutboxRow
from warroom.model.silencing import exact_silences
from warroom.store import SilenceRecord, Store, Tx

ACK_SILENCE_FOR = timedelta(days=7)


def ack_comment(actor: str) -> str:
    return f"Acknowledged in warroom by {actor}; expires when the alert resolves"


async def queue_ack_silences(
    tx: Tx,
    store: Store,
    source: str,
    alerts: Sequence[TrackedAlert],
    actor: str,
    incident_id: int | None = None,
) -> int:
    """Queue silences for acknowledged alerts of `source`; how many alerts they cover.

    Alerts already silenced at the source, or resolved, need none."""
    alerts = [
        t for t in alerts if t.alert.state not in (AlertState.SUPPRESSED, AlertState.RESOLVED)
    ]
    if not alerts:
        return 0
    others = [t.alert.labels for t in await store.active_alerts_at([source])]
    now = tx.now
    covered = 0
    for matchers, members in exact_silences([t.alert.labels for t in alerts], others):
        group = [alerts[i] for i in members]
        text = ",".join(sorted(str(m) for m in matchers))
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        payload: dict[str, Any] = {
            "matchers": [[m.name, m.op.value, m.value] for m in matchers],
            "alerts": [str(t.key) for t in group],
            "alert_name": group[0].alert.name if len(group) == 1 else "",
            "actor": actor,
            "comment": ack_comment(actor),
            "ends_at": (now + ACK_SILENCE_FOR).isoformat(),
        }
        key = f"silence/{source}/{digest}/{now.timestamp():.6f}"
        item = OutboxItem(key, incident_id, OutboxKind.SILENCE, "create", source, "", now, payload)
        await tx.enqueue([item])
        covered += len(group)
    return covered


def expire_row(record: SilenceRecord, now: datetime) -> OutboxItem:
    return OutboxItem(
        f"expire/{record.source}/{record.silence_id}",
        record.incident_id,
        OutboxKind.EXPIRE_SILENCE,
        "expire",
        record.source,
        "",
        now,
        {"silence_id": record.silence_id, "alerts": [str(k) for k in record.alerts]},
    )


def matchers_of(row: OutboxRow) -> list[Matcher]:
    return [Matcher.create(n, MatchOp(op), v) for n, op, v in row.payload.get("matchers", [])]


def alert_keys(row: OutboxRow) -> list[AlertKey]:
    return [AlertKey.parse(k) for k in row.payload.get("alerts", [])]


def made_event(row: OutboxRow, silence_id: str, matchers: Sequence[Matcher]) -> events.Silenced:
    return events.Silenced(
        silence_id,
        row.target,
        events.keys(alert_keys(row)),
        ", ".join(str(m) for m in matchers),
        until_resolved=True,
        alert_name=str(row.payload.get("alert_name", "")),
    )
