"""Engagement end to end inside one process: an incident pages stage 1 through a
loopback PagerDuty and a log file, stage 2 after its duration, and nothing after
an acknowledgement. Real SQLite, real channels, an injected clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Loopback, loopback
from tests.notify.standins import PagerDuty

from warroom.engine.delivery import DeliverDuty, Deliverer
from warroom.engine.escalate_duty import EscalateDuty
from warroom.engine.overrides import Roster
from warroom.engine.service import ActionError, Service
from warroom.engine.wiring import paging_of
from warroom.model import Impact
from warroom.model.paging import RowState
from warroom.plans import load_plans
from warroom.store import LeaseToken, Store, open_store

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
KEY = "R" * 32


def plans_text(pd_url: str, log: Path) -> str:
    return f"""\
kind: contact
name: alice
channels:
  - {{name: page, type: pagerduty, routing_key: "{KEY}", url: "{pd_url}/v2/enqueue"}}
  - {{name: log, type: log, path: "{log}"}}
---
kind: contact
name: bob
channels: [{{name: log, type: log, path: "{log}"}}]
---
kind: contact
name: carol
channels: [{{name: log, type: log, path: "{log}"}}]
engagement:
  - {{channel: log, after: 2m, retry_every: 5m}}
---
kind: schedule
name: primary
timezone: UTC
rotations:
  - name: all
    members: [alice]
    anchor: {{date: "2026-11-01", handoff: "00:00"}}
    every: {{unit: week}}
---
kind: response-plan
name: oncall
match:
  alerts: 'alertname="Paged"'
incident:
  title: "paged"
engagements: [schedule:primary]
---
kind: escalation-plan
name: disk-pages
stages:
  - duration: 5m
    targets: [{{contact: alice, essential: true}}]
  - duration: 10m
    targets: [{{contact: bob, essential: true}}]
---
kind: response-plan
name: disk
match:
  alerts: 'alertname="DiskFull"'
incident:
  title: "disk full"
  impact: 2
engagements: [escalation-plan:disk-pages]
---
kind: response-plan
name: slow
match:
  alerts: 'alertname="Slow"'
incident:
  title: "slow"
engagements: [contact:carol]
"""


@dataclass
class World:
    store: Store
    service: Service
    deliverer: Deliverer
    token: LeaseToken
    pd: PagerDuty
    server: Loopback
    log: Path
    now: list[datetime]
    roster: Roster

    def clock(self) -> datetime:
        return self.now[0]

    async def tick(self, minutes: float = 0) -> None:
        """Time passes; the lease holder's duties run once and every send finishes."""
        self.now[0] += timedelta(minutes=minutes)
        paging = self.service.context.paging
        await EscalateDuty(self.store, paging, self.token, self.clock).run_once()
        deliver = DeliverDuty(self.store, self.deliverer, self.token, self.clock)
        while await deliver.run_once():
            await deliver.drain()

    def logged(self) -> list[dict[str, object]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def pagerduty() -> Iterator[tuple[PagerDuty, Loopback]]:
    pd = PagerDuty()
    with loopback(pd) as server:
        yield pd, server


@pytest.fixture
async def world(tmp_path: Path, pagerduty: tuple[PagerDuty, Loopback]) -> AsyncIterator[World]:
    pd, server = pagerduty
    log = tmp_path / "pages.log"
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "all.yaml").write_text(plans_text(server.url, log))
    planset = load_plans(tmp_path / "plans", {"demo"}, now=T0)
    assert not planset.errors, planset.errors
    paging = paging_of(planset)
    now = [T0]
    store = await open_store(tmp_path / "w.db")
    token = await store.acquire_lease("engine", timedelta(hours=10), now=T0)
    assert token is not None
    deliverer = Deliverer(planset.contacts)
    roster = Roster.of(planset)
    service = Service(store, "alice", clock=lambda: now[0], paging=paging)
    try:
        yield World(store, service, deliverer, token, pd, server, log, now, roster)
    finally:
        await deliverer.close()
        await store.close()


async def test_stage_one_pages_once_stage_two_after_its_duration_nothing_after_ack(
    world: World,
) -> None:
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    await world.tick()
    assert len(world.pd.alerts) == 1 and world.pd.alerts[0]["status"] == "triggered"
    assert [p["title"] for p in world.logged()] == ["disk full"]
    await world.tick(1)  # nothing new is due: nothing sent again
    assert len(world.pd.events) == 1 and len(world.logged()) == 1

    await world.tick(5)  # stage 2: bob
    assert len(world.logged()) == 2
    assert str(world.logged()[1]["key"]).startswith(
        f"i{incident}/escalation-plan:disk-pages/s1/l0/contact:bob/bob/log/trigger"
    )

    await world.service.acknowledge(incident)
    await world.tick(60)
    actions = [e["event_action"] for e in world.pd.events]
    assert actions == ["trigger", "acknowledge"]
    assert world.pd.alerts[0]["status"] == "acknowledged"
    # after the ack: only the acknowledgements of what was paged, no trigger
    assert [p["action"] for p in world.logged()] == [
        "trigger",
        "trigger",
        "acknowledge",
        "acknowledge",
    ]
    rows = await world.store.outbox(incident)
    assert {r.state for r in rows} == {RowState.SENT}
    kinds = [e.kind.value for e in await world.store.timeline(incident)]
    assert kinds.count("paged") == 2 and "engaged" in kinds


