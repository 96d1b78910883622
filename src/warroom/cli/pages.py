"""`warroom pages [ID]` and `warroom escalate ID [--stage N]`: engagement from a script.

`pages` answers "was anyone reached?": each engagement (plan, stage, round,
status, when the next stage is due) and each page (who, which channel, what,
its state and why). `escalate` pages the next stage now, or stage N, through
the same service as the console's `e`; from a script it escalates from where
the engagement stands when it runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.cli.outcome import Outcome, acting, existing_store, report
from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.engine import ActionError
from warroom.model.clock import format_duration, format_local, utcnow
from warroom.model.escalation import Engagement
from warroom.model.paging import OutboxRow


def engagement_line(engagement: Engagement, now: datetime) -> str:
    """`stage 2, round 1, active: next stage in 4m` as a responder reads it."""
    where = f"stage {engagement.stage}" if engagement.stage else "not started"
    if engagement.loop:
        where += f", round {engagement.loop + 1}"
    text = f"{where}, {engagement.status}"
    if engagement.next_at is not None:
        wait = engagement.next_at - now
        when = "due now" if wait.total_seconds() <= 0 else f"in {format_duration(wait)}"
        text += f": next {'re-arm' if engagement.status == 'acknowledged' else 'stage'} {when}"
    return text


def _engagement_record(incident_id: int, e: Engagement) -> dict[str, Any]:
    return {
        "type": "engagement",
        "incident": incident_id,
        "plan": e.plan,
        "status": e.status.value,
        "stages_paged": e.stage,
        "round": e.loop + 1,
        "next_at": e.next_at.isoformat() if e.next_at else None,
        "started_at": e.started_at.isoformat(),
    }


def _page_record(row: OutboxRow) -> dict[str, Any]:
    return {
        "type": "page",
        "incident": row.incident_id,
        "key": row.key,
        "contact": row.target,
        "channel": row.channel,
        "action": row.action,
        "state": row.state.value,
        "attempts": row.attempts,
        "due_at": row.due_at.isoformat(),
        "done_at": row.done_at.isoformat() if row.done_at else None,
        "possible_repeat": row.possible_repeat,
        "detail": row.detail,
    }


async def run_pages(config: Config, incident_id: int | None, as_json: bool) -> int:
    async with existing_store(config, read_only=True) as store:
        engagements = await store.engagements(incident_id)
        rows = await store.outbox(incident_id)
        if incident_id is not None and await store.incident(incident_id) is None:
            print(f"warroom: no incident #{incident_id}")
            return 1
    now = utcnow()
    if as_json:
        for incident, engagement in engagements:
            print_json_line(_engagement_record(incident, engagement))
        for row in rows:
            print_json_line(_page_record(row))
        return 0
    if engagements:
        print_table(
            ["INCIDENT", "PLAN", "WHERE"],
            [[f"#{i}", e.plan, engagement_line(e, now)] for i, e in engagements],
        )
    if rows:
        if engagements:
            print()
        print_table(
            ["INCIDENT", "CONTACT", "CHANNEL", "ACTION", "STATE", "WHEN", "DETAIL"],
            [
                [
                    f"#{r.incident_id}" if r.incident_id is not None else "-",
                    r.target,
                    r.channel,
                    r.action,
                    r.state.value + (" (may repeat)" if r.possible_repeat else ""),
                    format_local(r.done_at or r.due_at, with_date=True),
                    r.detail,
                ]
                for r in rows
            ],
        )
    if not engagements and not rows:
        print("nobody engaged" + (f" for incident #{incident_id}" if incident_id else ""))
    return 0


async def run_escalate(
    config: Config, incident_id: int, stage: int | None, plan: str | None, as_json: bool
) -> int:
    async with acting(config) as service:
        try:
            escalated = await service.escalate(
                incident_id, to_stage=None if stage is None else stage - 1, plan=plan
            )
        except ActionError as exc:
            incident = await service.store.incident(incident_id)
            return report([Outcome("escalate", False, str(exc), incident)], service.actor, as_json)
        incident = await service.store.incident(incident_id)
        where = "the next stage" if stage is None else f"stage {stage}"
        message = f"Escalated incident #{incident_id} ({escalated}) to {where}"
        return report([Outcome("escalate", True, message, incident)], service.actor, as_json)
