"""`warroom show ID`: one incident, its alerts and its whole timeline.

For a person, times are in the local zone (TZ= works) and text is made
terminal-safe but never cut: a handover note is read whole. For a script, one
JSON object with UTC ISO times.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from warroom.cli.outcome import EXIT_DONE, EXIT_REFUSED, existing_store
from warroom.cli.output import print_json_line, print_table
from warroom.cli.records import event_record, incident_record, key_text, tracked_record
from warroom.config import Config
from warroom.model import Incident, TimelineEvent, TrackedAlert
from warroom.model.clock import format_local
from warroom.model.text import safe_text


async def run_show(config: Config, incident_id: int, as_json: bool) -> int:
    async with existing_store(config, read_only=True) as store:
        incident = await store.incident(incident_id)
        if incident is None:
            print(f"warroom: no incident #{incident_id}", file=sys.stderr)
            return EXIT_REFUSED
        alerts = await store.incident_alerts(incident_id)
        events = await store.timeline(incident_id)
    alerts.sort(key=lambda t: (t.alert.severity.rank, t.alert.starts_at))
    if as_json:
        print_json_line(
            {
                "incident": incident_record(incident),
                "alerts": [tracked_record(t) for t in alerts],
                "timeline": [event_record(e) for e in events],
            }
        )
        return EXIT_DONE
    _print_incident(incident)
    _print_alerts(alerts)
    _print_timeline(events)
    return EXIT_DONE


def _print_incident(incident: Incident) -> None:
    rows: list[tuple[str, str]] = [
        ("status", incident.status.value),
        ("impact", incident.impact.label),
        ("declared", f"{format_local(incident.created_at, True)} by {incident.created_by}"),
    ]
    if incident.acknowledged_at:
        when = format_local(incident.acknowledged_at, True)
        rows.append(("acknowledged", f"{when} by {incident.acknowledged_by}"))
    if incident.resolved_at:
        rows.append(
            ("resolved", f"{format_local(incident.resolved_at, True)} by {incident.resolved_by}")
        )
    if incident.parent_id is not None:
        rows.append(("merged into", f"#{incident.parent_id}"))
    if incident.plan:
        rows.append(("plan", incident.plan))
    if incident.dedupe_key:
        rows.append(("dedupe key", incident.dedupe_key))
    if incident.summary:
        rows.append(("summary", incident.summary))
    sys.stdout.write(f"Incident #{incident.id}: {safe_text(incident.title)}\n")
    for name, value in rows:
        sys.stdout.write(f"  {name:<13}{safe_text(value)}\n")


def _print_alerts(alerts: Sequence[TrackedAlert]) -> None:
    sys.stdout.write(f"\nAlerts ({len(alerts)})\n")
    if not alerts:
        return
    print_table(
        ("SEVERITY", "STATE", "NAME", "ALERT", "SINCE", "ACK BY", "SUMMARY"),
        [
            (
                t.alert.severity.value,
                t.alert.state.value,
                t.alert.name,
                key_text(t.key),
                format_local(t.alert.starts_at, True),
                t.acknowledged_by or "-",
                t.alert.summary,
            )
            for t in alerts
        ],
    )


def _print_timeline(events: Sequence[TimelineEvent]) -> None:
    """Oldest first, like a log; a note's every line, each made safe on its own."""
    sys.stdout.write(f"\nTimeline ({len(events)})\n")
    actors = [safe_text(e.actor, 40) for e in events]
    actor_width = max(map(len, actors), default=0)
    kind_width = max((len(e.kind.value) for e in events), default=0)
    for event, actor in zip(events, actors, strict=True):
        when = format_local(event.at, True)
        head = f"{when}  {actor:<{actor_width}}  {event.kind.value:<{kind_width}}"
        first, *rest = event.text.splitlines() or [""]
        sys.stdout.write(f"{head}  {safe_text(first)}\n")
        for line in rest:
            sys.stdout.write(f"    {safe_text(line)}\n")
