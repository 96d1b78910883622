"""The demo draws charts (#12 item 1): each scripted alert's incident has its rule's
series, from before the first alert to now, crossing the threshold when it fires;
the same from any process for the same seed and clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.engine import Service
from warroom.model import AlertKey, Impact
from warroom.model.series import Chart
from warroom.sources.base import SourceSpec
from warroom.sources.demo import DemoSource
from warroom.store import open_store

NOW = datetime(2026, 11, 26, 3, 14, 0, tzinfo=UTC)


def _above(chart: Chart, value: float) -> bool:
    assert chart.threshold is not None
    if chart.operator == "<":
        return value < chart.threshold
    return value > chart.threshold


async def _charts(db: Path, seed: int = 0) -> dict[str, Chart]:
    demo = DemoSource(SourceSpec("demo", "demo", options={"seed": seed}))
    alerts = demo.snapshot(NOW)
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            await tx.apply_snapshot("demo", alerts)
        service = Service(store, "bob", [demo], clock=lambda: NOW)
        charts: dict[str, Chart] = {}
        for alert in alerts:
            incident = await service.declare_incident(
                [AlertKey("demo", alert.fingerprint)], alert.name, Impact.LOW
            )
            (chart,) = await service.metrics.charts(incident, now=NOW)
            charts[alert.fingerprint] = chart
        return charts
    finally:
        await store.close()


async def test_every_demo_alert_has_a_chart_that_crosses_its_threshold(tmp_path: Path) -> None:
    demo = DemoSource(SourceSpec("demo", "demo"))
    alerts = {a.fingerprint: a for a in demo.snapshot(NOW)}
    charts = await _charts(tmp_path / "a.db")
    assert charts.keys() == alerts.keys()
    for fingerprint, chart in charts.items():
        alert = alerts[fingerprint]
        (series,) = chart.series
        assert series.labels.items() <= alert.labels.items(), (alert.name, series.labels)
        assert chart.start == alert.starts_at - timedelta(minutes=60) and chart.end == NOW
        assert series.points[0][0] == chart.start and series.points[-1][0] <= NOW
        if alert.name == "Watchdog":  # vector(1): always 1, no threshold
            assert chart.threshold is None and {v for _, v in series.points} == {1.0}
            continue
        before = [v for at, v in series.points if at < alert.starts_at]
        after = [v for at, v in series.points if at >= alert.starts_at]
        assert before and after, alert.name
        # calm before it fired, over the line from the moment it did
        assert not _above(chart, before[-1]) and _above(chart, after[0]), (alert.name, chart)
        assert _above(chart, after[-1]), alert.name  # still firing now


async def test_the_series_are_the_same_for_the_same_seed_and_clock(tmp_path: Path) -> None:
    one = await _charts(tmp_path / "one.db")
    two = await _charts(tmp_path / "two.db")
    other = await _charts(tmp_path / "other.db", seed=7)
    assert [c.series for c in one.values()] == [c.series for c in two.values()]
    assert [c.series for c in one.values()] != [c.series for c in other.values()]


async def test_the_demo_answers_no_series_for_a_query_it_does_not_know() -> None:
    demo = DemoSource(SourceSpec("demo", "demo"))
    got = await demo.query_range(
        "rate(nothing[5m])", NOW - timedelta(hours=1), NOW, timedelta(minutes=1)
    )
    assert got == []
