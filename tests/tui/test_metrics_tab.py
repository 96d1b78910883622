"""The Metrics tab (issue #12 item 1): the open incident's rule series against their
threshold, fetched without holding a key, stale with the reason when Prometheus is
down, repainted only when its points change, and a query added by hand with `p`."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Loopback, Reply, Request, loopback
from tests.e2e.servers import alertmanager, prometheus
from tests.support.alerts import alert

from warroom.engine import Service
from warroom.model import AlertKey, Impact
from warroom.model.value import replace
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.tui.metrics_view import ChartView, MetricsView

EXPR = 'errors_ratio{job="api"}'
RULE = f"{EXPR} > 50"


def fake_series(request: Request) -> list[list[object]]:
    """A wave around the threshold, a function of the sample times asked for only."""
    start, end = float(request.query["start"][0]), float(request.query["end"][0])
    step = float(request.query["step"][0].rstrip("s"))
    values = []
    at = start
    while at <= end:
        values.append([at, f"{50 + 30 * math.sin(at / 900):.3f}"])
        at += step
    return values


class FakePrometheus:
    """Answers query_range with `fake_series`; `hold` makes it wait before answering."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.hold.set()
        self.down = False

    def __call__(self, request: Request) -> Reply:
        self.hold.wait(30)
        if self.down:
            return Reply(503, b"Service Unavailable", headers={"Content-Type": "text/plain"})
        if request.path == "/api/v1/query_range":
            query = request.query["query"][0]
            result = [
                {
                    "metric": {"job": "api", "__name__": "errors_ratio"},
                    "values": fake_series(request),
                }
            ]
            if query != EXPR:
                result = [{"metric": {}, "values": fake_series(request)[::2]}]
            body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
            return Reply(body=json.dumps(body).encode())
        body = {"status": "success", "data": {"groups": []}}
        return Reply(body=json.dumps(body).encode())


@pytest.fixture
def fake() -> Iterator[tuple[FakePrometheus, Loopback]]:
    handler = FakePrometheus()
    with loopback(handler) as server:
        yield handler, server
        handler.hold.set()


async def _with_incident(
    console, url: str, starts_at: datetime, declared_at: datetime | None = None
) -> int:
    """A Prometheus source at `url` and an incident of one alert of RULE."""
    spec = SourceSpec("prom", "prometheus", url=url, interval=timedelta(hours=1))
    console.config = replace(console.config, sources=(spec,))
    firing = replace(
        alert("ErrorsHigh", source="prom", starts_at=starts_at, labels={"job": "api"}),
        url=f"{url}/graph?g0.expr={RULE.replace(' ', '+')}&g0.tab=1",
    )
    await console.seed([firing], source="prom")
    async with console.store() as store:
        clock = (lambda: declared_at) if declared_at else None
        return await Service(store, "bob", clock=clock).declare_incident(
            [AlertKey("prom", firing.fingerprint)], "Errors are high", Impact.HIGH
        )


def _view(ui) -> MetricsView:
    return ui.app.query_one(MetricsView)


async def _opened(ui, incident: int, fetched: int = 1) -> MetricsView:
    ui.app.open_incident(incident, tab="metrics")
    await ui.wait_for(
        lambda: bool(ui.app.query(MetricsView)) and _view(ui).fetched >= fetched,
        10,
        "the Metrics tab fetched",
    )
    await ui.pilot.pause()
    return _view(ui)


