"""What a scripted action did, for a person or a script, and the exit code it means.

Exit 0 when every action was done, 1 when one was refused (the message says
why, on stderr), 2 for usage, config or database errors (raised, handled by
`main`). With `--json` every outcome, refused ones too, is one line on stdout.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from warroom.cli.output import print_json_line
from warroom.cli.records import incident_record
from warroom.model import Incident, IncidentStatus
from warroom.model.clock import utcnow
from warroom.model.text import safe_text
from warroom.model.value import Value, field

if TYPE_CHECKING:
    from warroom.config import Config
    from warroom.engine import Service
    from warroom.sources.base import Source
    from warroom.store import Store

EXIT_DONE = 0
EXIT_REFUSED = 1


class Outcome(Value, frozen=True):
    action: str
    done: bool
    message: str
    incident: Incident | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def report(outcomes: Sequence[Outcome], actor: str, as_json: bool) -> int:
    for outcome in outcomes:
        if as_json:
            print_json_line(
                {
                    "action": outcome.action,
                    "done": outcome.done,
                    "actor": actor,
                    "message": outcome.message,
                    "incident": incident_record(outcome.incident) if outcome.incident else None,
                    **outcome.extra,
                }
            )
        elif outcome.done:
            print(safe_text(outcome.message))
        if not outcome.done:
            print(f"warroom: {safe_text(outcome.message)}", file=sys.stderr)
    return EXIT_DONE if all(o.done for o in outcomes) else EXIT_REFUSED


def at_utc(value: datetime | None) -> str:
    """`03:12 UTC` today, `2026-11-25 03:12 UTC` before: the zone every responder shares."""
    if value is None:
        return "an unknown time"
    value = value.astimezone(UTC)
    if value.date() == utcnow().date():
        return value.strftime("%H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def state_of(incident: Incident) -> str:
    """`acknowledged by alice at 03:12 UTC`: the status and who put it there."""
    if incident.status is IncidentStatus.RESOLVED:
        if incident.parent_id is not None:
            return f"merged into #{incident.parent_id}"
        return f"resolved by {incident.resolved_by} at {at_utc(incident.resolved_at)}"
    if incident.status is IncidentStatus.ACKNOWLEDGED:
        return f"acknowledged by {incident.acknowledged_by} at {at_utc(incident.acknowledged_at)}"
    return "open, not acknowledged"


@contextlib.asynccontextmanager
async def existing_store(config: Config, read_only: bool = False) -> AsyncIterator[Store]:
    """The shared database, never a new one: a typo in `--db` must not act on an empty file."""
    from warroom.store import open_store

    store = await open_store(config.database, read_only=read_only, create=False)
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def acting(config: Config, sources: Sequence[Source] = ()) -> AsyncIterator[Service]:
    """A service acting as the console would for this user ($SUDO_USER under sudo),
    with the plans' engagements: `warroom ack` cancels pending pages as `a` does."""
    from warroom.engine import Service, current_actor
    from warroom.engine.wiring import paging_of
    from warroom.plans import load_plans

    planset = load_plans(config.plans, {s.name for s in config.sources})
    paging = paging_of(planset)
    try:
        async with existing_store(config) as store:
            yield Service(
                store,
                current_actor(),
                sources,
                paging=paging,
                runbooks=planset.runbooks,
                plans=planset.plans,  # a declaration under a plan starts its auto runbook
            )
    finally:
        for source in sources:
            with contextlib.suppress(Exception):
                await source.close()
