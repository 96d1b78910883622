"""The Alertmanager source against a real Alertmanager on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count
from tests.support.waiting import until_awaited

from warroom.model import AlertState, Severity
from warroom.model.matchers import parse_matchers
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def am_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with alertmanager(tmp_path_factory.mktemp("am")) as url:
        post_alerts(
            url,
            [
                am_alert("DiskFull", "critical", instance="db-1", cluster="c1"),
                am_alert("DiskFull", "warning", instance="db-2", cluster="c2"),
                am_alert("TargetDown", "warning", instance="web-1", cluster="c1"),
            ],
        )
        wait_alert_count(url, 3)
        yield url


def source(url: str, **options: object) -> AlertmanagerSource:
    return AlertmanagerSource(SourceSpec(name="am", type="alertmanager", url=url, options=options))


async def test_fetch_normalises_real_alerts(am_url: str) -> None:
    am = source(am_url)
    try:
        alerts = await am.fetch()
    finally:
        await am.close()
    by_instance = {a.labels["instance"]: a for a in alerts}
    assert set(by_instance) == {"db-1", "db-2", "web-1"}
    db1 = by_instance["db-1"]
    assert db1.name == "DiskFull"
    assert db1.severity is Severity.CRITICAL
    assert db1.state is AlertState.FIRING
    assert db1.summary == "DiskFull on db-1"
    assert db1.url.startswith("http://prometheus.example/graph")
    assert len(db1.fingerprint) == 16  # Alertmanager's own fingerprint
    assert db1.starts_at.tzinfo is not None


async def test_filter_is_applied_by_alertmanager(am_url: str) -> None:
    am = source(am_url, filter='alertname="DiskFull", cluster=~"c1|c9"')
    try:
        alerts = await am.fetch()
    finally:
        await am.close()
    assert [a.labels["instance"] for a in alerts] == ["db-1"]


async def test_silence_create_list_expire_and_state(am_url: str) -> None:
    am = source(am_url)
    try:
        now = datetime.now(UTC)
        silence_id = await am.create_silence(
            parse_matchers('alertname="TargetDown", instance="web-1"'),
            now,
            now + timedelta(minutes=30),
            "alice",
            "deploying web-1",
        )
        silences = {s.id: s for s in await am.silences()}
        assert silences[silence_id].created_by == "alice"
        assert silences[silence_id].state == "active"
        assert silences[silence_id].matcher_text == 'alertname="TargetDown", instance="web-1"'

        async def web_1_silenced() -> dict[str, AlertState] | None:
            """The alerts' states by instance, once web-1 is suppressed."""
            states = {a.labels["instance"]: a.state for a in await am.fetch()}
            return states if states["web-1"] is AlertState.SUPPRESSED else None

        states = await until_awaited(
            web_1_silenced, 5, "web-1 suppressed by the silence", interval=0.1
        )
        assert states["web-1"] is AlertState.SUPPRESSED
        assert states["db-1"] is AlertState.FIRING
        await am.expire_silence(silence_id)
        expired = {s.id: s for s in await am.silences()}[silence_id]
        assert expired.state == "expired"
    finally:
        await am.close()


async def test_route_prefix(tmp_path: Path) -> None:
    with alertmanager(tmp_path, route_prefix="/api/alertmanager/grafana") as url:
        post_alerts(url, [am_alert("Prefixed", instance="x")])
        wait_alert_count(url, 1)
        am = source(url)
        try:
            assert [a.name for a in await am.fetch()] == ["Prefixed"]
        finally:
            await am.close()
