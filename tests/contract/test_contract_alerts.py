"""Ingest through the contract: a snapshot writes only its difference."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.helpers import T0, make_alert

from warroom.model import AlertKey, AlertState, Severity
from warroom.model.filter import AlertFilter
from warroom.store import Store, snapshot_digests

from .conftest import Backend


async def test_a_snapshot_writes_its_difference_and_resolves_what_is_gone(store: Store) -> None:
    disk = make_alert("DiskFull", instance="a")
    cpu = make_alert("CpuHigh", instance="a")
    async with store.transaction(T0) as tx:
        first = await tx.apply_snapshot("prom", [disk, cpu])
    assert (first.inserted, first.updated, first.resolved, first.unchanged) == (2, 0, 0, 0)

    hotter = make_alert("DiskFull", severity=Severity.CRITICAL, instance="a")
    async with store.transaction(T0 + timedelta(seconds=10)) as tx:
        second = await tx.apply_snapshot("prom", [hotter])
    assert (second.inserted, second.updated, second.resolved, second.unchanged) == (0, 1, 1, 0)

    async with store.transaction(T0 + timedelta(seconds=20)) as tx:
        third = await tx.apply_snapshot("prom", [hotter], snapshot_digests([hotter]))
    assert third.rows_written == 0 and third.unchanged == 1

    active = await store.active_alerts()
    assert [(t.alert.name, t.alert.severity) for t in active] == [("DiskFull", Severity.CRITICAL)]
    gone = await store.alerts_by_key([cpu.key])
    assert gone[0].alert.state is AlertState.RESOLVED
    # each active alert once, with the digest stored with it
    assert await store.alert_digests("prom") == [(disk.fingerprint, snapshot_digests([hotter])[0])]


async def test_the_primitives_a_chunked_poll_uses(store: Store) -> None:
    """write_alerts and resolve_gone, as the engine spreads a big poll over transactions."""
    alerts = [make_alert("Up", instance=f"i{n}") for n in range(3)]
    digests = snapshot_digests(alerts)
    async with store.transaction(T0) as tx:
        assert await tx.stored_digests("prom") == []
        fresh = frozenset(a.fingerprint for a in alerts)
        inserted, updated = await tx.write_alerts(
            "prom", list(zip(alerts, digests, strict=True)), fresh
        )
        assert (inserted, updated) == (3, 0)
        assert sorted(await tx.stored_digests("prom")) == sorted(
            (a.fingerprint, d) for a, d in zip(alerts, digests, strict=True)
        )
    async with store.transaction(T0 + timedelta(seconds=5)) as tx:
        assert await tx.resolve_gone("prom", [alerts[0].fingerprint]) == 1
    assert {t.alert.fingerprint for t in await store.active_alerts()} == {
        a.fingerprint for a in alerts[1:]
    }


async def test_alerts_by_key_keeps_the_order_asked_and_skips_unknown(store: Store) -> None:
    alerts = [make_alert("Up", instance=f"i{n}") for n in range(3)]
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    wanted = [alerts[2].key, AlertKey("prom", "nope"), alerts[0].key, alerts[2].key]
    found = await store.alerts_by_key(wanted)
    assert [t.key for t in found] == [alerts[2].key, alerts[0].key]


async def test_a_refired_alert_counts_as_updated_and_loses_an_old_ack(store: Store) -> None:
    alert = make_alert("DiskFull", instance="a")
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", [alert])
        assert await tx.acknowledge_alerts([alert.key], "alice") == [alert.key]
    async with store.transaction(T0 + timedelta(minutes=1)) as tx:
        await tx.apply_snapshot("prom", [])
    async with store.transaction(T0 + timedelta(hours=1)) as tx:
        again = await tx.apply_snapshot("prom", [alert])
    assert (again.inserted, again.updated) == (0, 1)
    (tracked,) = await store.alerts_by_key([alert.key])
    assert tracked.acknowledged_by is None


async def test_a_snapshot_of_several_sources_keeps_them_apart(backend: Backend) -> None:
    store = await backend.open()
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", [make_alert("A", source="prom")])
        await tx.apply_snapshot("am", [make_alert("A", source="am")])
    async with store.transaction(T0 + timedelta(seconds=1)) as tx:
        result = await tx.apply_snapshot("am", [])
    assert result.resolved == 1
    assert [t.key.source for t in await store.active_alerts()] == ["prom"]


async def test_the_filter_shows_what_the_model_filter_picks_most_urgent_first(
    store: Store,
) -> None:
    alerts = [
        make_alert("DiskFull", severity=Severity.CRITICAL, team="db", instance="a"),
        make_alert("DiskFull", team="db", instance="b", summary="Größe überschritten"),
        make_alert("CpuHigh", team="web", instance="c"),
        make_alert("Latency", severity=Severity.CRITICAL, team="dbx", instance="d"),
    ]
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", alerts)
    everything = await store.active_alerts()
    for text in ("team=db", "team!=db", "team=~db.*", "disk", "GRÖSSE", "team=db full", ""):
        wanted = AlertFilter.parse(text)
        shown = [key for key, _ in await store.shown_alerts(text)]
        assert sorted(shown) == sorted(str(t.key) for t in everything if wanted.matches(t)), text
    # critical before warning (ties go by key, which is a hash: either order)
    ordered = [key for key, _ in await store.shown_alerts("team=~db.*")]
    assert set(ordered[:2]) == {str(alerts[0].key), str(alerts[3].key)}
    assert ordered[2:] == [str(alerts[1].key)]
