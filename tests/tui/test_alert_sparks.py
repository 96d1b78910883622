"""The Alerts tab's sparklines (#12 item 1): a TREND column where the terminal is
wide enough, drawn from the series the Metrics tab would draw, fetched for the rows
on screen in the background; blank without a series, marked when stale."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.e2e.loopback import Loopback, Reply, Request, loopback
from tests.support.alerts import alert

from warroom.model.clock import utcnow
from warroom.model.value import replace
from warroom.sources.base import SourceSpec
from warroom.tui.alert_sparks import BLOCKS, STALE
from warroom.tui.alerts_view import AlertsView

from .test_snapshots import fresh_process, utc

__all__ = ["fresh_process", "utc"]  # fixtures, used by name

RISING = 'requests_in_flight{job="api"}'


class RisingPrometheus:
    """Answers RISING with a line that grows with time, anything else with nothing;
    `hold` keeps every answer back until it is set."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.hold.set()
        self.down = False
        self.asked = 0

    def __call__(self, request: Request) -> Reply:
        self.asked += 1
        self.hold.wait(30)
        if self.down:
            return Reply(503, b"Service Unavailable", headers={"Content-Type": "text/plain"})
        if request.path == "/api/v1/query_range":
            start, end = float(request.query["start"][0]), float(request.query["end"][0])
            step = float(request.query["step"][0].rstrip("s"))
            values, at = [], start
            while at <= end:
                values.append([at, str(at - start)])
                at += step
            result = []
            if request.query["query"][0] == RISING:
                result = [{"metric": {"job": "api"}, "values": values}]
            body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
            return Reply(body=json.dumps(body).encode())
        return Reply(body=json.dumps({"status": "success", "data": {"groups": []}}).encode())


@pytest.fixture
def prom() -> Iterator[tuple[RisingPrometheus, Loopback]]:
    handler = RisingPrometheus()
    with loopback(handler) as server:
        yield handler, server
        handler.hold.set()


async def _seeded(console, url: str, count: int = 2) -> list[str]:
    """`count` alerts of the rising rule, and one of a rule Prometheus has no series for."""
    spec = SourceSpec("prom", "prometheus", url=url, interval=timedelta(hours=1))
    console.config = replace(console.config, sources=(spec,))
    rising = [
        replace(
            alert(
                "InFlightHigh",
                labels={"job": "api", "instance": f"api-{i:03}"},
                starts_at=utcnow() - timedelta(minutes=i + 1),
            ),
            url=f"{url}/graph?g0.expr={RISING.replace(' ', '+')}+>+50&g0.tab=1",
        )
        for i in range(count)
    ]
    quiet = replace(
        alert("NoSeries", labels={"instance": "zzz"}, starts_at=utcnow() - timedelta(days=1)),
        url=f"{url}/graph?g0.expr=nothing_here+>+1",
    )
    await console.seed([*rising, quiet], source="prom")
    return [f"prom/{a.fingerprint}" for a in [*rising, quiet]]


def _trend(ui, key: str) -> str:
    cell = ui.table.get_cell(key, "trend")
    return cell.plain if cell is not None else ""


async def test_a_rising_series_draws_rising_at_120_columns_and_nothing_at_80(console, prom) -> None:
    handler, server = prom
    first, _, quiet = await _seeded(console, server.url)
    async with console.start(size=(120, 30)) as ui:
        await ui.wait_for(lambda: BLOCKS[0] in _trend(ui, first), 10, "the sparkline drawn")
        assert "TREND" in ui.screen()
        drawn = _trend(ui, first).strip()
        assert len(drawn) == 12 and drawn[0] == BLOCKS[0] and drawn[-1] == BLOCKS[-1], drawn
        heights = [BLOCKS.index(c) for c in drawn]
        assert heights == sorted(heights), drawn  # rising draws rising
        assert _trend(ui, quiet) == ""  # no series: blank, not a flat line
        assert drawn in ui.screen()
        # Prometheus goes down: the last points stay, marked, once they are asked again
        handler.down = True
        view = ui.app.query_one(AlertsView)
        sparks = view.sparks()
        assert sparks is not None
        sparks.ttl = 0
        view.want_sparks()
        await ui.wait_for(lambda: _trend(ui, first).endswith(STALE), 10, "the stale mark")
        assert drawn in _trend(ui, first)
    async with console.start(size=(80, 24)) as ui:
        await ui.wait_for(lambda: first in ui.rows(), 5, "the alerts listed")
        await ui.pilot.pause(0.3)
        assert not ui.table.column_shown("trend") and "TREND" not in ui.screen()
        assert not ui.app.query_one(AlertsView).sparks_requested()
    assert handler.asked >= 2


async def test_scrolling_does_not_wait_for_a_slow_source(console, prom) -> None:
    handler, server = prom
    keys = await _seeded(console, server.url, count=80)
    handler.hold.clear()  # every answer is held back
    async with console.start(size=(120, 30)) as ui:
        view = ui.app.query_one(AlertsView)
        await ui.wait_for(lambda: handler.asked >= 1, 10, "the first rows' series asked")
        await ui.press("end")
        last = ui.rows()[-1]
        await ui.wait_for(
            lambda: "NoSeries" in ui.cell_texts(last)[2] or "InFlight" in ui.cell_texts(last)[2],
            5,
            "the last rows drawn while the first answer is held",
        )
        assert ui.table.cursor_row == len(keys) - 1
        assert all(_trend(ui, k) == "" for k in keys)  # nothing answered yet
        handler.hold.set()
        await ui.wait_for(
            lambda: any(BLOCKS[-1] in _trend(ui, k) for k, _ in view.on_screen_alerts()),
            15,
            "the rows on screen drawn once answered",
        )
        assert view.sparks_requested()


@pytest.mark.parametrize("mode", ["256", "NO_COLOR"])
async def test_the_demo_alerts_with_sparklines_at_120x30(
    fresh_process: bool, console, utc, monkeypatch, mode: str
) -> None:
    if not fresh_process:
        return  # the fresh interpreter compared the screen
    from warroom.sources.demo import DemoSource

    from .test_snapshots import NOW, colour_mode, compare, settled_shot

    colour_mode(monkeypatch, mode)
    await console.seed(DemoSource(SourceSpec("demo", "demo")).snapshot(NOW))
    async with console.start(size=(120, 30), clock=lambda: NOW) as ui:
        view = ui.app.query_one(AlertsView)
        await ui.wait_for(
            lambda: all(_trend(ui, k) for k, _ in view.on_screen_alerts()), 10, "every trend"
        )
        system = "standard" if mode == "NO_COLOR" else "256"
        shot = await settled_shot(ui, system)
    text, raw = shot
    assert "TREND" in text and BLOCKS[-1] in text, text
    compare(f"alerts-sparks-120x30-{mode.lower()}", text, raw)


async def test_no_trend_column_when_no_source_can_draw_one(console) -> None:
    """Alertmanager alone answers no range queries: a TREND column would stay blank."""
    spec = SourceSpec("am", "alertmanager", url="http://127.0.0.1:9", interval=timedelta(hours=1))
    console.config = replace(console.config, sources=(spec,))
    await console.seed([alert("DiskFull", source="am")], source="am")
    async with console.start(size=(120, 30)) as ui:
        await ui.wait_for(lambda: "DiskFull" in ui.screen(), 5, "the alert listed")
        assert "TREND" not in ui.screen() and not ui.table.column_shown("trend")