async def test_the_incidents_rule_is_drawn_against_its_threshold_from_a_real_prometheus(
    console, tmp_path: Path
) -> None:
    rules = """
groups:
  - name: m
    interval: 1s
    rules:
      - alert: ManyGoroutines
        expr: go_goroutines{job="self"} > 1
        labels: {severity: warning}
"""
    with (
        alertmanager(tmp_path / "am") as am_url,
        prometheus(tmp_path / "prom", am_url, rules=rules) as url,
    ):
        source = PrometheusSource(SourceSpec("prom", "prometheus", url=url))
        try:
            for _ in range(60):
                alerts = [a for a in await source.fetch() if a.name == "ManyGoroutines"]
                if alerts:
                    break
                await asyncio.sleep(0.5)
        finally:
            await source.close()
        spec = SourceSpec("prom", "prometheus", url=url, interval=timedelta(hours=1))
        console.config = replace(console.config, sources=(spec,))
        await console.seed(alerts, source="prom")
        async with console.store() as store:
            incident = await Service(store, "bob").declare_incident(
                [alerts[0].key], "goroutines", Impact.HIGH
            )
        async with console.start(size=(80, 24)) as ui:
            view = await _opened(ui, incident)
            (chart,) = [c.chart for c in view.charts.values()]
            assert chart.series and chart.threshold == 1.0
            screen = ui.screen()
            assert 'ManyGoroutines · go_goroutines{job="self"}' in screen
            assert "╌ > 1" in screen and "D declared" in screen
            assert ui.shows("#metrics-status", "1 chart(s)")


async def test_keys_never_wait_for_a_slow_prometheus(console, fake) -> None:
    handler, server = fake
    incident = await _with_incident(console, server.url, datetime.now(UTC) - timedelta(minutes=20))
    handler.hold.clear()  # every answer waits until the test lets it go
    async with console.start() as ui:
        ui.app.open_incident(incident, tab="metrics")
        await ui.wait_for(lambda: ui.shows("#metrics-status", "fetching"), 5, "the fetch started")
        await ui.press("f1")
        assert ui.active_tab == "alerts"
        assert _view(ui).fetched == 0  # the switch did not wait for the answer
        handler.hold.set()
        await ui.wait_for(lambda: _view(ui).fetched >= 1, 10, "the answer drawn")


async def test_prometheus_down_the_chart_says_stale_and_why(console, fake) -> None:
    handler, server = fake
    incident = await _with_incident(console, server.url, datetime.now(UTC) - timedelta(minutes=20))
    async with console.start(size=(80, 24)) as ui:
        view = await _opened(ui, incident)
        assert "STALE" not in ui.screen()
        handler.down = True
        await ui.press("ctrl+r")
        await ui.wait_for(lambda: view.fetched >= 2, 10, "the second fetch")
        await ui.pilot.pause()
        screen = ui.screen()
        assert "! STALE prom: " in screen and "503" in screen
        # the last points stay, marked, rather than a calm empty chart
        (chart,) = [c.chart for c in view.charts.values()]
        assert chart.series and chart.stale


async def test_a_chart_is_repainted_only_when_its_points_change(console, fake) -> None:
    _, server = fake
    now = datetime.now(UTC).replace(microsecond=0)
    incident = await _with_incident(console, server.url, now - timedelta(minutes=20))
    clock = [now]
    async with console.start(size=(80, 24), clock=lambda: clock[0]) as ui:
        view = await _opened(ui, incident)
        (chart,) = view.query(ChartView)
        await ui.pilot.pause(0.3)  # the first layout settled (sized to the tab)
        painted = chart.paints
        await ui.press("ctrl+r")
        await ui.wait_for(lambda: view.fetched >= 2, 10, "the second fetch")
        await ui.pilot.pause()
        assert chart.paints == painted  # the same samples: nothing sent to the terminal
        clock[0] = now + timedelta(minutes=5)  # five minutes on: new samples
        await ui.press("ctrl+r")
        await ui.wait_for(lambda: view.fetched >= 3, 10, "the third fetch")
        await ui.pilot.pause()
        assert chart.paints > painted


async def test_p_adds_a_query_by_hand(console, fake) -> None:
    _, server = fake
    incident = await _with_incident(console, server.url, datetime.now(UTC) - timedelta(minutes=20))
    async with console.start(size=(80, 24)) as ui:
        view = await _opened(ui, incident)
        await ui.press("p", *"rate(requests_total[5m]) > 2", "enter")
        await ui.wait_for(lambda: len(view.charts) == 2, 10, "the second chart")
        await ui.pilot.pause()
        titles = [c.chart.title for c in view.charts.values()]
        assert titles[1] == "by hand · rate(requests_total[5m])"
        assert [c.chart.threshold for c in view.charts.values()] == [50.0, 2.0]
        assert ui.shows("#metrics-status", "2 chart(s)")
