"""An incident's charts from a real Prometheus whose rule fires, through a real Alertmanager."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tests.e2e.servers import alertmanager, post_alerts, prometheus
from tests.support.waiting import until_awaited

from warroom.engine import Service
from warroom.engine.metrics import LOOKBACK
from warroom.engine.poller import poll_once
from warroom.model import Impact
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.store import Store, open_store

pytestmark = pytest.mark.e2e

# a real series against a threshold it crosses: go_goroutines is always above 1
RULES = """
groups:
  - name: warroom-metrics
    interval: 1s
    rules:
      - alert: ManyGoroutines
        expr: go_goroutines{job="self"} > 1
        for: 8s
        labels: {severity: warning}
"""
EXPR = 'go_goroutines{job="self"}'
DOTS = 4000  # a fine step (about 1 s over the hour before the alert), to see the seconds before it


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    with (
        alertmanager(tmp_path / "am") as am_url,
        prometheus(tmp_path / "prom", am_url, rules=RULES) as prom_url,
    ):
        yield prom_url, am_url, tmp_path


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "state" / "warroom.db")
    try:
        yield s
    finally:
        await s.close()


async def _incident_of(store: Store, service: Service, source: object) -> int:
    """Poll `source` until the rule's alert is stored, then declare an incident of it."""

    async def stored() -> bool:
        await poll_once(store, source)  # type: ignore[arg-type]
        return any(a.alert.name == "ManyGoroutines" for a in await store.active_alerts())

    await until_awaited(stored, 40, lambda: "ManyGoroutines to reach the store", interval=0.5)
    keys = [a.key for a in await store.active_alerts() if a.alert.name == "ManyGoroutines"]
    return await service.declare_incident(keys, "many goroutines", Impact.HIGH)


async def test_the_rules_series_from_before_the_alert_with_its_threshold(
    stack: tuple[str, str, Path], store: Store
) -> None:
    prom_url, am_url, _ = stack
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url=prom_url))
    am = AlertmanagerSource(SourceSpec("am", "alertmanager", url=am_url))
    service = Service(store, "tester", [am, prom])
    try:
        # through Alertmanager: the expression comes from the alert's generatorURL
        incident = await _incident_of(store, service, am)
        (alert,) = await store.incident_alerts(incident)
        assert "g0.expr=" in alert.alert.url
        charts = await service.metrics.charts(incident, dots=DOTS)
        (chart,) = charts
        assert (chart.query, chart.operator, chart.threshold, chart.source) == (
            EXPR,
            ">",
            1.0,
            "prom",
        )
        assert not chart.stale
        (series,) = chart.series
        assert series.labels["job"] == "self"
        assert all(value > 1 for _, value in series.points)
        first = alert.alert.starts_at
        assert any(at < first for at, _ in series.points), (first, series.points[:3])
        assert chart.start <= first - LOOKBACK
        assert [m.kind for m in chart.marks] == ["declared"]
    finally:
        await am.close()
        await prom.close()


async def test_an_alert_from_prometheus_itself_finds_its_rule(
    stack: tuple[str, str, Path], store: Store
) -> None:
    """Prometheus' /api/v1/alerts carries no generatorURL: the rule comes from /api/v1/rules."""
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url=stack[0]))
    service = Service(store, "tester", [prom])
    try:
        incident = await _incident_of(store, service, prom)
        (alert,) = await store.incident_alerts(incident)
        assert alert.alert.url == ""
        (chart,) = await service.metrics.charts(incident, dots=DOTS)
        assert (chart.query, chart.threshold) == (EXPR, 1.0)
        assert chart.series and chart.series[0].points
    finally:
        await prom.close()


async def test_prometheus_down_keeps_the_points_and_says_why(tmp_path: Path, store: Store) -> None:
    with (
        alertmanager(tmp_path / "am") as am_url,
        prometheus(tmp_path / "prom", am_url, rules=RULES) as prom_url,
    ):
        prom = PrometheusSource(SourceSpec("prom", "prometheus", url=prom_url))
        service = Service(store, "tester", [prom])
        incident = await _incident_of(store, service, prom)
        (before,) = await service.metrics.charts(incident, dots=DOTS)
        assert before.series and not before.stale
    try:
        (after,) = await service.metrics.charts(incident, dots=DOTS)
    finally:
        await prom.close()
    assert after.stale.startswith("prom: ") and "refused" in after.stale.lower(), after.stale
    assert after.stale_at is not None
    assert after.series == before.series  # the last points, not a calm empty chart
    assert after.threshold == 1.0


async def test_an_alert_no_rule_made_draws_nothing(
    stack: tuple[str, str, Path], store: Store
) -> None:
    """Posted to Alertmanager by something else (no generatorURL, no such rule): no
    chart of `ALERTS{...}` that could only ever be empty."""
    prom_url, am_url, _ = stack
    post_alerts(am_url, [{"labels": {"alertname": "BackupLate", "severity": "warning"}}])
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url=prom_url))
    am = AlertmanagerSource(SourceSpec("am", "alertmanager", url=am_url))
    service = Service(store, "tester", [am, prom])
    try:

        async def stored() -> bool:
            await poll_once(store, am)
            return any(a.alert.name == "BackupLate" for a in await store.active_alerts())

        await until_awaited(stored, 30, lambda: "BackupLate to reach the store", interval=0.5)
        keys = [a.key for a in await store.active_alerts() if a.alert.name == "BackupLate"]
        incident = await service.declare_incident(keys, "backup", Impact.LOW)
        assert await service.metrics.charts(incident) == []
    finally:
        await am.close()
        await prom.close()
