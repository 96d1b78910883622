"""A run, with its frozen runbook, survives the store's JSON whole (issue 11): every
step kind and property, every state, outcomes and times come back equal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from warroom.model import runbook as rb
from warroom.model.runbook import Outcome
from warroom.model.runbook_json import RunUnreadable, run_from_json, run_to_json
from warroom.model.runbook_steps import (
    ALERTS_RESOLVED,
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
    Step,
    StepKind,
    Wait,
)

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

BOOK = Runbook(
    "restart-api",
    (
        Step(
            "restart",
            StepKind.COMMAND,
            Command(("systemctl", "restart", "{params.unit}"), "/tmp", ("PATH",)),
            on_failure=FailureAction.GOTO,
            goto="check",
            max_attempts=3,
            timeout=timedelta(seconds=90),
            critical=False,
            idempotent=True,
        ),
        Step("look", StepKind.MANUAL, Manual("Look at **{params.unit}**")),
        Step("ok", StepKind.APPROVE, Approve("go?")),
        Step("calm", StepKind.WAIT, Wait(timedelta(minutes=5))),
        Step("gone", StepKind.WAIT, Wait(until=ALERTS_RESOLVED)),
        Step("check", StepKind.HTTP, Http("https://x/{params.unit}", "POST", (200, 204))),
        Step("tell", StepKind.NOTIFY, Notify("schedule:primary", "restarted")),
        Step(
            "which",
            StepKind.BRANCH,
            Branch(
                "restart",
                (Choice("tell", exit_code=1, output_contains="x", output_matches="^y"),),
                default="tell",
            ),
        ),
    ),
    description="Restart it",
    parameters=(
        Parameter("unit", "the unit", "{labels.job}", True),
        Parameter("x", required=False),
    ),
)


def test_a_started_run_round_trips_through_json() -> None:
    run = rb.start(BOOK, {"unit": "api", "x": None}, "alice", T0, incident_id=7)
    run = rb.begin(run, "restart", 0, T0)
    run = rb.result(run, "restart", 1, Outcome(exit_code=3, output="oops", error=""), T0)
    text = json.dumps(run_to_json(run))
    assert run_from_json(json.loads(text)) == run


def test_every_later_state_round_trips() -> None:
    run = rb.start(BOOK, {"unit": "api", "x": None}, "alice", T0)
    for _ in range(3):
        a = run.step("restart")[2].attempt
        run = rb.begin(run, "restart", a, T0)
        run = rb.result(run, "restart", a + 1, Outcome(timed_out=True), T0 + timedelta(seconds=5))
    run = rb.cancel(run, "bob", T0 + timedelta(minutes=1), "enough")
    assert run_from_json(json.loads(json.dumps(run_to_json(run)))) == run


def test_a_newer_or_damaged_document_is_refused_with_a_line() -> None:
    good = run_to_json(rb.start(BOOK, {"unit": "api"}, "alice", T0))
    with pytest.raises(RunUnreadable, match="newer"):
        run_from_json({**good, "format": 99})
    with pytest.raises(RunUnreadable, match="does not fit"):
        run_from_json({**good, "steps": [{"name": "x", "state": "exploded", "attempt": 0}]})