async def test_an_acknowledgement_cancels_pages_not_yet_due_and_stops_repeats(
    world: World,
) -> None:
    """carol is paged 2 minutes after she is engaged, then every 5 minutes until
    someone acknowledges: the page at 2m goes, the repeat at 7m goes, the ack at
    8m cancels the one due at 12m in its own transaction."""
    incident = await world.service.declare_incident([], "slow", Impact.LOW, plan="slow")
    await world.tick(1)
    assert world.logged() == []  # not due yet
    await world.tick(1)
    assert [p["action"] for p in world.logged()] == ["trigger"]
    await world.tick(5)
    assert [p["action"] for p in world.logged()] == ["trigger", "trigger"]
    await world.tick(1)
    await world.service.acknowledge(incident)
    await world.tick(60)
    assert [p["action"] for p in world.logged()] == ["trigger", "trigger", "acknowledge"]
    states = [r.state for r in await world.store.outbox(incident)]
    assert states.count(RowState.CANCELLED) == 1 and states.count(RowState.SENT) == 3


async def test_resolve_resolves_the_pagerduty_alert(world: World) -> None:
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    await world.tick()
    await world.service.resolve(incident, force=True)
    await world.tick(60)
    assert [e["event_action"] for e in world.pd.events] == ["trigger", "resolve"]
    assert world.pd.alerts[0]["status"] == "resolved"
    assert [e["event_action"] for e in world.pd.events].count("trigger") == 1


async def test_two_consoles_escalating_the_stage_they_saw_advance_it_once(world: World) -> None:
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    other = Service(world.store, "bob", clock=world.clock, paging=world.service.context.paging)
    await world.service.escalate(incident, seen=(1, 0))  # both saw stage 1 done
    with pytest.raises(ActionError, match="already at stage"):
        await other.escalate(incident, seen=(1, 0))
    await world.tick()
    logged = world.logged()
    assert [p["key"] for p in logged].count(logged[-1]["key"]) == 1
    bob = [p for p in logged if "/bob/" in str(p["key"])]
    assert len(bob) == 1
    events = [e for e in await world.store.timeline(incident) if e.kind.value == "escalated"]
    assert len(events) == 1 and events[0].actor == "alice"


async def test_a_holder_that_died_mid_send_leaves_a_row_the_next_one_resends_marked(
    world: World,
) -> None:
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    async with world.store.transaction(now=T0) as tx:  # claimed, then the process died
        await tx.check_lease(world.token)
        claimed = await tx.claim_due(T0, world.token.epoch)
    assert len(claimed) == 2
    await world.store.release_lease("engine")
    token = await world.store.acquire_lease("engine-2", timedelta(hours=1), now=T0)
    assert token is not None and token.epoch > world.token.epoch
    world.token = token
    deliver = DeliverDuty(world.store, world.deliverer, token, world.clock)
    await deliver.start()
    await world.tick()
    assert len(world.pd.alerts) == 1  # PagerDuty dedupes on the key: one alert
    (logged,) = world.logged()
    assert logged["repeat_of"] == logged["key"]  # the log (no idempotency) says so
    said = [e.text for e in await world.store.timeline(incident) if e.kind.value == "page-failed"]
    assert len(said) == 1 and "possible repeat" in said[0]
    # the old holder's late record is refused: the row is the new holder's
    async with world.store.transaction() as tx:
        assert not await tx.record(
            claimed[0].id, claimed[0].claimed_epoch or 0, RowState.FAILED, "late"
        )


async def test_pages_done_long_ago_are_pruned_open_ones_never(world: World) -> None:
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    await world.tick()  # stage 1 sent; carol's plan not engaged: nothing else
    async with world.store.transaction() as tx:
        assert await tx.prune_outbox(T0 + timedelta(days=1)) == 2
    assert await world.store.outbox(incident) == []
    slow = await world.service.declare_incident([], "slow", Impact.LOW, plan="slow")
    (pending,) = await world.store.outbox(slow)  # carol's page, due in 2 minutes
    async with world.store.transaction() as tx:
        assert await tx.prune_outbox(T0 + timedelta(days=365)) == 0
    assert [r.key for r in await world.store.outbox(slow)] == [pending.key]


async def test_a_shift_taken_in_the_console_is_paged_from_the_moment_it_commits(
    world: World,
) -> None:
    """alice is on call in the plan files; bob takes the shift in the console: the
    next incident engaging the schedule pages bob, not alice."""
    taken = await world.service.add_override(
        world.roster,
        "primary",
        T0,
        T0 + timedelta(hours=2),
        with_="bob",
        replace="alice",
        reason="alice is on a plane",
    )
    assert not taken.warnings
    incident = await world.service.declare_incident([], "paged", Impact.HIGH, plan="oncall")
    await world.tick()
    assert [r.target for r in await world.store.outbox(incident)] == ["bob"]
