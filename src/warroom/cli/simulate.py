"""`warroom simulate FILE.json`: what would these alerts trigger, before they fire.

The file holds one alert or a list, shaped as Alertmanager sends them (labels,
annotations, startsAt...). For each: the plan that matches (or none), the
incident title, impact and dedupe key, and whether it would join an open
incident in the database or declare a new one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from warroom.cli.check import plans_for
from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.model import Alert, Incident, lifecycle
from warroom.model.clock import format_duration, utcnow
from warroom.model.lifecycle import Fate
from warroom.model.paging import Directory, forecast
from warroom.offload import loads
from warroom.plans import PlanIndex, propose
from warroom.sources.alertmanager import normalise_alerts
from warroom.sources.normalise import ShapeError


def read_alerts(path: Path, source: str = "simulate") -> list[Alert]:
    try:
        payload = loads(path.read_bytes())  # as a source's answer: no lone surrogates
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SystemExit(f"warroom: {path}: {exc}") from exc
    items = payload if isinstance(payload, list) else [payload]
    for item in items:
        if isinstance(item, dict):
            item.setdefault("startsAt", "1970-01-01T00:00:00Z")
    try:
        return normalise_alerts(source, items)
    except ShapeError as exc:
        raise SystemExit(f"warroom: {path}: {exc}") from exc


def who_is_paged(
    references: Sequence[str], directory: Directory, now: datetime
) -> list[dict[str, object]]:
    """Each page the plan's engagements would send if nobody acknowledged."""
    pages: list[dict[str, object]] = []
    for reference in references:
        for page in forecast(reference, directory, now):
            pages.append(
                {
                    "after": format_duration(page.after) if page.after else "0s",
                    "engagement": reference,
                    "stage": page.stage + 1,
                    "round": page.loop + 1,
                    "target": page.target,
                    "who": list(page.people),
                }
            )
    return pages


def predict(
    index: PlanIndex,
    alert: Alert,
    incidents: Sequence[Incident],
    now: datetime,
    directory: Directory | None = None,
) -> dict[str, object]:
    """What triage would do with this alert, given these incidents: the lifecycle's
    own choice (`lifecycle.fate`), so the prediction and the poll never disagree."""
    plan = index.match(alert)
    if plan is None:
        return {"alert": alert.name, "plan": None, "outcome": "unplanned: no plan matches"}
    proposal = propose(plan, alert)
    active, last_resolved = lifecycle.candidates(incidents, proposal.dedupe_key)
    fate, incident = lifecycle.fate(active, last_resolved, now, plan.reopen_within)
    if fate is Fate.JOINS:
        assert incident is not None
        what = f"joins open incident #{incident.id}"
    elif fate is Fate.REOPENS:
        assert incident is not None
        what = f"reopens resolved incident #{incident.id}"
    else:
        what = "declares a new incident"
        if plan.declare_after:
            what += f" once firing for {format_duration(plan.declare_after)}"
    pages = []
    if fate is not Fate.JOINS and directory is not None:  # joining pages nobody new
        pages = who_is_paged(plan.engagements, directory, now)
    return {
        "alert": alert.name,
        "plan": plan.name,
        "title": proposal.title,
        "impact": int(proposal.impact),
        "dedupe_key": proposal.dedupe_key,
        "outcome": what,
        "pages": pages,
    }


async def run_simulate(config: Config, path: Path, as_json: bool, source: str | None = None) -> int:
    from warroom.store import StoreMissing, open_store

    planset = plans_for(config)
    for error in planset.errors:
        print(error, file=sys.stderr)
    if source is None:
        source = config.sources[0].name if len(config.sources) == 1 else "simulate"
    alerts = read_alerts(path, source)
    index = PlanIndex(planset.plans)
    incidents: list[Incident] = []
    try:  # a dry run: read-only, so it never creates a database
        store = await open_store(config.database, read_only=True)
    except StoreMissing:
        pass
    else:
        try:
            incidents = await store.incidents(include_resolved=True)
        finally:
            await store.close()
    now = utcnow()
    directory = Directory(planset.contacts, planset.schedules, planset.escalation_plans)
    rows = []
    paged: list[tuple[str, ...]] = []
    for alert in alerts:
        outcome = predict(index, alert, incidents, now, directory)
        pages = outcome.get("pages")
        for page in pages if isinstance(pages, list) else []:
            who = ", ".join(page["who"]) or "nobody"
            paged.append(
                (
                    alert.name,
                    page["after"],
                    page["engagement"],
                    str(page["stage"]),
                    page["target"],
                    who,
                )
            )
        if as_json:
            print_json_line(outcome)
        else:
            rows.append(
                tuple(
                    str(outcome.get(k) or "-")
                    for k in ("alert", "plan", "impact", "dedupe_key", "outcome", "title")
                )
            )
    if not as_json:
        print_table(("ALERT", "PLAN", "IMPACT", "DEDUPE KEY", "OUTCOME", "TITLE"), rows)
        if paged:  # who is woken when, if nobody acknowledges
            print()
            # AFTER counts from the declaration, if nobody acknowledges
            print_table(("ALERT", "AFTER", "ENGAGEMENT", "STAGE", "TARGET", "PAGES"), paged)
    return 1 if planset.errors else 0
