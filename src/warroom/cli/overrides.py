"""`warroom override` and `warroom overrides`: take a shift from a script or a shell.

The same service as the console's `o` and `x` on the On-call tab, so the
console log records who took which shift and why whichever way it came. Input
that cannot mean anything (no such schedule or person, times the wrong way
round) is one line and exit 2; a sound request refused (already cancelled,
already over) exit 1, as for every action.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any

from warroom.cli.outcome import Outcome, acting, existing_store, report
from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.engine import ActionError
from warroom.engine.overrides import OverrideInputError, Roster
from warroom.model.clock import format_local, utcnow
from warroom.plans import load_plans
from warroom.store import OverrideRecord

EXIT_USAGE = 2


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot say: which options go together (exit 2, one line)."""

    def error(message: str) -> None:
        parser.error(f"warroom override: {message}")

    making = [
        f"--{name}"
        for name, value in (
            ("with", args.with_),
            ("replace", args.replace),
            ("from", args.start),
            ("to", args.end),
            ("for", args.duration),
            ("reason", args.reason),
        )
        if value is not None
    ]
    if args.cancel is not None:
        if args.schedule is not None or making:
            error("--cancel ID takes nothing else (the override says what it was)")
        return
    if args.schedule is None:
        error("name the schedule: warroom override SCHEDULE --with NAME --for 2h --reason TEXT")
    if args.with_ is None and args.replace is None:
        error("say who: --with NAME takes the shift (with --replace NAME: instead of them)")
    if args.end is not None and args.duration is not None:
        error("give --to or --for, not both")
    if args.end is None and args.duration is None:
        error("say until when: --to TIME or --for DURATION (e.g. 2h)")
    if not (args.reason or "").strip():
        error("say why with --reason TEXT: the console log tells the next responder")
    if args.duration is not None and args.duration <= timedelta(0):
        error("--for must be longer than 0")


def record_json(record: OverrideRecord) -> dict[str, Any]:
    """Times in UTC, ISO 8601, as every JSON of warroom."""
    o = record.override
    return {
        "id": record.id,
        "schedule": record.schedule,
        "start": o.start.isoformat(),
        "end": o.end.isoformat(),
        "replace": o.replace,
        "with": o.with_,
        "author": o.author,
        "reason": o.reason,
        "created_at": record.created_at.isoformat(),
        "cancelled_at": record.cancelled_at.isoformat() if record.cancelled_at else None,
        "cancelled_by": record.cancelled_by,
    }


def who(record: OverrideRecord) -> str:
    o = record.override
    if o.replace and o.with_:
        return f"{o.with_} for {o.replace}"
    if o.with_:
        return f"+ {o.with_}"
    return f"- {o.replace}"


def _refused(action: str, exc: ActionError, actor: str, as_json: bool) -> int:
    code = report([Outcome(action, False, str(exc))], actor, as_json)
    return EXIT_USAGE if isinstance(exc, OverrideInputError) else code


async def run_override(
    config: Config,
    schedule: str,
    with_: str | None,
    replace: str | None,
    start: datetime | None,
    end: datetime | None,
    duration: timedelta | None,
    reason: str,
    as_json: bool,
) -> int:
    planset = load_plans(config.plans, {s.name for s in config.sources})
    for error in planset.errors:
        print(error, file=sys.stderr)
    start = start or utcnow()
    end = end if end is not None else start + (duration or timedelta(0))
    async with acting(config) as service:
        try:
            done = await service.add_override(
                Roster.of(planset),
                schedule,
                start,
                end,
                with_=with_,
                replace=replace,
                reason=reason,
            )
        except ActionError as exc:
            return _refused("override", exc, service.actor, as_json)
        record = done.record
        for warning in done.warnings:
            print(f"warroom: warning: {warning}", file=sys.stderr)
        message = (
            f"override #{record.id}: {who(record)} on {schedule},"
            f" {format_local(record.override.start, True)} to"
            f" {format_local(record.override.end, True)}"
        )
        extra = {"override": record_json(record), "warnings": done.warnings}
        return report([Outcome("override", True, message, extra=extra)], service.actor, as_json)


async def run_cancel(config: Config, override_id: int, as_json: bool) -> int:
    async with acting(config) as service:
        try:
            record = await service.cancel_override(override_id)
        except ActionError as exc:
            return _refused("cancel-override", exc, service.actor, as_json)
        message = f"cancelled override #{record.id} ({who(record)} on {record.schedule})"
        extra = {"override": record_json(record)}
        return report(
            [Outcome("cancel-override", True, message, extra=extra)], service.actor, as_json
        )


async def run_overrides(config: Config, schedule: str | None, as_json: bool) -> int:
    """Those in force now or to come (a cancelled one is gone: the timeline keeps it)."""
    async with existing_store(config, read_only=True) as store:
        records = await store.overrides(schedule, ending_after=utcnow())
    if as_json:
        for record in records:
            print_json_line(record_json(record))
        return 0
    if not records:
        where = f" of {schedule}" if schedule else ""
        print(f"no overrides{where} in force or to come")
        return 0
    print_table(
        ("ID", "SCHEDULE", "FROM", "TO", "WHO", "BY", "REASON"),
        [
            (
                f"#{r.id}",
                r.schedule,
                format_local(r.override.start, True),
                format_local(r.override.end, True),
                who(r),
                r.override.author,
                r.override.reason,
            )
            for r in records
        ],
    )
    return 0
