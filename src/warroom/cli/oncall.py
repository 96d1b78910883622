"""`warroom oncall` and `warroom shifts`: who is on call, from the plans and overrides.

Both read `plans/` and then the overrides taken from the console or the CLI
(read-only: never creating a database, never waiting for a writer). A store
that cannot be read costs only those overrides, said in one line on stderr
(exit 1: the answer may be incomplete), so they still answer on a bastion whose
store is broken: the moment someone most needs to know whom to call. Times are
printed in the responder's zone (TZ= works) and as UTC in `--json`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from warroom.cli.output import print_json_line
from warroom.config import Config
from warroom.model.clock import format_local, utcnow
from warroom.model.oncall import Schedule, on_call, timeline
from warroom.model.text import safe_text
from warroom.plans import PlanSet, load_plans

EXIT_UNKNOWN = 2
DEFAULT_SPAN = timedelta(days=7)


class TimeError(ValueError):
    pass


def parse_time(text: str) -> datetime:
    """`2026-12-24T17:00` (the responder's zone), with an offset or `Z`, or `now`."""
    if text.strip().lower() == "now":
        return utcnow()
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise TimeError(
            f"time {text!r}: use e.g. 2026-12-24T17:00, 2026-12-24T17:00Z or now"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # the responder's own zone, as they would read it
    return parsed.astimezone(UTC)


def _schedules(
    config: Config, name: str | None
) -> tuple[PlanSet, list[tuple[str, Schedule]]] | None:
    planset = load_plans(config.plans, {s.name for s in config.sources})
    for error in planset.errors:
        print(error, file=sys.stderr)
    if name is None:
        return planset, list(planset.schedules.items())
    if name not in planset.schedules:
        known = ", ".join(sorted(planset.schedules)) or "none declared"
        print(f"warroom: no schedule named {name!r} (known: {known})", file=sys.stderr)
        return None
    return planset, [(name, planset.schedules[name])]


def with_overrides(
    config: Config, schedules: list[tuple[str, Schedule]], start: datetime, end: datetime
) -> tuple[list[tuple[str, Schedule]], bool]:
    """The schedules with the stored overrides of [start, end) merged in, and whether
    they could be read. No database yet means no overrides: nothing to say."""
    import asyncio

    from warroom.engine.overrides import effective_schedules
    from warroom.store import StoreError, StoreMissing, open_store

    async def merged() -> dict[str, Schedule]:
        store = await open_store(config.database, read_only=True)
        try:
            return await effective_schedules(store, dict(schedules), start, end)
        finally:
            await store.close()

    try:
        found = asyncio.run(merged())
    except StoreMissing:
        return schedules, True
    except StoreError as exc:
        print(f"warroom: overrides not applied (from plans/ alone): {exc}", file=sys.stderr)
        return schedules, False
    return [(name, found[name]) for name, _ in schedules], True


def run_oncall(config: Config, name: str | None, at: datetime | None, as_json: bool) -> int:
    found = _schedules(config, name)
    if found is None:
        return EXIT_UNKNOWN
    planset, schedules = found
    moment = at or utcnow()
    schedules, complete = with_overrides(config, schedules, moment, moment + timedelta(seconds=1))
    for schedule_name, schedule in schedules:
        people = on_call(schedule, moment)
        if as_json:
            print_json_line(
                {"schedule": schedule_name, "at": moment.isoformat(), "on_call": list(people)}
            )
            continue
        shown = ", ".join(_person(planset, p) for p in people) or "nobody"
        print(f"{safe_text(schedule_name):24} {safe_text(shown)}")
    return 1 if planset.errors or not complete else 0


def run_shifts(
    config: Config, name: str, start: datetime | None, end: datetime | None, as_json: bool
) -> int:
    found = _schedules(config, name)
    if found is None:
        return EXIT_UNKNOWN
    planset, schedules = found
    start = start or utcnow()
    end = end or start + DEFAULT_SPAN
    if end <= start:
        print("warroom: --to must be after --from", file=sys.stderr)
        return EXIT_UNKNOWN
    [(_, schedule)], complete = with_overrides(config, schedules, start, end)
    # who is on call when: rotations, their cover and overrides together, cut where
    # the people change (the shift a responder means), not each rotation's turns
    for span_start, span_end, people in timeline(schedule, start, end):
        if as_json:
            print_json_line(
                {
                    "start": span_start.isoformat(),
                    "end": span_end.isoformat(),
                    "on_call": list(people),
                }
            )
            continue
        shown = ", ".join(_person(planset, p) for p in people) or "nobody (a gap)"
        since, until = format_local(span_start, True), format_local(span_end, True)
        print(f"{since}  {until}  {safe_text(shown)}")
    return 1 if planset.errors or not complete else 0


def _person(planset: PlanSet, name: str) -> str:
    contact = planset.contacts.get(name)
    return contact.label if contact is not None else name
