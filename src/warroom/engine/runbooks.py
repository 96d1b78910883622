"""Starting runbook runs and a responder's signals to them: the service's half.

A run's moves are decided by `model.runbook` (pure); this module reads the run,
asks the model, and writes the moved run with a conditional write naming the
version it read, in the transaction that records why on the timeline. Of two
consoles confirming one step, the second reads the run the first moved and the
model says it was already confirmed (`Stale`); a write that still loses (another
backend's process in between) is told the same way. The lease holder's runner
(`engine/run_duty.py`) moves automated steps through the same store calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from warroom.engine.context import Context
from warroom.engine.errors import ActionError
from warroom.engine.timeline import append
from warroom.model import Alert, events
from warroom.model import runbook as rb
from warroom.model.runbook import Run, StepRun, StepState
from warroom.model.runbook_notify import key_prefix
from warroom.model.runbook_steps import Runbook, StepKind
from warroom.model.text import strip_unsafe
from warroom.plans.plan import ResponsePlan
from warroom.plans.runbook_params import ParametersRefused, resolve_parameters
from warroom.store import RunRecord, Tx

REASON_LIMIT = 500


class Verb(StrEnum):
    CONFIRM = "confirm"
    APPROVE = "approve"
    REJECT = "reject"
    RETRY = "retry"
    SKIP = "skip"
    CANCEL = "cancel"


class RunbookInputError(ActionError):
    """What was asked cannot mean anything (no such runbook, run or parameter): bad
    input, as opposed to a sound request the run refuses."""


class RunStale(ActionError):
    """Someone else moved the run first; the message says what they did."""


_EVENTS: dict[Verb, type[events.Event]] = {
    Verb.CONFIRM: events.RunbookConfirmed,
    Verb.APPROVE: events.RunbookApproved,
    Verb.REJECT: events.RunbookRejected,
    Verb.RETRY: events.RunbookRetried,
    Verb.SKIP: events.RunbookSkipped,
}


def _move(run: Run, verb: Verb, step: str, attempt: int, actor: str, reason: str, tx: Tx) -> Run:
    now = tx.now
    if verb is Verb.CONFIRM:
        return rb.confirm(run, step, attempt, actor, now)
    if verb is Verb.APPROVE:
        return rb.approve(run, step, attempt, actor, now)
    if verb is Verb.REJECT:
        return rb.reject(run, step, attempt, actor, now, reason)
    if verb is Verb.RETRY:
        return rb.retry(run, step, attempt, actor, now)
    if verb is Verb.SKIP:
        return rb.skip(run, step, attempt, actor, now)
    return rb.cancel(run, actor, now, reason)


def first_alert_parameters(
    runbook: Runbook, given: Mapping[str, str], alerts: Sequence[Alert], plan: str
) -> dict[str, str | None]:
    """Parameters from what was given, else from the first of the incident's alerts
    that gives every required one a value (the first alert when none does, so the
    refusal names what is missing)."""
    refusal: ParametersRefused | None = None
    candidates: list[Alert | None] = [*alerts] or [None]
    for candidate in candidates:
        try:
            return resolve_parameters(runbook, given, candidate, plan)
        except ParametersRefused as exc:
            refusal = refusal or exc
    assert refusal is not None
    raise RunbookInputError(str(refusal))


async def start_in(
    tx: Tx,
    runbook: Runbook,
    parameters: Mapping[str, str | None],
    actor: str,
    incident_id: int | None,
) -> int:
    """Start a run in the caller's transaction (a responder's start, or triage's on
    declaring an incident whose plan says `runbook_start: auto`); its id."""
    run = rb.start(runbook, parameters, actor, tx.now, incident_id=incident_id)
    return await tx.start_runbook_run(run, actor)


async def start_plan_runbook(
    tx: Tx,
    plan: ResponsePlan,
    runbooks: Mapping[str, Runbook],
    incident_id: int,
    alerts: Sequence[Alert],
    actor: str,
) -> int | None:
    """The plan's runbook, started with the incident it belongs to when the plan says
    `start: auto` (the caller's transaction: no incident declared without it), whether
    triage or a responder declared it; the run's id, else None. Parameters its alerts
    cannot give leave a note on the incident saying how to start it by hand, rather
    than no run and no word."""
    if plan.runbook is None or plan.runbook_start != "auto":
        return None
    runbook = runbooks.get(plan.runbook)
    if runbook is None:  # `warroom check` names it; the plan loads without it
        return None
    try:
        parameters = first_alert_parameters(runbook, {}, alerts, plan.name)
    except RunbookInputError as exc:
        note = events.Note(
            f"Runbook {runbook.name} not started: {exc}"
            f" (warroom runbook start {incident_id} {runbook.name} --param NAME=VALUE)"
        )
        await append(tx, incident_id, actor, note)
        return None
    return await start_in(tx, runbook, parameters, actor, incident_id)


class RunbookActions:
    """Start a runbook on an incident; confirm, approve, reject, retry, skip, cancel."""

    def __init__(self, context: Context, runbooks: Mapping[str, Runbook] | None = None) -> None:
        self.context = context
        self.runbooks: Mapping[str, Runbook] = runbooks or {}

    async def start(
        self, incident_id: int | None, name: str, params: Mapping[str, str]
    ) -> RunRecord:
        """Start the named runbook of the loaded plans, its parameters defaulted from
        the incident's alert labels; RunbookInputError (nothing written) when there is
        no such runbook or incident, or a required parameter has no value."""
        runbook = self.runbooks.get(name)
        if runbook is None:
            known = ", ".join(sorted(self.runbooks)) or "none declared in the plans"
            raise RunbookInputError(f"no runbook named {name!r} (known: {known})")
        store = self.context.store
        plan = ""
        alerts: list[Alert] = []
        if incident_id is not None:
            incident = await store.incident(incident_id)
            if incident is None:
                raise RunbookInputError(f"no incident #{incident_id}")
            plan = incident.plan or ""
            alerts = [t.alert for t in await store.incident_alerts(incident_id)]
        parameters = first_alert_parameters(runbook, params, alerts, plan)
        actor = self.context.actor
        async with self.context.transaction() as tx:
            run_id = await start_in(tx, runbook, parameters, actor, incident_id)
            record = await tx.runbook_run(run_id)
        assert record is not None
        return record

    async def signal(
        self, run_id: int, step: str, attempt: int, verb: Verb | str, reason: str = ""
    ) -> RunRecord:
        """Apply a responder's verb to the step at the attempt they saw, in one
        conditional write with its timeline event. RunStale when another console
        moved it first; ActionError when the run refuses (the starter approving)."""
        try:
            verb = Verb(verb)
        except ValueError:
            raise RunbookInputError(
                f"no such signal {verb!r} (one of: {', '.join(v.value for v in Verb)})"
            ) from None
        reason = strip_unsafe(" ".join(reason.split()))  # typed: no escapes kept
        if len(reason) > REASON_LIMIT:
            raise RunbookInputError(
                f"the reason is {len(reason)} characters; at most {REASON_LIMIT}"
            )
        actor = self.context.actor
        async with self.context.transaction() as tx:
            record = await tx.runbook_run(run_id)
            if record is None:
                raise RunbookInputError(f"no runbook run #{run_id}")
            try:
                moved = _move(record.run, verb, step, attempt, actor, reason, tx)
            except rb.Stale as exc:
                raise RunStale(str(exc)) from None
            except rb.Refused as exc:
                raise ActionError(str(exc)) from None
            if not await tx.update_runbook_run(run_id, record.version, moved):
                raise RunStale(
                    f"run #{run_id} was moved by someone else meanwhile: nothing done; look again"
                )
            await append(tx, record.incident_id, actor, _event(record, verb, step, attempt, reason))
            if verb is Verb.CANCEL:
                await _stop_notices(tx, record, f"the run was cancelled by {actor}")
            after = await tx.runbook_run(run_id)
        assert after is not None
        return after


async def _stop_notices(tx: Tx, record: RunRecord, why: str) -> None:
    """A cancelled run sends no notice its running notify step queued and no channel
    took yet (one being sent is its sender's)."""
    run = record.run
    if run.current is None:
        return
    step, state = run.runbook.steps[run.current], run.steps[run.current]
    if step.kind is StepKind.NOTIFY and state.state is StepState.RUNNING:
        await tx.cancel_keyed(key_prefix(record.id, state.name, state.attempt), why)


def _event(record: RunRecord, verb: Verb, step: str, attempt: int, reason: str) -> events.Event:
    name = record.run.runbook.name
    if verb is Verb.CANCEL:
        return events.RunbookCancelled(record.id, name, reason)
    kind = _EVENTS[verb]
    return kind(record.id, name, step, attempt, reason)  # type: ignore[call-arg]


def current_step(run: Run) -> StepRun | None:
    """The step a responder acts on now (None once the run ended)."""
    return None if run.current is None else run.steps[run.current]
