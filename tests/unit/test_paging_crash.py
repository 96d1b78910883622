"""What a crash or a retry leaves for the next holder must not page after an
acknowledgement: the outbox's "no page is sent after the acknowledgement commits"
holds across a holder's death and across a retryable failure, and the provider
still hears the acknowledgement of a page that may have reached it."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.test_paging_flow import T0, World, pagerduty, world

from warroom.engine.delivery import DeliverDuty
from warroom.model import Impact
from warroom.model.paging import RowState

__all__ = ["pagerduty", "world"]  # the fixtures, shared with the flow tests


async def _die_mid_send(world: World) -> int:
    """Declare; the holder claims stage 1's pages and dies before recording them."""
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    async with world.store.transaction(now=T0) as tx:
        await tx.check_lease(world.token)
        assert len(await tx.claim_due(T0, world.token.epoch)) == 2
    return incident


async def _next_holder(world: World) -> DeliverDuty:
    await world.store.release_lease("engine")
    token = await world.store.acquire_lease("engine-2", timedelta(hours=1), now=T0)
    assert token is not None
    world.token = token
    deliver = DeliverDuty(world.store, world.deliverer, token, world.clock)
    await deliver.start()
    return deliver


async def test_a_page_claimed_by_a_dead_holder_is_not_sent_again_after_the_ack(
    world: World,
) -> None:
    incident = await _die_mid_send(world)
    await world.service.acknowledge(incident)  # while the pages' fate is unknown
    await _next_holder(world)
    await world.tick(60)
    assert [e["event_action"] for e in world.pd.events] == ["acknowledge"]
    assert [p["action"] for p in world.logged()] == ["acknowledge"]
    triggers = [r for r in await world.store.outbox(incident) if r.action == "trigger"]
    assert {r.state for r in triggers} == {RowState.UNKNOWN}
    said = [e.text for e in await world.store.timeline(incident) if e.kind.value == "page-failed"]
    assert len(said) == 2 and all("not sent again" in s for s in said), said


async def test_an_ack_after_the_takeover_still_tells_the_provider_that_may_have_the_page(
    world: World,
) -> None:
    """Taken back as a possible repeat, then acknowledged before it went out again:
    the first send may have reached PagerDuty, so the acknowledge must follow."""
    incident = await _die_mid_send(world)
    world.pd.alerts.append(  # the dead holder's trigger did arrive
        {"dedup_key": f"warroom/incident/{incident}/alice/page", "status": "triggered"}
    )
    await _next_holder(world)
    await world.service.acknowledge(incident)
    await world.tick(60)
    assert [e["event_action"] for e in world.pd.events] == ["acknowledge"]
    assert world.pd.alerts[0]["status"] == "acknowledged"
    assert [p["action"] for p in world.logged()] == ["acknowledge"]


async def test_a_trigger_failing_while_the_ack_commits_is_not_retried_after_it(
    world: World,
) -> None:
    incident = await world.service.declare_incident([], "disk full", Impact.HIGH, plan="disk")
    world.pd.throttle = 1  # the trigger in flight is answered 429
    async with world.store.transaction(now=T0) as tx:
        await tx.check_lease(world.token)
        claimed = await tx.claim_due(T0, world.token.epoch)
    await world.service.acknowledge(incident)  # commits while the trigger is in flight
    deliver = DeliverDuty(world.store, world.deliverer, world.token, world.clock)
    for row in claimed:
        await deliver._deliver(row)
    await world.tick(60)
    assert [e["event_action"] for e in world.pd.events] == ["acknowledge"]
    page = next(r for r in await world.store.outbox(incident) if r.channel == "page")
    assert page.state is RowState.CANCELLED and "acknowledged" in page.detail
