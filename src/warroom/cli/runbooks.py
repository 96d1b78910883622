"""`warroom runbook start|show|signal`: runbook runs from a script or a shell.

The same service as the console's Runbook tab, so the timeline records who
started, confirmed or approved what whichever way it came. `signal` acts on the
step at the attempt it reads now: if another console moves it first, the
conditional write loses and the refusal says so (exit 1), never a second move.
Input that cannot mean anything (no such runbook, run or parameter) is one line
and exit 2; a sound request the run refuses (the starter approving) exit 1.
"""

from __future__ import annotations

import sys
from typing import Any

from warroom.cli.outcome import Outcome, acting, existing_store, report
from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.engine import ActionError
from warroom.engine.runbooks import RunbookInputError
from warroom.model.clock import format_local
from warroom.model.runbook import Refused, Run
from warroom.model.text import safe_text
from warroom.store import RunRecord

EXIT_USAGE = 2
SHOWN_OUTPUT = 4000  # characters of the newest output `show` prints


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`--param K=V` pairs; ValueError naming the one without `=`."""
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {pair!r}: give it as NAME=VALUE")
        found[name.strip()] = value
    return found


def run_json(record: RunRecord) -> dict[str, Any]:
    """Times in UTC, ISO 8601, as every JSON of warroom."""
    run = record.run
    return {
        "id": record.id,
        "incident": record.incident_id,
        "runbook": record.name,
        "status": run.status.value,
        "version": record.version,
        "started_by": record.started_by,
        "started_at": record.started_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "parameters": dict(run.parameters),
        "current": None if run.current is None else run.steps[run.current].name,
        "steps": [
            {
                "name": s.name,
                "kind": step.kind.value,
                "state": s.state.value,
                "attempt": s.attempt,
                "by": s.by,
                "reason": s.reason,
                "exit_code": s.outcome.exit_code if s.outcome else None,
                "status": s.outcome.status if s.outcome else None,
                "error": s.outcome.error if s.outcome else "",
            }
            for step, s in zip(run.runbook.steps, run.steps, strict=True)
        ],
    }


def _summary(record: RunRecord) -> str:
    run = record.run
    where = ""
    if run.current is not None:
        s = run.steps[run.current]
        where = f", at step {s.name} ({s.state.value}, attempt {s.attempt})"
    on = f" on incident #{record.incident_id}" if record.incident_id is not None else ""
    return f"run #{record.id} of runbook {record.name}{on}: {run.status.value}{where}"


def _refused(action: str, exc: ActionError, actor: str, as_json: bool) -> int:
    code = report([Outcome(action, False, str(exc))], actor, as_json)
    return EXIT_USAGE if isinstance(exc, RunbookInputError) else code


async def run_start(
    config: Config, incident_id: int, name: str, pairs: list[str], as_json: bool
) -> int:
    try:
        params = parse_params(pairs)
    except ValueError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return EXIT_USAGE
    async with acting(config) as service:
        try:
            record = await service.start_runbook(incident_id, name, params)
        except ActionError as exc:
            return _refused("runbook-start", exc, service.actor, as_json)
        message = f"started {_summary(record)}"
        return report(
            [Outcome("runbook-start", True, message, extra={"run": run_json(record)})],
            service.actor,
            as_json,
        )


async def run_signal(
    config: Config, run_id: int, step: str, verb: str, reason: str, as_json: bool
) -> int:
    action = f"runbook-{verb}"
    async with acting(config) as service:
        record = await service.store.runbook_run(run_id)
        if record is None:
            return _refused(
                action, RunbookInputError(f"no runbook run #{run_id}"), service.actor, as_json
            )
        try:
            _, _, seen = record.run.step(step)
        except Refused as exc:  # no such step
            return _refused(action, RunbookInputError(str(exc)), service.actor, as_json)
        try:
            moved = await service.signal_runbook(run_id, step, seen.attempt, verb, reason)
        except ActionError as exc:
            return _refused(action, exc, service.actor, as_json)
        message = f"{verb}: {_summary(moved)}"
        return report(
            [Outcome(action, True, message, extra={"run": run_json(moved)})], service.actor, as_json
        )


def _print_run(record: RunRecord, tail: str) -> None:
    run: Run = record.run
    print(safe_text(_summary(record)))
    print(
        safe_text(
            f"started by {record.started_by} {format_local(record.started_at, with_date=True)}"
        )
    )
    if run.parameters:
        print("parameters: " + safe_text(", ".join(f"{k}={v}" for k, v in run.parameters.items())))
    print()
    print_table(
        ["STEP", "KIND", "STATE", "ATTEMPT", "BY", "WHY"],
        [
            [s.name, step.kind.value, s.state.value, s.attempt or "-", s.by or "-", s.reason]
            for step, s in zip(run.runbook.steps, run.steps, strict=True)
        ],
    )
    if tail:
        print()
        print("output (newest):")
        for line in tail.splitlines():
            print("  " + safe_text(line))


async def run_show(config: Config, run_id: int, as_json: bool) -> int:
    async with existing_store(config, read_only=True) as store:
        record = await store.runbook_run(run_id)
        # only the end is shown: read the newest chunks, not megabytes of kept output
        tail = "" if record is None else await store.runbook_output_tail(run_id, SHOWN_OUTPUT)
    if record is None:
        print(f"warroom: no runbook run #{run_id}", file=sys.stderr)
        return 1
    if as_json:
        print_json_line({**run_json(record), "output": tail})
        return 0
    _print_run(record, tail)
    return 0
