"""Acknowledging an incident silences its alerts at a real Alertmanager (with
`silence_on_ack`), through the outbox: the silence is queued in the acknowledgement's
own transaction, so it is made even when no engine runs at that moment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.e2e.test_console_silences import am_url, amtool_silences, console  # noqa: F401
from tests.support.waiting import until, until_awaited

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.paging import RowState
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec
from warroom.store import Store, open_store

pytestmark = pytest.mark.e2e


async def test_an_incident_ack_queued_while_no_engine_ran_is_silenced_once_one_does(
    tmp_path: Path,
    am_url: str,  # noqa: F811
) -> None:
    # the console (and its engine) polls once so the alerts are in the store, then stops
    async with (
        console(tmp_path, am_url, silence_on_ack=True) as app,
        app.run_test(size=(100, 30)),
    ):
        await app.ready.wait()
        await until_awaited(lambda: _count(app.store), 15, "both alerts stored")
    spec = SourceSpec(
        "am", "alertmanager", timedelta(seconds=1), url=am_url, options={"silence_on_ack": True}
    )
    source = AlertmanagerSource(spec)
    store = await open_store(tmp_path / "w.db")
    try:
        keys = [t.key for t in await store.active_alerts()]
        service = Service(store, "alice", [source])
        incident = await service.declare_incident(keys, "two things", Impact.HIGH)
        assert await service.acknowledge(incident)  # nobody holds the lease now
        rows = await store.outbox(incident)
        assert [r.kind.value for r in rows] and {r.state for r in rows} == {RowState.PENDING}
        assert amtool_silences(am_url) == []  # nothing made yet: no engine ran
    finally:
        await store.close()
        await source.close()
    # an engine starts (a console): it makes what was queued
    async with (
        console(tmp_path, am_url, silence_on_ack=True) as app,
        app.run_test(size=(100, 30)),
    ):
        await app.ready.wait()
        await until(lambda: len(amtool_silences(am_url)) == len(rows), 20, "silenced")
        silences = amtool_silences(am_url)
        assert {s["createdBy"] for s in silences} == {"alice"}

        async def recorded() -> bool:
            events = await app.store.timeline(incident)
            return sum(e.kind.value == "silenced" for e in events) == len(rows)

        await until_awaited(recorded, 10, "the silences on the incident's timeline")
        assert {r.state for r in await app.store.outbox(incident)} == {RowState.SENT}
        assert len(await app.store.open_ack_silences("am")) == len(rows)


async def _count(store: Store) -> bool:
    return len(await store.active_alerts()) == 2
