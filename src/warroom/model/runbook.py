"""A runbook run as a pure state machine: which step is next, and who may move it.

A run holds a frozen copy of the runbook as it was started, its parameters, who
started it, and one record per step. The engine stores it and moves it only
through these functions, writing the new run in the transaction that records
why; every function returns a new `Run` or raises `Refused` (or `Stale`, its
kind for "someone else already did it"), never half a move.

Rules, after SSM Automation (see the research note, §1):
- Automated steps (command, http, notify) go pending -> running -> a result.
  `begin` is written before the process starts, so after a crash a step found
  `running` had maybe started: `recover` marks it `interrupted`, and only an
  `idempotent` step is retried on its own (within `max_attempts`); any other
  waits for a responder to retry or skip it. A pending step never started.
- A failed attempt is retried until `max_attempts`; then `on_failure`: abort
  stops the run (failed; a responder may still retry or skip the step), continue
  goes on, step:NAME jumps forward to that step. The run ends failed if a
  `critical` step failed, else succeeded.
- A manual step waits for any responder's confirmation; an approve step for an
  approval by anyone but the one who started the run. An approval is approved or
  rejected, never skipped: skipping it would be approving without saying so.
- A branch is decided at once from an earlier step's result; steps jumped over
  are skipped. Jumps only go forward, so a run always ends.
- Every signal names the step and the attempt the responder saw (as escalation's
  `escalate` names the stage): a second console confirming the same step is told
  it was already confirmed, and nothing moves twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from warroom.model.runbook_steps import (
    ALERTS_RESOLVED,
    Branch,
    Choice,
    Command,
    FailureAction,
    Http,
    Runbook,
    Step,
    StepKind,
    Wait,
)
from warroom.model.value import Value, replace


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING_CONFIRMATION = "waiting-confirmation"
    WAITING_APPROVAL = "waiting-approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self in (StepState.SUCCEEDED, StepState.SKIPPED, StepState.CANCELLED)


class RunStatus(StrEnum):
    RUNNING = "running"  # automated work to do or under way
    WAITING = "waiting"  # a responder must act: confirm, approve, or decide after a crash
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # stopped at a failed step, or ended with a critical step failed
    CANCELLED = "cancelled"


class Outcome(Value, frozen=True):
    """What an automated attempt came to, as the runner saw it."""

    exit_code: int | None = None
    status: int | None = None  # an http step's status
    output: str = ""  # a bounded excerpt, already stripped of escapes
    error: str = ""  # could not start, could not deliver
    timed_out: bool = False
    refused: bool = False  # refused before it ran (argv rules): another attempt cannot help


class StepRun(Value, frozen=True):
    name: str
    state: StepState = StepState.PENDING
    attempt: int = 0  # attempts begun; a responder's signal names the one it saw
    started_at: datetime | None = None
    finished_at: datetime | None = None
    due_at: datetime | None = None  # a wait's end, or a timeout
    outcome: Outcome | None = None
    by: str = ""  # who confirmed, approved, rejected, retried or skipped it
    reason: str = ""  # why it is in this state, for the timeline


class Run(Value, frozen=True):
    runbook: Runbook  # the copy frozen at start
    parameters: Mapping[str, str | None]  # None: an optional parameter without a value
    started_by: str
    started_at: datetime
    steps: tuple[StepRun, ...]
    current: int | None = 0  # the step in progress; None once the run ended
    cancelled: bool = False
    finished_at: datetime | None = None
    incident_id: int | None = None

    @property
    def status(self) -> RunStatus:
        if self.cancelled:
            return RunStatus.CANCELLED
        if self.current is None:
            failed = any(
                s.state is StepState.FAILED and self.runbook.steps[i].critical
                for i, s in enumerate(self.steps)
            )
            return RunStatus.FAILED if failed else RunStatus.SUCCEEDED
        state = self.steps[self.current].state
        if state is StepState.FAILED:
            return RunStatus.FAILED
        if state in (
            StepState.WAITING_CONFIRMATION,
            StepState.WAITING_APPROVAL,
            StepState.INTERRUPTED,
        ):
            return RunStatus.WAITING
        return RunStatus.RUNNING

    def step(self, name: str) -> tuple[int, Step, StepRun]:
        try:
            i = self.runbook.index(name)
        except KeyError:
            names = ", ".join(s.name for s in self.runbook.steps)
            raise Refused(f"runbook {self.runbook.name!r} has no step {name!r} ({names})") from None
        return i, self.runbook.steps[i], self.steps[i]


class Refused(Exception):
    """A move the run does not allow; the message is for the responder."""


class Stale(Refused):
    """The step moved on since the responder looked (another console acted): nothing done."""


def start(
    runbook: Runbook,
    parameters: Mapping[str, str | None],
    by: str,
    now: datetime,
    incident_id: int | None = None,
) -> Run:
    run = Run(
        runbook=runbook,
        parameters=dict(parameters),
        started_by=by,
        started_at=now,
        steps=tuple(StepRun(s.name) for s in runbook.steps),
        incident_id=incident_id,
    )
    return _enter(run, 0, now)


# -- moving through the steps ---------------------------------------------------------------


def _set(run: Run, i: int, **changes: object) -> Run:
    steps = list(run.steps)
    steps[i] = replace(steps[i], **changes)
    return replace(run, steps=tuple(steps))


def _enter(run: Run, i: int, now: datetime) -> Run:
    """Make step `i` the current one, in the state its kind starts in."""
    if i >= len(run.steps):
        return replace(run, current=None, finished_at=now)
    run = replace(run, current=i, finished_at=None)
    step = run.runbook.steps[i]
    waits = {
        StepKind.MANUAL: StepState.WAITING_CONFIRMATION,
        StepKind.APPROVE: StepState.WAITING_APPROVAL,
        StepKind.WAIT: StepState.RUNNING,
    }
    if step.kind in waits:  # a step that waits (for a responder, or time) starts now
        return _set(
            run,
            i,
            state=waits[step.kind],
            attempt=run.steps[i].attempt + 1,
            started_at=now,
            due_at=_deadline(step, now),
        )
    if step.kind is StepKind.BRANCH:
        return _branch(run, i, now)
    return _set(run, i, state=StepState.PENDING)  # automated: the runner begins it


def _deadline(step: Step, now: datetime) -> datetime | None:
    limit = step.deadline
    return now + limit if limit is not None else None


def _next(run: Run, i: int, now: datetime) -> Run:
    return _enter(run, i + 1, now)


def _jump(run: Run, i: int, target: str, now: datetime, why: str) -> Run:
    """Forward to `target`, skipping the steps in between."""
    to = run.runbook.index(target)
    for j in range(i + 1, to):
        if not run.steps[j].state.done:
            run = _set(run, j, state=StepState.SKIPPED, reason=why)
    return _enter(run, to, now)


def _branch(run: Run, i: int, now: datetime) -> Run:
    spec = run.runbook.steps[i].spec
    assert isinstance(spec, Branch)
    on = run.steps[run.runbook.index(spec.on)]
    for choice in spec.choices:
        if on.outcome is not None and _holds(choice, on.outcome):
            why = f"{spec.on!r} {_said(on.outcome)}: went to {choice.goto!r}"
            run = _set(
                run,
                i,
                state=StepState.SUCCEEDED,
                started_at=now,
                finished_at=now,
                attempt=run.steps[i].attempt + 1,
                reason=why,
            )
            return _jump(run, i, choice.goto, now, f"branch {run.steps[i].name!r} {why}")
    why = "no choice held: " + (f"went to {spec.default!r}" if spec.default else "next step")
    run = _set(
        run,
        i,
        state=StepState.SUCCEEDED,
        started_at=now,
        finished_at=now,
        attempt=run.steps[i].attempt + 1,
        reason=why,
    )
    if spec.default is not None:
        return _jump(run, i, spec.default, now, f"branch {run.steps[i].name!r} {why}")
    return _next(run, i, now)


def _holds(choice: Choice, outcome: Outcome) -> bool:
    if choice.exit_code is not None and outcome.exit_code != choice.exit_code:
        return False
    if choice.status is not None and outcome.status != choice.status:
        return False
    if choice.output_contains is not None and choice.output_contains not in outcome.output:
        return False
    return (
        choice.output_matches is None
        or re.search(choice.output_matches, outcome.output) is not None
    )


def _said(outcome: Outcome) -> str:
    if outcome.status is not None:
        return f"answered {outcome.status}"
    if outcome.exit_code is not None:
        return f"exited {outcome.exit_code}"
    return "gave no result"


def succeeded(step: Step, outcome: Outcome) -> bool:
    if outcome.error or outcome.timed_out or outcome.refused:
        return False
    if isinstance(step.spec, Command):
        return outcome.exit_code == 0
    if isinstance(step.spec, Http):
        if step.spec.expect_status:
            return outcome.status in step.spec.expect_status
        return outcome.status is not None and 200 <= outcome.status < 300
    return True


def _failure(outcome: Outcome, step: Step) -> str:
    if outcome.refused:
        return f"refused: {outcome.error}"
    if outcome.timed_out:
        return f"timed out after {step.deadline}"
    if outcome.error:
        return outcome.error
    if outcome.status is not None:
        return f"answered {outcome.status}"
    return f"exited {outcome.exit_code}"


def _fail(run: Run, i: int, now: datetime, reason: str, by: str = "") -> Run:
    """The step failed for good: its on_failure decides what comes next."""
    step = run.runbook.steps[i]
    run = _set(run, i, state=StepState.FAILED, finished_at=now, due_at=None, reason=reason, by=by)
    if step.on_failure is FailureAction.CONTINUE:
        return _next(run, i, now)
    if step.on_failure is FailureAction.GOTO and step.goto is not None:
        return _jump(run, i, step.goto, now, f"{step.name!r} failed: went to {step.goto!r}")
    return replace(run, finished_at=now)  # abort: stopped here, failed


def _current(run: Run, name: str, attempt: int, *states: StepState) -> tuple[int, Step, StepRun]:
    """The step a signal names, if it is where the responder saw it; else Stale/Refused."""
    i, step, record = run.step(name)
    if run.cancelled:
        raise Stale(f"the run of {run.runbook.name!r} was cancelled: nothing done")
    if record.attempt != attempt or record.state not in states:
        now_is = f"already {record.reason}" if record.reason else f"{record.state}"
        raise Stale(
            f"step {name!r} (attempt {record.attempt}) is {now_is}:"
            f" nothing done (you saw attempt {attempt})"
        )
    if run.current != i:
        raise Stale(f"step {name!r} is no longer the current step: nothing done")
    return i, step, record


# -- the runner's moves ----------------------------------------------------------------------


def begin(run: Run, name: str, attempt: int, now: datetime) -> Run:
    """The runner is about to start attempt `attempt + 1` of an automated step: written
    before the process starts, so a crash after it leaves the step `running`."""
    i, step, _ = _current(run, name, attempt, StepState.PENDING)
    if not step.kind.automated:
        raise Refused(f"step {name!r} is a {step.kind} step: nothing to run")
    return _set(
        run,
        i,
        state=StepState.RUNNING,
        attempt=attempt + 1,
        started_at=now,
        finished_at=None,
        due_at=_deadline(step, now),
        outcome=None,
        reason="",
    )


def result(run: Run, name: str, attempt: int, outcome: Outcome, now: datetime) -> Run:
    """Attempt `attempt` of a running step ended; a result for an older attempt is Stale."""
    i, step, _ = _current(run, name, attempt, StepState.RUNNING)
    run = _set(run, i, outcome=outcome)
    if succeeded(step, outcome):
        run = _set(run, i, state=StepState.SUCCEEDED, finished_at=now, due_at=None)
        return _next(run, i, now)
    reason = _failure(outcome, step)
    if not outcome.refused and attempt < step.max_attempts:
        return _set(
            run,
            i,
            state=StepState.PENDING,
            due_at=None,
            reason=f"attempt {attempt} of {step.max_attempts}: {reason}; trying again",
        )
    return _fail(run, i, now, reason)


def tick(run: Run, now: datetime) -> Run:
    """Time passed: a wait whose duration is over succeeds; a wait, confirmation or
    approval past its timeout fails. Automated steps time out in the runner."""
    i = run.current
    if i is None or run.cancelled:
        return run
    step, record = run.runbook.steps[i], run.steps[i]
    if record.due_at is None or record.due_at > now or step.kind.automated:
        return run
    if step.kind is StepKind.WAIT and isinstance(step.spec, Wait) and step.spec.until is None:
        run = _set(run, i, state=StepState.SUCCEEDED, finished_at=now, due_at=None)
        return _next(run, i, now)
    if record.state in (
        StepState.RUNNING,
        StepState.WAITING_CONFIRMATION,
        StepState.WAITING_APPROVAL,
    ):
        return _fail(run, i, now, f"timed out after {step.deadline}")
    return run


def alerts_resolved(run: Run, now: datetime) -> Run:
    """Every alert of the incident resolved: a wait for that is over."""
    i = run.current
    if i is None or run.cancelled:
        return run
    step, record = run.runbook.steps[i], run.steps[i]
    if (
        isinstance(step.spec, Wait)
        and step.spec.until == ALERTS_RESOLVED
        and record.state is StepState.RUNNING
    ):
        run = _set(
            run,
            i,
            state=StepState.SUCCEEDED,
            finished_at=now,
            due_at=None,
            reason="the incident's alerts resolved",
        )
        return _next(run, i, now)
    return run


def recover(run: Run, now: datetime) -> Run:
    """After a crash, once the engine adopted what finished and re-attached what still
    runs: an automated step still `running` is interrupted. An idempotent one with
    attempts left goes back to pending on its own; any other waits for a responder."""
    i = run.current
    if i is None or run.cancelled:
        return run
    step, record = run.runbook.steps[i], run.steps[i]
    if record.state is not StepState.RUNNING or not step.kind.automated:
        return run
    if step.idempotent and record.attempt < step.max_attempts:
        return _set(
            run,
            i,
            state=StepState.PENDING,
            due_at=None,
            reason=f"attempt {record.attempt} interrupted by a restart; idempotent: again",
        )
    return _set(
        run,
        i,
        state=StepState.INTERRUPTED,
        due_at=None,
        reason="interrupted by a restart: its outcome is unknown; retry or skip it",
    )


# -- a responder's moves ---------------------------------------------------------------------


def confirm(run: Run, name: str, attempt: int, by: str, now: datetime) -> Run:
    """Any responder says a manual step is done."""
    i, _, _ = _current(run, name, attempt, StepState.WAITING_CONFIRMATION)
    return _answered(run, i, by, f"confirmed by {by}", now)


def approve(run: Run, name: str, attempt: int, by: str, now: datetime) -> Run:
    """A second responder approves; the one who started the run may not."""
    i, _, _ = _current(run, name, attempt, StepState.WAITING_APPROVAL)
    if by == run.started_by:
        raise Refused(
            f"{by} started this run and cannot approve its step {name!r}:"
            " another responder must approve"
        )
    return _answered(run, i, by, f"approved by {by}", now)


def _answered(run: Run, i: int, by: str, reason: str, now: datetime) -> Run:
    """A responder's yes ends a waiting step: it succeeded, said by whom, and the run
    goes on."""
    run = _set(
        run, i, state=StepState.SUCCEEDED, finished_at=now, due_at=None, by=by, reason=reason
    )
    return _next(run, i, now)


def reject(run: Run, name: str, attempt: int, by: str, now: datetime, why: str = "") -> Run:
    """An approval refused, or a manual step that could not be done: the step fails
    (no further attempts: a person said no) and its on_failure decides."""
    i, _, _ = _current(
        run, name, attempt, StepState.WAITING_APPROVAL, StepState.WAITING_CONFIRMATION
    )
    return _fail(run, i, now, f"rejected by {by}" + (f": {why}" if why else ""), by=by)


def retry(run: Run, name: str, attempt: int, by: str, now: datetime) -> Run:
    """Try a failed or interrupted step again (a responder's retry is not bound by
    max_attempts: they decided). The run goes on from there."""
    i, _, _ = _current(run, name, attempt, StepState.FAILED, StepState.INTERRUPTED)
    run = _set(run, i, by=by, reason=f"retried by {by}", outcome=None, finished_at=None)
    return _enter(run, i, now)


def skip(run: Run, name: str, attempt: int, by: str, now: datetime) -> Run:
    """Pass over the current step; not a running one (wait for it or cancel the run),
    and never an approval."""
    i, step, record = run.step(name)
    if step.kind is StepKind.APPROVE:
        raise Refused(f"step {name!r} is an approval: approve or reject it, it cannot be skipped")
    if record.state is StepState.RUNNING and step.kind is not StepKind.WAIT:
        raise Refused(f"step {name!r} is running: wait for it, or cancel the run")
    i, _, _ = _current(
        run,
        name,
        attempt,
        StepState.PENDING,
        StepState.RUNNING,
        StepState.WAITING_CONFIRMATION,
        StepState.FAILED,
        StepState.INTERRUPTED,
    )
    run = _set(
        run,
        i,
        state=StepState.SKIPPED,
        finished_at=now,
        due_at=None,
        by=by,
        reason=f"skipped by {by}",
    )
    return _next(run, i, now)


def cancel(run: Run, by: str, now: datetime, why: str = "") -> Run:
    """Stop the run; a step running is cancelled (the runner stops its process)."""
    if run.cancelled or run.current is None:
        raise Stale(f"the run of {run.runbook.name!r} is already {run.status}: nothing done")
    i = run.current
    reason = f"cancelled by {by}" + (f": {why}" if why else "")
    if not run.steps[i].state.done and run.steps[i].state is not StepState.FAILED:
        run = _set(
            run, i, state=StepState.CANCELLED, finished_at=now, due_at=None, by=by, reason=reason
        )
    return replace(run, cancelled=True, current=None, finished_at=now)


def changed(before: Run, after: Run) -> list[tuple[StepRun, StepRun]]:
    """The steps a move changed, (before, after), for the timeline."""
    return [(b, a) for b, a in zip(before.steps, after.steps, strict=True) if b != a]
