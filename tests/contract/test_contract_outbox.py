"""The outbox through the contract: each page written once, claimed once, recorded by its claimer.

Where writers run at once (PostgreSQL), two claimers must never take the same
row: a row claimed twice is a page sent twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.unit.helpers import T0

from warroom.model import IncidentStatus
from warroom.model.escalation import Engagement, Status
from warroom.model.paging import OutboxItem, OutboxKind, RowState

from .conftest import Backend, new_incident


def page(key: str, incident_id: int, due: timedelta = timedelta(0)) -> OutboxItem:
    return OutboxItem(key, incident_id, OutboxKind.PAGE, "trigger", "alice", "sms", T0 + due)


async def test_a_row_is_written_once_claimed_once_and_recorded_by_its_claimer(
    backend: Backend,
) -> None:
    store = await backend.open()
    incident_id = await new_incident(store)
    async with store.transaction(T0) as tx:
        assert await tx.enqueue([page("p1", incident_id), page("p2", incident_id)]) == 2
        assert await tx.enqueue([page("p1", incident_id)]) == 0  # a replay writes nothing
    async with store.transaction(T0) as tx:
        claimed = await tx.claim_due(T0, epoch=7)
        assert [r.key for r in claimed] == ["p1", "p2"]
        assert {r.state for r in claimed} == {RowState.CLAIMED}
        assert await tx.claim_due(T0, epoch=7) == []
    async with store.transaction(T0) as tx:
        assert not await tx.record(claimed[0].id, 6, RowState.SENT, "stale epoch")
        assert await tx.record(claimed[0].id, 7, RowState.SENT, "ok", reference="r1")
        assert await tx.record(claimed[1].id, 7, RowState.PENDING, "retry", possible_repeat=True)
    rows = {r.key: r for r in await store.outbox(incident_id)}
    assert rows["p1"].state is RowState.SENT and rows["p1"].reference == "r1"
    assert rows["p2"].state is RowState.PENDING and rows["p2"].possible_repeat
    assert await store.outbox_due_at() == T0
    assert [r.key for r in await store.outbox(limit=1)] == ["p2"]


async def test_a_claim_takes_at_most_its_limit(backend: Backend) -> None:
    """The deliver duty claims only the room it has for sends (MAX_IN_FLIGHT)."""
    store = await backend.open()
    incident_id = await new_incident(store)
    async with store.transaction(T0) as tx:
        await tx.enqueue([page(f"p{n}", incident_id) for n in range(5)])
    async with store.transaction(T0) as tx:
        assert [r.key for r in await tx.claim_due(T0, epoch=1, limit=1)] == ["p0"]
        assert [r.key for r in await tx.claim_due(T0, epoch=1, limit=2)] == ["p1", "p2"]


async def test_cancel_and_reclaim(backend: Backend) -> None:
    store = await backend.open()
    incident_id = await new_incident(store)
    async with store.transaction(T0) as tx:
        await tx.enqueue([page("now", incident_id), page("later", incident_id, timedelta(1))])
        [claimed] = await tx.claim_due(T0, epoch=1)
        assert claimed.key == "now"
    async with store.transaction(T0) as tx:
        cancelled = await tx.cancel_open(incident_id, ["trigger"], "acknowledged")
        assert [r.key for r in cancelled] == ["later"]  # the claimed one is its claimer's
    async with store.transaction(T0) as tx:
        back = await tx.reclaim_claimed()
        assert [(r.key, r.possible_repeat) for r in back] == [("now", True)]
        assert await tx.paged_channels(incident_id) == []
        assert await tx.count_rows(incident_id, "trigger") == 2


async def test_of_claimers_at_once_each_row_is_claimed_once(backend: Backend) -> None:
    writer = await backend.open()
    incident_id = await new_incident(writer)
    async with writer.transaction(T0) as tx:
        await tx.enqueue([page(f"p{n}", incident_id) for n in range(30)])
    claimers = [await backend.open() for _ in range(3)]

    async def claim(store_index: int) -> list[str]:
        keys: list[str] = []
        while True:
            async with claimers[store_index].transaction(T0) as tx:
                rows = await tx.claim_due(T0, epoch=1, limit=4)
            if not rows:
                return keys
            keys += [r.key for r in rows]
            await asyncio.sleep(0)

    claimed = await asyncio.gather(*(claim(i) for i in range(3)))
    everything = [k for keys in claimed for k in keys]
    assert sorted(everything) == sorted(f"p{n}" for n in range(30))


async def test_a_reclaim_beside_an_acknowledgement_never_puts_its_page_back(
    backend: Backend,
) -> None:
    """A new holder takes back the dead holder's claimed trigger while a responder
    acknowledges the incident. Whichever commits first, the page must not be left
    pending (to be sent after the acknowledgement): the acknowledgement first, the
    reclaim finds it superseded (unknown); the reclaim first, the acknowledgement
    cancels it. Under READ COMMITTED, before the reclaim locked the incidents it
    judged, it read the incident as unacknowledged while the acknowledgement was
    still open, and put the row back to pending after its cancel had run: one
    kill -9 paging trial in eight paged after the acknowledgement."""
    store = await backend.open()
    reclaimer = await backend.open()
    incident_id = await new_incident(store)
    async with store.transaction(T0) as tx:
        await tx.enqueue([page("dead", incident_id)])
        [claimed] = await tx.claim_due(T0, epoch=1)
    acked_at = T0 + timedelta(seconds=5)
    reclaim: asyncio.Task[list[str]] | None = None

    async def take_back() -> list[str]:
        async with reclaimer.transaction(acked_at) as tx:
            return [r.state.value for r in await tx.reclaim_claimed()]

    async with store.transaction(acked_at) as tx:
        assert await tx.update_incident(
            incident_id, status=IncidentStatus.ACKNOWLEDGED, acknowledged_at=acked_at
        )
        assert await tx.cancel_open(incident_id, ["trigger"], "acknowledged") == []
        reclaim = asyncio.create_task(take_back())
        await asyncio.sleep(0.5)  # the reclaim runs (PostgreSQL) or waits (SQLite)
    assert reclaim is not None
    await asyncio.wait_for(reclaim, 10)
    [row] = await store.outbox(incident_id)
    assert row.id == claimed.id
    assert row.state is RowState.UNKNOWN, f"left {row.state.value}: it would page after the ack"


async def test_an_escalation_beside_an_acknowledgement_reads_the_engagement_stopped(
    backend: Backend,
) -> None:
    """The escalate duty reads the due engagements while a responder's acknowledgement
    (which stops them) is open. It must read them after that commits: before, on
    PostgreSQL, it read the engagement still active, then waited on the incident's
    lock and paged the next stage after the acknowledgement (2 kill -9 paging trials
    in 30 wrote a page after the ack)."""
    store = await backend.open()
    duty = await backend.open()
    incident_id = await new_incident(store)
    active = Engagement("ep", Status.ACTIVE, 0, 0, T0, T0)
    async with store.transaction(T0) as tx:
        await tx.save_engagement(incident_id, active)
    acked_at = T0 + timedelta(seconds=5)

    async def due() -> list[tuple[int, Engagement]]:
        async with duty.transaction(acked_at) as tx:
            found = await tx.due_engagements(acked_at)
            for found_id, _ in found:
                await tx.incident(found_id)  # what the duty does next
            return found

    async with store.transaction(acked_at) as tx:
        assert await tx.incident(incident_id) is not None  # an action locks it first
        await tx.update_incident(
            incident_id, status=IncidentStatus.ACKNOWLEDGED, acknowledged_at=acked_at
        )
        stopped = Engagement("ep", Status.ACKNOWLEDGED, 0, 0, None, T0)
        await tx.save_engagement(incident_id, stopped)
        escalation = asyncio.create_task(due())
        await asyncio.sleep(0.5)  # the duty reads (PostgreSQL) or waits (SQLite)
    assert await asyncio.wait_for(escalation, 10) == [], "escalated an acknowledged incident"


async def test_rows_are_read_by_key_prefix_and_an_acknowledgement_keeps_notices(
    backend: Backend,
) -> None:
    """A runbook notify step waits on its attempt's rows, read by their key's start
    (no pattern: `%` and `_` are plain characters); an acknowledgement cancels
    triggers, never a notice a runbook queued."""
    store = await backend.open()
    incident_id = await new_incident(store)

    def notice(key: str, incident: int | None) -> OutboxItem:
        return OutboxItem(key, incident, OutboxKind.PAGE, "notify", "alice", "log", T0)

    async with store.transaction(T0) as tx:
        await tx.enqueue(
            [
                notice("run/1/tell/1/alice/log", incident_id),
                notice("run/1/tell/1/alice/mail", None),
                notice("run/1/tell/10/alice/log", incident_id),
                notice("run/1/t_ll/1/alice/log", incident_id),
                page("run/1/tell/1", incident_id),
            ]
        )
    rows = await store.outbox_keyed("run/1/tell/1/")
    assert [r.key for r in rows] == ["run/1/tell/1/alice/log", "run/1/tell/1/alice/mail"]
    assert [r.key for r in await store.outbox_keyed("run/1/t%")] == []
    assert await store.outbox_keyed("run/2/") == []
    async with store.transaction(T0) as tx:
        cancelled = await tx.cancel_open(incident_id, ["trigger"], "acknowledged")
        assert [r.key for r in cancelled] == ["run/1/tell/1"]
    assert {r.state for r in await store.outbox_keyed("run/1/tell/1/")} == {RowState.PENDING}
    async with store.transaction(T0) as tx:
        [claimed] = await tx.claim_due(T0, epoch=3, limit=1)
        assert claimed.key == "run/1/tell/1/alice/log"
        gone = await tx.cancel_keyed("run/1/tell/1/", "timed out")
        assert [(r.key, r.state, r.detail) for r in gone] == [
            ("run/1/tell/1/alice/mail", RowState.CANCELLED, "timed out")
        ]
    states = {r.key: r.state for r in await store.outbox_keyed("run/1/te")}
    assert states == {
        "run/1/tell/1": RowState.CANCELLED,  # by the acknowledgement above
        "run/1/tell/1/alice/log": RowState.CLAIMED,  # its claimer's to record
        "run/1/tell/1/alice/mail": RowState.CANCELLED,
        "run/1/tell/10/alice/log": RowState.PENDING,
    }
