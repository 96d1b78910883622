"""A runbook's notify step goes through issue 7's outbox and channels (issue 11): the
row is queued with the step's start, a real `log` channel delivers it, and the step
ends as the delivery did -- failed with the channel's reason, sent again only by a
responder's retry, and waited for (not interrupted, not resent) by a new lease
holder after the old one died between queue and send. Real SQLite, real channels."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, loopback
from tests.support.alerts import alert as firing

from warroom.engine import Service
from warroom.engine.delivery import DeliverDuty, Deliverer
from warroom.engine.paging import Paging
from warroom.engine.run_duty import RunDuty
from warroom.model import EventKind, Impact
from warroom.model.contact import ChannelType, Contact, DeclaredChannel
from warroom.model.oncall import Schedule
from warroom.model.paging import Directory, RowState
from warroom.model.runbook import RunStatus, StepState
from warroom.model.runbook_notify import key_prefix
from warroom.model.runbook_steps import Notify, Parameter, Runbook, Step, StepKind
from warroom.store import LeaseToken, Store

from .helpers import T0

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def book(to: str) -> Runbook:
    return Runbook(
        "tell",
        (Step("tell", StepKind.NOTIFY, Notify(to, "{params.service} is failing requests")),),
        parameters=(Parameter("service", default="{labels.service}"),),
    )


def directory(log: Path, schedules: dict[str, Schedule] | None = None) -> Directory:
    channel = DeclaredChannel("log", ChannelType.LOG, {"path": str(log)})
    alice = Contact("alice", (channel,), ())
    return Directory({"alice": alice}, schedules or {})


async def incident(store: Store, runbook: Runbook) -> tuple[Service, int, int]:
    service = Service(store, "alice", runbooks={"tell": runbook})
    alert = firing("HighErrorRate", source="prom", starts_at=T0, labels={"service": "api"})
    async with store.transaction(now=T0) as tx:
        await tx.apply_snapshot("prom", [alert])
    incident_id = await service.declare_incident([alert.key], "errors", Impact.HIGH)
    record = await service.start_runbook(incident_id, "tell")
    return service, incident_id, record.id


async def holder(store: Store, name: str = "engine") -> LeaseToken:
    token = await store.acquire_lease(name, timedelta(minutes=5))
    assert token is not None
    return token


def duties(
    store: Store, token: LeaseToken, tmp_path: Path, log: Path
) -> tuple[RunDuty, DeliverDuty]:
    found = directory(log)
    runner = RunDuty(store, token, tmp_path / "runs", paging=Paging(found))
    deliver = DeliverDuty(store, Deliverer(found.contacts), token)
    return runner, deliver


async def send(deliver: DeliverDuty) -> None:
    await deliver.run_once()
    await deliver.drain()


def lines(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


async def test_the_step_queues_a_row_the_channel_delivers_and_then_succeeds(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "pages.log"
    _, incident_id, run_id = await incident(store, book("contact:alice"))
    runner, deliver = duties(store, await holder(store), tmp_path, log)
    await runner.run_once()
    rows = await store.outbox_keyed(key_prefix(run_id, "tell", 1))
    assert [(r.target, r.channel, r.action, r.state) for r in rows] == [
        ("alice", "log", "notify", RowState.PENDING)
    ]
    assert rows[0].payload["title"] == "api is failing requests"
    record = await store.runbook_run(run_id)
    assert record is not None and record.run.steps[0].state is StepState.RUNNING
    await send(deliver)
    await runner.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    [sent] = lines(log)
    assert (sent["title"], sent["action"]) == ("api is failing requests", "notify")
    kinds = [e.kind for e in await store.timeline(incident_id)]
    assert EventKind.RUNBOOK_STEP_STARTED in kinds and EventKind.RUNBOOK_STEP_RESULT in kinds
    assert EventKind.PAGE_FAILED not in kinds
    await runner.run_once()
    await send(deliver)
    assert len(lines(log)) == 1  # nothing sent twice


async def test_a_failing_channel_fails_the_step_with_its_reason_and_a_retry_sends_again(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "missing" / "pages.log"  # its directory does not exist yet
    service, incident_id, run_id = await incident(store, book("contact:alice"))
    runner, deliver = duties(store, await holder(store), tmp_path, log)
    await runner.run_once()
    await send(deliver)
    await runner.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    step = record.run.steps[0]
    assert step.state is StepState.FAILED
    assert "not delivered" in step.reason and "cannot write" in step.reason
    assert "\n" not in step.reason
    results = [
        e for e in await store.timeline(incident_id) if e.kind is EventKind.RUNBOOK_STEP_RESULT
    ]
    assert len(results) == 1 and "cannot write" in json.dumps(results[0].data)
    log.parent.mkdir()
    await service.signal_runbook(run_id, "tell", step.attempt, "retry")
    await runner.run_once()
    await send(deliver)
    await runner.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert record.run.steps[0].attempt == 2
    assert len(lines(log)) == 1  # the retry sent it; the failed attempt wrote nothing


async def test_nobody_to_notify_fails_at_once_without_a_row(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "pages.log"
    _, _, run_id = await incident(store, book("contact:nobody"))
    runner, _ = duties(store, await holder(store), tmp_path, log)
    await runner.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    assert "no contact 'nobody'" in record.run.steps[0].reason
    assert await store.outbox_keyed(key_prefix(run_id, "tell", 1)) == []


async def test_a_new_holder_waits_for_the_queued_row_and_it_is_sent_once(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "pages.log"
    _, _, run_id = await incident(store, book("contact:alice"))
    first, _ = duties(store, await holder(store, "first"), tmp_path, log)
    await first.run_once()  # queued with the step's start; then the holder dies
    await store.release_lease("first")
    second, deliver = duties(store, await holder(store, "second"), tmp_path, log)
    await deliver.start()
    await second.recover()
    record = await store.runbook_run(run_id)
    assert record is not None and record.run.steps[0].state is StepState.RUNNING
    await second.run_once()
    await send(deliver)
    await second.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert len(lines(log)) == 1
    assert record.run.steps[0].attempt == 1


def webhook(url: str) -> Directory:
    channel = DeclaredChannel("hook", ChannelType.WEBHOOK, {"url": url, "secret": "${HOOK_SECRET}"})
    return Directory({"alice": Contact("alice", (channel,), ())})


async def test_a_notice_still_retrying_at_the_deadline_fails_the_step_and_is_not_sent_later(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    quick = Runbook(
        "tell",
        (
            Step(
                "tell",
                StepKind.NOTIFY,
                Notify("contact:alice", "{params.service} is failing requests"),
                timeout=timedelta(seconds=30),
            ),
        ),
        parameters=(Parameter("service", default="{labels.service}"),),
    )
    _, _, run_id = await incident(store, quick)
    now = [datetime.now(UTC)]
    token = await holder(store)
    with loopback(lambda r: Reply(500, b"down")) as server:
        found = webhook(server.url + "/hook")
        runner = RunDuty(store, token, tmp_path / "runs", lambda: now[0], paging=Paging(found))
        deliver = DeliverDuty(store, Deliverer(found.contacts), token, lambda: now[0])
        await runner.run_once()
        await send(deliver)
        [row] = await store.outbox_keyed(key_prefix(run_id, "tell", 1))
        assert row.state is RowState.PENDING and "500" in row.detail  # backing off
        await runner.run_once()
        record = await store.runbook_run(run_id)
        assert record is not None and record.run.steps[0].state is StepState.RUNNING
        now[0] += timedelta(seconds=31)
        await runner.run_once()
        record = await store.runbook_run(run_id)
        assert record is not None and record.status is RunStatus.FAILED
        reason = record.run.steps[0].reason
        assert reason.startswith("not delivered within 0:00:30:") and "500" in reason
        [row] = await store.outbox_keyed(key_prefix(run_id, "tell", 1))
        assert row.state is RowState.CANCELLED
        now[0] += timedelta(hours=1)
        await send(deliver)
        assert len(server.requests) == 1  # nothing after the step failed


async def test_no_secret_reaches_the_row_or_the_timeline(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    _, incident_id, run_id = await incident(store, book("contact:alice"))
    token = await holder(store)
    with loopback(lambda r: Reply(204, b"")) as server:
        found = webhook(server.url + "/hook")
        runner = RunDuty(store, token, tmp_path / "runs", paging=Paging(found))
        deliver = DeliverDuty(store, Deliverer(found.contacts), token)
        await runner.run_once()
        await send(deliver)
        await runner.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert len(server.requests) == 1
    body = json.loads(server.requests[0].body)
    assert body["data"]["title"] == "api is failing requests"
    rows = await store.outbox_keyed(key_prefix(run_id, "tell", 1))
    kept = json.dumps([[dict(r.payload), r.detail, r.reference] for r in rows])
    said = json.dumps([e.data for e in await store.timeline(incident_id)])
    for text in (kept, said, json.dumps(str(record.run))):
        assert SECRET not in text and SECRET.removeprefix("whsec_") not in text


async def test_cancelling_the_run_stops_a_notice_not_sent_yet(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "pages.log"
    service, _, run_id = await incident(store, book("contact:alice"))
    runner, deliver = duties(store, await holder(store), tmp_path, log)
    await runner.run_once()
    await service.signal_runbook(run_id, "tell", 1, "cancel")
    [row] = await store.outbox_keyed(key_prefix(run_id, "tell", 1))
    assert row.state is RowState.CANCELLED and "cancelled by alice" in row.detail
    await send(deliver)
    await runner.run_once()
    assert lines(log) == []
