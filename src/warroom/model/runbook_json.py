"""A run (and the runbook copy frozen in it) as plain JSON values, and back.

The store keeps a run as one JSON document so a run is read and written whole,
under one version number (a conditional write either replaces all of it or
nothing). Everything is spelled out here rather than derived from the
dataclasses, so renaming a Python field never silently changes what old rows
mean: a document that does not fit raises `RunUnreadable` naming the field.
Times are ISO 8601 in UTC; durations are seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.model.runbook import Outcome, Run, StepRun, StepState
from warroom.model.runbook_steps import (
    Approve,
    Branch,
    Choice,
    Command,
    FailureAction,
    Http,
    Manual,
    Notify,
    Parameter,
    Runbook,
    Spec,
    Step,
    StepKind,
    Wait,
)

FORMAT = 1


class RunUnreadable(ValueError):
    """A stored run that does not fit this warroom's shape (a newer one's, or damage)."""


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _read_time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _span(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _read_span(value: Any) -> timedelta | None:
    return None if value is None else timedelta(seconds=float(value))


# -- the runbook --------------------------------------------------------------------------


def _spec(spec: Spec) -> dict[str, Any]:
    if isinstance(spec, Manual):
        return {"instructions": spec.instructions}
    if isinstance(spec, Command):
        return {"argv": list(spec.argv), "cwd": spec.cwd, "env": list(spec.env)}
    if isinstance(spec, Http):
        return {"url": spec.url, "method": spec.method, "expect_status": list(spec.expect_status)}
    if isinstance(spec, Approve):
        return {"message": spec.message}
    if isinstance(spec, Wait):
        return {"duration": _span(spec.duration), "until": spec.until}
    if isinstance(spec, Notify):
        return {"to": spec.to, "text": spec.text}
    return {
        "on": spec.on,
        "default": spec.default,
        "choices": [
            {
                "goto": c.goto,
                "exit_code": c.exit_code,
                "status": c.status,
                "output_contains": c.output_contains,
                "output_matches": c.output_matches,
            }
            for c in spec.choices
        ],
    }


def _read_spec(kind: StepKind, data: Mapping[str, Any]) -> Spec:
    if kind is StepKind.MANUAL:
        return Manual(str(data["instructions"]))
    if kind is StepKind.COMMAND:
        return Command(
            tuple(str(a) for a in data["argv"]),
            data.get("cwd"),
            tuple(str(e) for e in data.get("env", ())),
        )
    if kind is StepKind.HTTP:
        return Http(
            str(data["url"]),
            str(data.get("method", "GET")),
            tuple(int(s) for s in data.get("expect_status", ())),
        )
    if kind is StepKind.APPROVE:
        return Approve(str(data.get("message", "")))
    if kind is StepKind.WAIT:
        return Wait(_read_span(data.get("duration")), data.get("until"))
    if kind is StepKind.NOTIFY:
        return Notify(str(data["to"]), str(data["text"]))
    return Branch(
        str(data["on"]),
        tuple(
            Choice(
                str(c["goto"]),
                c.get("exit_code"),
                c.get("status"),
                c.get("output_contains"),
                c.get("output_matches"),
            )
            for c in data["choices"]
        ),
        data.get("default"),
    )


def runbook_to_json(runbook: Runbook) -> dict[str, Any]:
    return {
        "name": runbook.name,
        "description": runbook.description,
        "parameters": [
            {
                "name": p.name,
                "description": p.description,
                "default": p.default,
                "required": p.required,
            }
            for p in runbook.parameters
        ],
        "steps": [
            {
                "name": s.name,
                "kind": s.kind.value,
                "spec": _spec(s.spec),
                "on_failure": s.on_failure.value,
                "goto": s.goto,
                "max_attempts": s.max_attempts,
                "timeout": _span(s.timeout),
                "critical": s.critical,
                "idempotent": s.idempotent,
            }
            for s in runbook.steps
        ],
    }


def runbook_from_json(data: Mapping[str, Any]) -> Runbook:
    try:
        return Runbook(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            parameters=tuple(
                Parameter(
                    str(p["name"]),
                    str(p.get("description", "")),
                    p.get("default"),
                    bool(p.get("required", True)),
                )
                for p in data.get("parameters", ())
            ),
            steps=tuple(_read_step(s) for s in data["steps"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RunUnreadable(f"stored runbook does not fit: {exc!r}") from exc


def _read_step(data: Mapping[str, Any]) -> Step:
    kind = StepKind(data["kind"])
    return Step(
        name=str(data["name"]),
        kind=kind,
        spec=_read_spec(kind, data["spec"]),
        on_failure=FailureAction(data.get("on_failure", "abort")),
        goto=data.get("goto"),
        max_attempts=int(data.get("max_attempts", 1)),
        timeout=_read_span(data.get("timeout")),
        critical=bool(data.get("critical", True)),
        idempotent=bool(data.get("idempotent", False)),
    )


# -- the run -----------------------------------------------------------------------------


def _outcome(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "exit_code": outcome.exit_code,
        "status": outcome.status,
        "output": outcome.output,
        "error": outcome.error,
        "timed_out": outcome.timed_out,
        "refused": outcome.refused,
    }


def _read_outcome(data: Mapping[str, Any] | None) -> Outcome | None:
    if data is None:
        return None
    return Outcome(
        exit_code=data.get("exit_code"),
        status=data.get("status"),
        output=str(data.get("output", "")),
        error=str(data.get("error", "")),
        timed_out=bool(data.get("timed_out", False)),
        refused=bool(data.get("refused", False)),
    )


def run_to_json(run: Run) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "runbook": runbook_to_json(run.runbook),
        "parameters": dict(run.parameters),
        "started_by": run.started_by,
        "started_at": _time(run.started_at),
        "current": run.current,
        "cancelled": run.cancelled,
        "finished_at": _time(run.finished_at),
        "incident_id": run.incident_id,
        "steps": [
            {
                "name": s.name,
                "state": s.state.value,
                "attempt": s.attempt,
                "started_at": _time(s.started_at),
                "finished_at": _time(s.finished_at),
                "due_at": _time(s.due_at),
                "outcome": _outcome(s.outcome),
                "by": s.by,
                "reason": s.reason,
            }
            for s in run.steps
        ],
    }


def run_from_json(data: Mapping[str, Any]) -> Run:
    """RunUnreadable for a document of a newer format or one that does not fit."""
    if not isinstance(data, Mapping):
        raise RunUnreadable("stored run is not an object")
    if int(data.get("format", 0)) > FORMAT:
        raise RunUnreadable(f"stored run of format {data.get('format')}, newer than this")
    try:
        started_at = _read_time(data["started_at"])
        assert started_at is not None
        return Run(
            runbook=runbook_from_json(data["runbook"]),
            parameters={
                str(k): (None if v is None else str(v)) for k, v in data["parameters"].items()
            },
            started_by=str(data["started_by"]),
            started_at=started_at,
            steps=tuple(
                StepRun(
                    name=str(s["name"]),
                    state=StepState(s["state"]),
                    attempt=int(s["attempt"]),
                    started_at=_read_time(s.get("started_at")),
                    finished_at=_read_time(s.get("finished_at")),
                    due_at=_read_time(s.get("due_at")),
                    outcome=_read_outcome(s.get("outcome")),
                    by=str(s.get("by", "")),
                    reason=str(s.get("reason", "")),
                )
                for s in data["steps"]
            ),
            current=data.get("current"),
            cancelled=bool(data.get("cancelled", False)),
            finished_at=_read_time(data.get("finished_at")),
            incident_id=data.get("incident_id"),
        )
    except (KeyError, TypeError, ValueError, AssertionError, AttributeError) as exc:
        if isinstance(exc, RunUnreadable):
            raise
        raise RunUnreadable(f"stored run does not fit: {exc!r}") from exc
