"""On-call overrides made from the console or the CLI (issue #10 items 2 and 6): merged into
the plans' schedules, checked, and told in the console log, on a real SQLite file (the
store's own promises are in tests/contract/test_contract_overrides.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.engine import ActionError, Service
from warroom.engine.overrides import OverrideInputError, Roster, effective_schedules
from warroom.model import EventKind
from warroom.model import events as ev
from warroom.model.oncall import Override, Rotation, Schedule, Unit, on_call, timeline
from warroom.store import Store, open_store

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
# a week each, hand-off Monday 09:00 UTC: alice has the week of 2026-11-23
WEEKLY = Rotation("weekly", ("alice", "bob"), datetime(2026, 11, 9, 9, 0), Unit.WEEK)
PRIMARY = Schedule("primary", UTC, (WEEKLY,))
SECONDARY = Schedule("secondary", UTC, (Rotation("s", ("erin",), datetime(2026, 1, 5, 9, 0)),))
SCHEDULES = {"primary": PRIMARY, "secondary": SECONDARY}
ROSTER = Roster(SCHEDULES, frozenset({"alice", "bob", "carol", "erin"}))


def service(store: Store, actor: str = "carol") -> Service:
    return Service(store, actor, clock=lambda: NOW)


async def test_effective_schedules_put_the_replacement_on_call(store: Store) -> None:
    assert on_call(PRIMARY, NOW) == ("alice",)
    async with store.transaction(now=NOW) as tx:
        await tx.add_override(
            "primary", Override(NOW, NOW + timedelta(hours=2), "alice", "carol", "carol")
        )
        # a stored override of a schedule the plans no longer have changes nothing
        await tx.add_override("gone", Override(NOW, NOW + timedelta(hours=2), None, "dan"))
    window = (NOW, NOW + timedelta(days=7))
    merged = await effective_schedules(store, SCHEDULES, *window)
    assert set(merged) == {"primary", "secondary"}
    assert on_call(merged["primary"], NOW + timedelta(hours=1)) == ("carol",)
    assert on_call(merged["primary"], NOW + timedelta(hours=2)) == ("alice",)
    assert merged["secondary"] is SECONDARY
    spans = timeline(merged["primary"], *window)
    assert spans[0] == (NOW, NOW + timedelta(hours=2), ("carol",))
    # cancelled after half an hour: gone from then on, and the half hour stays true
    async with store.transaction(now=NOW + timedelta(minutes=30)) as tx:
        (record,) = await store.overrides("primary")
        await tx.cancel_override(record.id, "carol")
    merged = await effective_schedules(store, SCHEDULES, *window)
    assert on_call(merged["primary"], NOW + timedelta(hours=1)) == ("alice",)
    assert on_call(merged["primary"], NOW + timedelta(minutes=29)) == ("carol",)
    assert timeline(merged["primary"], *window)[0] == (
        NOW,
        NOW + timedelta(minutes=30),
        ("carol",),
    )


async def test_an_override_cancelled_before_it_starts_never_applies(store: Store) -> None:
    later = Override(NOW + timedelta(hours=1), NOW + timedelta(hours=2), "alice", "carol")
    async with store.transaction(now=NOW) as tx:
        override_id = await tx.add_override("primary", later)
        await tx.cancel_override(override_id, "carol")
    merged = await effective_schedules(store, SCHEDULES, NOW, NOW + timedelta(days=1))
    assert on_call(merged["primary"], NOW + timedelta(minutes=90)) == ("alice",)


async def test_file_overrides_apply_before_stored_ones(store: Store) -> None:
    planned = Override(NOW, NOW + timedelta(hours=4), "alice", "bob")
    schedules = {"primary": Schedule("primary", UTC, (WEEKLY,), (planned,))}
    async with store.transaction(now=NOW) as tx:
        await tx.add_override("primary", Override(NOW, NOW + timedelta(hours=1), "bob", "carol"))
    merged = await effective_schedules(store, schedules, NOW, NOW + timedelta(hours=4))
    assert on_call(merged["primary"], NOW) == ("carol",)
    assert on_call(merged["primary"], NOW + timedelta(hours=2)) == ("bob",)


async def test_taking_a_shift_writes_the_console_log(store: Store) -> None:
    done = await service(store).add_override(
        ROSTER,
        "primary",
        NOW,
        NOW + timedelta(hours=2),
        with_="carol",
        replace="alice",
        reason="alice is on a plane",
    )
    assert done.warnings == []
    assert done.record.override.author == "carol"
    (event,) = await store.timeline(None)
    assert event.kind is EventKind.OVERRIDE_ADDED and event.actor == "carol"
    assert event.text == (
        "carol takes primary from alice, 2026-11-26 15:00 → 17:00 UTC"
        f" (override #{done.record.id}): alice is on a plane"
    )
    assert ev.read(event) == ev.OverrideAdded(
        done.record.id,
        "primary",
        NOW.isoformat(),
        (NOW + timedelta(hours=2)).isoformat(),
        "alice",
        "carol",
        "alice is on a plane",
    )
    cancelled = await service(store, "bob").cancel_override(done.record.id)
    assert cancelled.cancelled_by == "bob"
    last = (await store.timeline(None))[-1]
    assert last.kind is EventKind.OVERRIDE_CANCELLED and last.actor == "bob"
    assert last.text.startswith(f"Cancelled override #{done.record.id} of primary (carol for alice")
    with pytest.raises(ActionError, match="already cancelled by bob"):
        await service(store).cancel_override(done.record.id)
    with pytest.raises(ActionError, match="no override #77"):
        await service(store).cancel_override(77)


@pytest.mark.parametrize(
    ("schedule", "start", "end", "with_", "replace", "message"),
    [
        ("nope", NOW, NOW + timedelta(hours=1), "carol", None, "no schedule named 'nope'"),
        ("primary", NOW, NOW - timedelta(hours=1), "carol", None, "ends .* before it starts"),
        ("primary", NOW, NOW, "carol", None, "before it starts"),
        ("primary", NOW - timedelta(days=2), NOW - timedelta(days=1), "carol", None, "past"),
        ("primary", NOW - timedelta(hours=1), NOW + timedelta(hours=1), "carol", None, "past"),
        ("primary", NOW, NOW + timedelta(days=91), "carol", None, "at most 90 days"),
        ("primary", NOW, NOW + timedelta(hours=1), None, None, "say who"),
        ("primary", NOW, NOW + timedelta(hours=1), "zed", None, "'zed' is not a contact"),
        ("primary", NOW, NOW + timedelta(hours=1), "carol", "erin", "not on the primary rota"),
        ("primary", NOW, NOW + timedelta(hours=1), "alice", "alice", "replace themself"),
        ("primary", NOW, NOW + timedelta(hours=1), "carol", "alice", "needs a reason"),
    ],
)
async def test_an_override_that_cannot_mean_what_was_asked_is_refused(
    store: Store,
    schedule: str,
    start: datetime,
    end: datetime,
    with_: str | None,
    replace: str | None,
    message: str,
) -> None:
    with pytest.raises(OverrideInputError, match=message):
        await service(store).add_override(
            ROSTER,
            schedule,
            start,
            end,
            with_=with_,
            replace=replace,
            reason=" " if "reason" in message else "x",
        )
    assert await store.overrides(cancelled=True) == []
    assert await store.timeline(None) == []


async def test_replacing_someone_off_call_then_is_made_with_a_warning(store: Store) -> None:
    # bob's week starts Monday 2026-11-30 09:00: he is not on call tonight
    done = await service(store).add_override(
        ROSTER,
        "primary",
        NOW,
        NOW + timedelta(hours=3),
        with_="carol",
        replace="bob",
        reason="bob asked",
    )
    assert done.warnings == [
        "bob is not on call in primary during that time:"
        " the override changes nothing unless the rota does"
    ]
    assert len(await store.overrides()) == 1


async def test_overrides_survive_reopening_the_file(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        await service(store).add_override(
            ROSTER, "secondary", NOW, NOW + timedelta(hours=1), with_="bob", reason="pairing"
        )
    finally:
        await store.close()
    again = await open_store(db_path, read_only=True)
    try:
        (record,) = await again.overrides("secondary")
        assert (record.override.with_, record.override.reason) == ("bob", "pairing")
    finally:
        await again.close()
