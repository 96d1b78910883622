"""Starting a runbook and signalling its steps through the service (issue 11): parameters
from the incident's alert labels, one conditional write per signal with its timeline
event, two consoles on one step ending with one move, the starter's approval refused."""

from __future__ import annotations

import pytest
from tests.support.alerts import alert as firing

from warroom.engine import ActionError, Service
from warroom.engine.runbooks import RunbookInputError, RunStale
from warroom.model import EventKind, Impact
from warroom.model.events import RunbookConfirmed, read
from warroom.model.runbook import RunStatus, StepState
from warroom.model.runbook_steps import Approve, Command, Manual, Parameter, Runbook, Step, StepKind
from warroom.store import Store

from .helpers import T0

BOOK = Runbook(
    "disk",
    (
        Step("look", StepKind.MANUAL, Manual("look at {params.instance}")),
        Step("ok", StepKind.APPROVE, Approve("go?")),
        Step("clean", StepKind.COMMAND, Command(("du", "-sh", "{params.mountpoint}"))),
    ),
    parameters=(
        Parameter("instance", default="{labels.instance}"),
        Parameter("mountpoint", default="{labels.mountpoint}", required=False),
    ),
)
RUNBOOKS = {"disk": BOOK}


def _service(store: Store, actor: str) -> Service:
    return Service(store, actor, runbooks=RUNBOOKS)


async def _incident(store: Store, **labels: str) -> int:
    alert = firing("DiskAlmostFull", source="prom", starts_at=T0, labels=labels)
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [alert])
    return await _service(store, "alice").declare_incident([alert.key], "disk", Impact.HIGH)


async def test_parameters_come_from_the_incidents_alert_labels(store: Store) -> None:
    incident_id = await _incident(store, instance="db-3:9100", mountpoint="/var")
    record = await _service(store, "alice").start_runbook(incident_id, "disk")
    assert record.run.parameters == {"instance": "db-3:9100", "mountpoint": "/var"}
    assert (record.incident_id, record.started_by, record.version) == (incident_id, "alice", 1)
    given = await _service(store, "alice").start_runbook(
        incident_id, "disk", {"mountpoint": "/srv"}
    )
    assert given.run.parameters == {"instance": "db-3:9100", "mountpoint": "/srv"}
    kinds = [e.kind for e in await store.timeline(incident_id)]
    assert kinds.count(EventKind.RUNBOOK_STARTED) == 2


async def test_a_start_that_cannot_mean_anything_writes_nothing(store: Store) -> None:
    incident_id = await _incident(store, mountpoint="/var")  # no instance label
    service = _service(store, "alice")
    with pytest.raises(RunbookInputError, match=r"'instance'.*--param"):
        await service.start_runbook(incident_id, "disk")
    with pytest.raises(RunbookInputError, match=r"no runbook named 'nope' \(known: disk\)"):
        await service.start_runbook(incident_id, "nope")
    with pytest.raises(RunbookInputError, match="no parameter 'colour'"):
        await service.start_runbook(incident_id, "disk", {"colour": "red", "instance": "x"})
    with pytest.raises(RunbookInputError, match="no incident #99"):
        await service.start_runbook(99, "disk", {"instance": "x"})
    assert await store.runbook_runs(incident_id) == []


async def test_two_consoles_confirming_one_step_move_it_once(store: Store) -> None:
    incident_id = await _incident(store, instance="db-3")
    started = await _service(store, "alice").start_runbook(incident_id, "disk")
    look = started.run.steps[0]
    assert look.state is StepState.WAITING_CONFIRMATION
    bob, carol = _service(store, "bob"), _service(store, "carol")
    moved = await bob.signal_runbook(started.id, "look", look.attempt, "confirm")
    assert moved.version == 2 and moved.run.steps[0].by == "bob"
    with pytest.raises(RunStale, match="already confirmed by bob"):
        await carol.signal_runbook(started.id, "look", look.attempt, "confirm")
    record = await store.runbook_run(started.id)
    assert record is not None and record.version == 2
    confirmed = [
        read(e) for e in await store.timeline(incident_id) if e.kind == EventKind.RUNBOOK_CONFIRMED
    ]
    assert len(confirmed) == 1
    assert isinstance(confirmed[0], RunbookConfirmed) and confirmed[0].run_id == started.id
    assert confirmed[0].step == "look"


async def test_the_starter_cannot_approve_but_another_responder_can(store: Store) -> None:
    incident_id = await _incident(store, instance="db-3")
    alice = _service(store, "alice")
    started = await alice.start_runbook(incident_id, "disk")
    after = await alice.signal_runbook(started.id, "look", 1, "confirm")
    ok = after.run.steps[1]
    assert ok.state is StepState.WAITING_APPROVAL
    with pytest.raises(ActionError, match="alice started this run and cannot approve"):
        await alice.signal_runbook(started.id, "ok", ok.attempt, "approve")
    approved = await _service(store, "bob").signal_runbook(started.id, "ok", ok.attempt, "approve")
    assert approved.run.steps[1].state is StepState.SUCCEEDED
    assert approved.run.steps[2].state is StepState.PENDING  # the runner's now
    assert [r.id for r in await store.active_runbook_runs()] == [started.id]


async def test_reject_and_cancel_are_recorded_with_their_reason(store: Store) -> None:
    incident_id = await _incident(store, instance="db-3")
    alice, bob = _service(store, "alice"), _service(store, "bob")
    started = await alice.start_runbook(incident_id, "disk")
    await alice.signal_runbook(started.id, "look", 1, "confirm")
    rejected = await bob.signal_runbook(started.id, "ok", 1, "reject", " not \x1b[2J  now\n")
    assert rejected.run.status is RunStatus.FAILED
    texts = [e.text for e in await store.timeline(incident_id)]
    assert "Runbook disk: step ok rejected: not [2J now" in texts  # typed: no escape kept
    assert rejected.run.steps[1].reason == "rejected by bob: not [2J now"
    with pytest.raises(RunStale):  # a failed run stopped at its step is still cancellable
        await bob.signal_runbook(started.id, "ok", 1, "approve")
    cancelled = await bob.signal_runbook(started.id, "ok", 1, "cancel", "wrong host")
    assert cancelled.run.status is RunStatus.CANCELLED
    assert f"Cancelled runbook disk (run #{started.id}): wrong host" in [
        e.text for e in await store.timeline(incident_id)
    ]
    with pytest.raises(RunStale, match="already cancelled"):
        await alice.signal_runbook(started.id, "ok", 1, "cancel")


async def test_unknown_runs_steps_and_verbs_are_bad_input(store: Store) -> None:
    alice = _service(store, "alice")
    with pytest.raises(RunbookInputError, match="no runbook run #5"):
        await alice.signal_runbook(5, "look", 1, "confirm")
    started = await alice.start_runbook(None, "disk", {"instance": "x"})
    with pytest.raises(RunbookInputError, match="no such signal 'launch'"):
        await alice.signal_runbook(started.id, "look", 1, "launch")
    with pytest.raises(ActionError, match="has no step 'nope'"):
        await alice.signal_runbook(started.id, "nope", 1, "confirm")
