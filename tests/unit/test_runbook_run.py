"""The runbook run as a pure state machine (issue 11, items 1 and 4): every move, its
refusals, and what a crash leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.model import runbook as rb
from warroom.model.runbook import Outcome, Refused, RunStatus, Stale, StepState
from warroom.model.runbook_steps import (
    ALERTS_RESOLVED,
    Approve,
    Branch,
    Choice,
    Command,
    FailureAction,
    Http,
    Manual,
    Runbook,
    Step,
    StepKind,
    Wait,
)

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
OK = Outcome(exit_code=0, output="done")
BAD = Outcome(exit_code=1, output="no")


def command(name: str, **props: object) -> Step:
    return Step(name, StepKind.COMMAND, Command(("true",)), **props)  # type: ignore[arg-type]


def manual(name: str, **props: object) -> Step:
    return Step(name, StepKind.MANUAL, Manual("do it"), **props)  # type: ignore[arg-type]


def approve(name: str) -> Step:
    return Step(name, StepKind.APPROVE, Approve("ok?"))


def book(*steps: Step) -> Runbook:
    return Runbook("rb", tuple(steps))


def states(run: rb.Run) -> list[str]:
    return [s.state.value for s in run.steps]


def run_ok(run: rb.Run, name: str, outcome: Outcome = OK) -> rb.Run:
    attempt = run.step(name)[2].attempt
    run = rb.begin(run, name, attempt, T0)
    return rb.result(run, name, attempt + 1, outcome, T0)


def test_a_run_walks_its_steps_to_success() -> None:
    run = rb.start(book(command("a"), manual("b"), approve("c")), {}, "alice", T0)
    assert (states(run), run.status) == (["pending", "pending", "pending"], RunStatus.RUNNING)
    run = run_ok(run, "a")
    assert states(run)[:2] == ["succeeded", "waiting-confirmation"]
    assert run.status is RunStatus.WAITING
    run = rb.confirm(run, "b", 1, "alice", T0)
    assert states(run)[2] == "waiting-approval"
    run = rb.approve(run, "c", 1, "bob", T0)
    assert (states(run), run.status, run.current) == (
        ["succeeded"] * 3,
        RunStatus.SUCCEEDED,
        None,
    )
    assert run.steps[2].by == "bob" and run.finished_at == T0


def test_the_starter_cannot_approve_but_another_responder_can() -> None:
    run = rb.start(book(approve("go")), {}, "alice", T0)
    with pytest.raises(Refused, match="alice started this run and cannot approve"):
        rb.approve(run, "go", 1, "alice", T0)
    assert rb.approve(run, "go", 1, "bob", T0).status is RunStatus.SUCCEEDED


def test_an_approval_cannot_be_skipped() -> None:
    run = rb.start(book(approve("go")), {}, "alice", T0)
    with pytest.raises(Refused, match="approve or reject it"):
        rb.skip(run, "go", 1, "bob", T0)


def test_two_consoles_confirming_one_step_confirm_it_once() -> None:
    run = rb.start(book(manual("look"), manual("next")), {}, "alice", T0)
    first = rb.confirm(run, "look", 1, "bob", T0)
    # the second console saw the same attempt of the same step, and acts on the new state
    with pytest.raises(
        Stale, match=r"'look' \(attempt 1\) is already confirmed by bob: nothing done"
    ):
        rb.confirm(first, "look", 1, "carol", T0)
    assert first.steps[0].by == "bob" and first.steps[1].state is StepState.WAITING_CONFIRMATION


def test_a_failed_attempt_is_retried_up_to_max_attempts_then_aborts() -> None:
    run = rb.start(book(command("a", max_attempts=2), command("b")), {}, "alice", T0)
    run = run_ok(run, "a", BAD)
    assert (run.steps[0].state, run.steps[0].attempt) == (StepState.PENDING, 1)
    assert "trying again" in run.steps[0].reason
    run = run_ok(run, "a", BAD)
    assert states(run) == ["failed", "pending"]
    assert run.status is RunStatus.FAILED and run.current == 0  # stopped at the failure
    # a responder may still retry it, and the run goes on
    run = rb.retry(run, "a", 2, "bob", T0)
    assert run.status is RunStatus.RUNNING
    run = run_ok(run, "a")
    assert states(run) == ["succeeded", "pending"]


def test_a_stale_result_of_an_older_attempt_is_refused() -> None:
    run = rb.start(book(command("a", max_attempts=3)), {}, "alice", T0)
    run = rb.begin(run, "a", 0, T0)
    with pytest.raises(Stale):
        rb.result(run, "a", 2, OK, T0)


def test_continue_goes_on_and_the_run_fails_only_for_a_critical_step() -> None:
    soft = command("soft", on_failure=FailureAction.CONTINUE, critical=False)
    run = run_ok(rb.start(book(soft, command("b")), {}, "alice", T0), "soft", BAD)
    run = run_ok(run, "b")
    assert (states(run), run.status) == (["failed", "succeeded"], RunStatus.SUCCEEDED)
    hard = command("hard", on_failure=FailureAction.CONTINUE, critical=True)
    run = run_ok(rb.start(book(hard, command("b")), {}, "alice", T0), "hard", BAD)
    run = run_ok(run, "b")
    assert run.status is RunStatus.FAILED


def test_on_failure_step_jumps_forward_skipping_what_is_between() -> None:
    first = command("a", on_failure=FailureAction.GOTO, goto="rollback")
    run = rb.start(book(first, command("b"), command("rollback")), {}, "alice", T0)
    run = run_ok(run, "a", Outcome(timed_out=True))
    assert states(run) == ["failed", "skipped", "pending"]
    assert run.steps[0].reason.startswith("timed out after")
    assert "went to 'rollback'" in run.steps[1].reason


def test_a_refused_argv_is_not_retried() -> None:
    run = rb.start(book(command("a", max_attempts=5)), {}, "alice", T0)
    refused = Outcome(error="step 'a', argument 1: starts with '-'", refused=True)
    run = run_ok(run, "a", refused)
    assert run.steps[0].state is StepState.FAILED and run.steps[0].attempt == 1
    assert run.steps[0].reason.startswith("refused: ")


@pytest.mark.parametrize(
    ("outcome", "went"),
    [
        (Outcome(exit_code=0, output="usage 97%"), "full"),
        (Outcome(exit_code=0, output="usage 12%"), "fine"),
        (Outcome(exit_code=2), "fine"),
    ],
)
def test_a_branch_reads_an_earlier_steps_result(outcome: Outcome, went: str) -> None:
    branch = Step(
        "decide",
        StepKind.BRANCH,
        Branch("check", (Choice("full", exit_code=0, output_matches=r"9\d%"),), default="fine"),
    )
    check = command("check", on_failure=FailureAction.CONTINUE, critical=False)
    steps = book(check, branch, manual("full"), manual("fine"))
    run = run_ok(rb.start(steps, {}, "alice", T0), "check", outcome)
    current = run.steps[run.current or 0]
    assert current.name == went and current.state is StepState.WAITING_CONFIRMATION
    assert run.steps[1].state is StepState.SUCCEEDED


def test_http_success_is_its_expected_status() -> None:
    probe = Step("probe", StepKind.HTTP, Http("http://x/", expect_status=(204,)))
    run = rb.start(book(probe), {}, "alice", T0)
    assert run_ok(run, "probe", Outcome(status=200)).status is RunStatus.FAILED
    assert run_ok(run, "probe", Outcome(status=204)).status is RunStatus.SUCCEEDED


def test_a_wait_ends_by_time_or_when_the_alerts_resolve() -> None:
    pause = Step("pause", StepKind.WAIT, Wait(duration=timedelta(minutes=5)))
    run = rb.start(book(pause), {}, "alice", T0)
    assert rb.tick(run, T0 + timedelta(minutes=4)) == run
    assert rb.tick(run, T0 + timedelta(minutes=5)).status is RunStatus.SUCCEEDED
    until = Step("until", StepKind.WAIT, Wait(until=ALERTS_RESOLVED), timeout=timedelta(hours=1))
    run = rb.start(book(until), {}, "alice", T0)
    assert rb.alerts_resolved(run, T0).status is RunStatus.SUCCEEDED
    late = rb.tick(run, T0 + timedelta(hours=1))
    assert (late.steps[0].state, late.status) == (StepState.FAILED, RunStatus.FAILED)


def test_after_a_crash_a_running_step_is_interrupted_and_waits_for_a_responder() -> None:
    run = rb.begin(rb.start(book(command("rm")), {}, "alice", T0), "rm", 0, T0)
    after = rb.recover(run, T0)
    assert (after.steps[0].state, after.status) == (StepState.INTERRUPTED, RunStatus.WAITING)
    # nothing runs it again by itself: a responder retries it (or skips it)
    assert rb.retry(after, "rm", 1, "bob", T0).steps[0].state is StepState.PENDING
    assert rb.skip(after, "rm", 1, "bob", T0).status is RunStatus.SUCCEEDED


def test_after_a_crash_an_idempotent_step_is_retried_on_its_own() -> None:
    step = command("df", idempotent=True, max_attempts=2)
    run = rb.begin(rb.start(book(step), {}, "alice", T0), "df", 0, T0)
    after = rb.recover(run, T0)
    assert (after.steps[0].state, after.steps[0].attempt) == (StepState.PENDING, 1)
    # its last attempt interrupted: a responder decides
    again = rb.recover(rb.begin(after, "df", 1, T0), T0)
    assert again.steps[0].state is StepState.INTERRUPTED


def test_a_pending_step_never_started_and_is_left_for_the_runner() -> None:
    run = rb.start(book(command("a")), {}, "alice", T0)
    assert rb.recover(run, T0) == run


def test_a_running_command_cannot_be_skipped_and_cancel_stops_the_run() -> None:
    run = rb.begin(rb.start(book(command("a"), manual("b")), {}, "alice", T0), "a", 0, T0)
    with pytest.raises(Refused, match="running: wait for it, or cancel"):
        rb.skip(run, "a", 1, "bob", T0)
    cancelled = rb.cancel(run, "bob", T0, "wrong host")
    assert cancelled.status is RunStatus.CANCELLED
    assert cancelled.steps[0].reason == "cancelled by bob: wrong host"
    with pytest.raises(Stale, match="already cancelled"):
        rb.cancel(cancelled, "carol", T0)
    with pytest.raises(Stale):
        rb.result(cancelled, "a", 1, OK, T0)


def test_a_rejection_fails_the_step_and_names_who() -> None:
    run = rb.start(book(approve("go"), manual("after")), {}, "alice", T0)
    run = rb.reject(run, "go", 1, "bob", T0, "not in business hours")
    assert run.steps[0].reason == "rejected by bob: not in business hours"
    assert run.status is RunStatus.FAILED


def test_the_run_keeps_the_runbook_it_started_with() -> None:
    first = book(manual("a"))
    run = rb.start(first, {"host": "db-1"}, "alice", T0, incident_id=7)
    assert run.runbook is first and run.parameters == {"host": "db-1"}
    assert (run.started_by, run.incident_id) == ("alice", 7)
    with pytest.raises(Refused, match="has no step 'zz'"):
        rb.confirm(run, "zz", 1, "bob", T0)
