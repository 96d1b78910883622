"""A plan's `metrics:` drawn from a real Prometheus, filled in from the alert's labels
(#12 item 1). A label value is escaped inside the PromQL string it lands in: a value
written to break out of it (`"} or vector(7) or up{x="`) matches nothing rather than
drawing the series it smuggled in."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.servers import prometheus
from tests.support.alerts import alert as make
from tests.support.waiting import until_awaited

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.clock import utcnow
from warroom.plans import load_plans
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.store import open_store

pytestmark = pytest.mark.e2e

PLAN = """\
kind: response-plan
name: scrape
match:
  alerts: 'alertname="TargetDown"'
incident:
  title: "{labels.job} down"
metrics:
  - title: Target up
    promql: 'up{{job="{labels.job}"}} < 1'
  - title: Needs a label
    promql: 'up{{instance="{labels.instance}"}}'
"""
INJECTION = '"} or vector(7) or up{x="'


async def test_the_plans_metrics_are_drawn_with_label_values_escaped(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "scrape.yaml").write_text(PLAN)
    planset = load_plans(plans)
    assert not planset.errors, planset.errors
    store = await open_store(tmp_path / "w.db")
    with prometheus(tmp_path / "prom") as prom_url:
        prom = PrometheusSource(SourceSpec("prom", "prometheus", url=prom_url))
        try:
            service = Service(store, "alice", [prom], plans=planset.plans)
            now = utcnow()
            good = make(
                "TargetDown", source="am", fingerprint="g", labels={"job": "self"}, starts_at=now
            )
            evil = make(
                "TargetDown", source="am", fingerprint="e", labels={"job": INJECTION}, starts_at=now
            )
            async with store.transaction() as tx:
                await tx.apply_snapshot("am", [good, evil])
            incident = await service.declare_incident(
                [good.key, evil.key], "down", Impact.HIGH, plan="scrape"
            )

            async def drawn() -> bool:
                charts = await service.metrics.charts(incident)
                return any(c.series and c.series[0].points for c in charts)

            await until_awaited(drawn, 30, lambda: "a sample of up", interval=0.5)
            charts = await service.metrics.charts(incident)
            by_query = {c.query: c for c in charts}
            # the label missing from both alerts: left out, never asked with a placeholder
            assert set(by_query) == {
                'up{job="self"}',
                'up{job="\\"} or vector(7) or up{x=\\""}',
            }, set(by_query)
            ok = by_query['up{job="self"}']
            assert (ok.title, ok.threshold, ok.operator, ok.stale) == (
                'Target up · up{job="self"}',
                1.0,
                "<",
                "",
            )
            assert ok.series and ok.series[0].labels["job"] == "self"
            smuggled = by_query['up{job="\\"} or vector(7) or up{x=\\""}']
            assert smuggled.stale == ""  # a valid query ...
            assert smuggled.series == ()  # ... that matches no job: no vector(7)
        finally:
            await prom.close()
            await store.close()
