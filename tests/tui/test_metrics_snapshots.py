"""The Metrics tab at 80x24 with a chart, in 256 and 16 colours and NO_COLOR, fresh and
stale; in 16 colours no text may land on its own background's colour.

Prometheus is a loopback stand-in answering a fixed wave (a real one's samples
would differ run to run); the clock is frozen, so the screen is the same each time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.tui.readability import invisible_text
from tests.tui.test_metrics_tab import FakePrometheus, _with_incident
from tests.tui.test_snapshots import (
    NOW,
    colour_mode,
    compare,
    fresh_process,
    settled_shot,
    utc,
)

from warroom.engine import Service
from warroom.tui.metrics_view import MetricsView

__all__ = ["fresh_process", "utc"]  # fixtures, used by name


@pytest.mark.parametrize("state", ["fresh", "stale"])
@pytest.mark.parametrize("mode", ["256", "16", "NO_COLOR"])
async def test_the_metrics_tab_at_80x24(
    fresh_process: bool, console, utc, monkeypatch, state: str, mode: str
) -> None:
    if not fresh_process:
        return  # the fresh interpreter compared the screen
    from tests.e2e.loopback import loopback

    colour_mode(monkeypatch, mode)
    handler = FakePrometheus()
    with loopback(handler) as server:
        incident = await _with_incident(
            console, server.url, NOW - timedelta(minutes=20), NOW - timedelta(minutes=18)
        )
        async with console.store() as store:
            await Service(store, "bob", clock=lambda: NOW - timedelta(minutes=12)).acknowledge(
                incident
            )
        async with console.start(size=(80, 24), clock=lambda: NOW) as ui:
            ui.app.open_incident(incident, tab="metrics")
            await ui.wait_for(
                lambda: bool(ui.app.query(MetricsView)) and ui.app.query_one(MetricsView).fetched,
                10,
                "the chart fetched",
            )
            view = ui.app.query_one(MetricsView)
            if state == "stale":
                handler.down = True
                view.action_refresh()
                await ui.wait_for(lambda: view.fetched >= 2, 10, "the failed fetch")
            system = "256" if mode == "256" else "standard"  # 16 colours: Rich's name
            shot = await settled_shot(ui, system)
            unreadable = invisible_text(ui.app) if mode == "16" else []
    text, raw = shot
    assert not unreadable, unreadable
    assert "ErrorsHig" in text and ("STALE" in text) == (state == "stale"), text
    compare(f"metrics-chart-{state}-{mode.lower()}", text, raw)


@pytest.mark.parametrize("mode", ["256", "NO_COLOR"])
async def test_a_demo_incident_on_the_metrics_tab_at_80x24(
    fresh_process: bool, console, utc, monkeypatch, mode: str
) -> None:
    """`warroom --demo`: its source draws the disk's series, over the line since midnight."""
    if not fresh_process:
        return
    from warroom.model import AlertKey, Impact
    from warroom.sources.base import SourceSpec
    from warroom.sources.demo import DemoSource

    colour_mode(monkeypatch, mode)
    alerts = DemoSource(SourceSpec("demo", "demo")).snapshot(NOW)
    disk = next(a for a in alerts if a.labels.get("instance", "").startswith("db-3"))
    await console.seed(alerts)
    async with console.store() as store:
        incident = await Service(
            store, "bob", clock=lambda: NOW - timedelta(minutes=30)
        ).declare_incident([AlertKey("demo", disk.fingerprint)], "db-3 disk filling", Impact.MEDIUM)
    async with console.start(size=(80, 24), clock=lambda: NOW) as ui:
        ui.app.open_incident(incident, tab="metrics")
        await ui.wait_for(
            lambda: bool(ui.app.query(MetricsView)) and ui.app.query_one(MetricsView).fetched,
            10,
            "the chart fetched",
        )
        system = "standard" if mode == "NO_COLOR" else "256"
        shot = await settled_shot(ui, system)
    text, raw = shot
    assert "disk_used_percent" in text and "STALE" not in text, text
    compare(f"metrics-demo-{mode.lower()}", text, raw)
