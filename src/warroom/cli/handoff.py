"""`warroom handoff`: what the outgoing responder hands the incoming one.

Read-only (never creating a database, never waiting for a writer). Times are in
the responder's zone (TZ= works) for people and UTC ISO in `--json`. Text from
sources, plans and responders is made terminal-safe, and in Markdown its
markup characters are escaped, so a note cannot forge a heading or a link.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from warroom.cli.outcome import existing_store
from warroom.cli.output import print_json_line
from warroom.cli.records import event_record, incident_record, iso
from warroom.config import Config
from warroom.model.clock import utcnow
from warroom.model.handoff import Handoff, ShiftSilence
from warroom.model.handoff_text import render


async def run_handoff(config: Config, since: timedelta, style: str) -> int:
    from warroom.engine.handoff import gather_handoff
    from warroom.plans import load_plans

    planset = load_plans(config.plans, {s.name for s in config.sources})
    for error in planset.errors:
        print(error, file=sys.stderr)
    now = utcnow()
    async with existing_store(config, read_only=True) as store:
        report = await gather_handoff(store, planset, now - since, now)
    if style == "json":
        print_json_line(as_json(report))
    else:
        sys.stdout.write(render(report, markdown=style == "markdown"))
    return 1 if planset.errors else 0


def as_json(report: Handoff) -> dict[str, Any]:
    def silence(s: ShiftSilence) -> dict[str, Any]:
        return {
            "source": s.source,
            "id": s.silence_id,
            "created_by": s.created_by,
            "ends_at": iso(s.ends_at),
            "incident": s.incident_id,
            "alerts": [f"{k.source}:{k.fingerprint}" for k in s.alerts],
        }

    return {
        "since": iso(report.since),
        "now": iso(report.now),
        "next_end": iso(report.next_end),
        "open": [
            {
                "incident": incident_record(o.incident),
                "changes": [event_record(e) for e in o.changes],
            }
            for o in report.open
        ],
        "resolved": [incident_record(i) for i in report.resolved],
        "stale_acks": [
            {
                "incident": incident_record(s.incident),
                "ack_timeout_seconds": s.ack_timeout.total_seconds(),
                "overdue_seconds": s.overdue.total_seconds(),
            }
            for s in report.stale_acks
        ],
        "expiring_silences": [silence(s) for s in report.expiring_silences],
        "idle_silences": [silence(s) for s in report.idle_silences],
        "unplanned": [
            {"source": c.source, "name": c.name, "count": c.count, "firing": c.firing}
            for c in report.unplanned
        ],
        "noisy": [
            {"source": c.source, "name": c.name, "count": c.count, "firing": c.firing}
            for c in report.noisy
        ],
        "notes": [{**event_record(e), "incident": e.incident} for e in report.notes],
        "on_call": [
            {
                "schedule": s.schedule,
                "start": iso(s.start),
                "end": iso(s.end),
                "on_call": list(s.people),
            }
            for s in report.on_call
        ],
        "remarks": list(report.remarks),
    }
