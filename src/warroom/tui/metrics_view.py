"""The Metrics tab: the series behind the incident open on the Incident tab.

The engine picks the queries (each alert's rule split on its comparison, plus
queries added here with `p`) and fetches them (`engine.metrics`); this view
asks for them in a worker, so a slow or dead Prometheus never holds a key, and
again every REFRESH_SECONDS while it is on screen. `s` freezes the charts shown
into the incident's analysis, so its points outlive the source's retention. A
chart is repainted only when what it would draw changed (new points, a new
event, stale or fresh again): a full repaint costs ~11 kB on the wire, per viewer.
"""

from __future__ import annotations

import logging
from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from warroom.engine.service import ActionError
from warroom.model.series import Chart
from warroom.model.text import safe_text
from warroom.tui.actions import View
from warroom.tui.chart import render
from warroom.tui.context import console
from warroom.tui.dialogs import PromptScreen

log = logging.getLogger(__name__)

REFRESH_SECONDS = 15.0
CHART_MIN = 9  # rows: title, four of plot, axis, times, legend and a blank
GUTTER = 8  # the chart's y labels, roughly: what is left is the plot's width
# styles per chart role: shapes tell the series apart, colours only help
ROLE_STYLES = {
    "series0": "bold cyan",
    "series1": "magenta",
    "series2": "yellow",
    "series3": "green",
    "threshold": "bold red",
    "mark": "bold",
    "axis": "dim",
    "label": "",
    "stale": "bold reverse",
    "title": "bold",
    "empty": "",
}


def _signature(chart: Chart) -> tuple[object, ...]:
    """What a repaint would change: the points (count and newest), events, staleness."""
    return (
        chart.title,
        tuple((len(s.points), s.points[-1] if s.points else None) for s in chart.series),
        chart.marks,
        chart.threshold,
        chart.stale,
        chart.stale_at if chart.stale else None,
    )


class ChartView(Widget):
    """One chart, drawn at whatever size the tab gives it."""

    DEFAULT_CSS = """
    ChartView { height: 12; }
    """

    def __init__(self, chart: Chart, tz: tzinfo, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chart = chart
        self.tz = tz
        self.paints = 0  # how often it was drawn: a test's (and a bench's) witness

    def show(self, chart: Chart, tz: tzinfo) -> bool:
        """Keep `chart`; repaint only if it would draw differently. True if it will."""
        if _signature(chart) == _signature(self.chart) and tz == self.tz:
            self.chart = chart
            return False
        self.chart, self.tz = chart, tz
        self.refresh()
        return True

    def render(self) -> Text:
        self.paints += 1
        width, height = self.size.width, self.size.height
        text = Text(no_wrap=True, overflow="crop", end="")
        for index, row in enumerate(render(self.chart, width, height, self.tz)):
            if index:
                text.append("\n")
            for chunk, role in row:
                text.append(chunk, style=ROLE_STYLES.get(role, ""))
        return text


class MetricsView(View):
    DEFAULT_CSS = """
    MetricsView #metrics-charts { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "p",
            "add_query",
            "Add query",
            tooltip="add a PromQL query or a CloudWatch metric to this incident's charts",
            id="metrics.add_query",
        ),
        Binding(
            "s",
            "snapshot",
            "Snapshot",
            tooltip="freeze the charts shown into the incident's analysis (Analysis tab, export)",
            id="metrics.snapshot",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            tooltip="fetch the series again now",
            id="metrics.refresh",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incident: int | None = None
        self.charts: dict[str, ChartView] = {}
        self.fetched = 0  # fetches finished: what tests wait on
        self.count: int | None = None  # charts last shown; None while the first fetch runs

    def compose(self) -> ComposeResult:
        yield Static(id="metrics-status")
        yield VerticalScroll(id="metrics-charts")

    def focus_content(self) -> None:
        """The charts scroll, and the tab's keys (p, ctrl+r) work from there."""
        self.query_one("#metrics-charts", VerticalScroll).focus()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.is_on_screen and console(self).ready.is_set():
            self._fetch()

    async def reload(self) -> None:
        """Say what is coming at once; the series follow from a worker."""
        incident = console(self).current_incident
        if incident != self.incident:
            self.incident, self.count = incident, None
            await self.query_one("#metrics-charts", VerticalScroll).remove_children()
            self.charts = {}
        self._status()
        self._fetch()

    def action_refresh(self) -> None:
        self._fetch()

    def _fetch(self) -> None:
        if self.incident is None or not console(self).service.metrics.available:
            return
        self.run_worker(self._load(self.incident), group="metrics", exclusive=True)

    def _dots(self) -> int:
        # the screen's width: the tab spans it, and is not laid out yet at its first fetch
        return max(2 * (self.app.size.width - GUTTER), 60)

    async def _load(self, incident: int) -> None:
        metrics = console(self).service.metrics
        try:
            charts = await metrics.charts(incident, dots=self._dots(), now=console(self).now())
        except Exception as exc:  # the tab says so; the console goes on
            log.exception("fetching the metrics of #%s failed", incident)
            self._status(f"could not fetch: {exc}")
            return
        if incident != self.incident:
            return  # another incident was opened meanwhile
        await self._show(charts)
        self.fetched += 1

    async def _show(self, charts: list[Chart]) -> None:
        tz = console(self).now().astimezone().tzinfo
        assert tz is not None
        holder = self.query_one("#metrics-charts", VerticalScroll)
        keys = [c.key for c in charts]
        gone = [view for key, view in self.charts.items() if key not in keys]
        for view in gone:
            await view.remove()
        self.charts = {k: v for k, v in self.charts.items() if k in keys}
        new = []
        for chart in charts:
            shown = self.charts.get(chart.key)
            if shown is None:
                self.charts[chart.key] = ChartView(chart, tz)
                new.append(self.charts[chart.key])
            else:
                shown.show(chart, tz)
        if new:
            await holder.mount_all(new)
        self._fit(holder)
        self.count = len(charts)
        self._status()

    def _fit(self, holder: VerticalScroll) -> None:
        """Charts share the tab's height, down to CHART_MIN rows each (then it scrolls)."""
        if self.charts:
            height = max(holder.size.height // len(self.charts), CHART_MIN)
            for view in self.charts.values():
                if view.styles.height is None or view.styles.height.value != height:
                    view.styles.height = height  # a style set, even unchanged, repaints

    def on_resize(self) -> None:
        self._fit(self.query_one("#metrics-charts", VerticalScroll))

    def _status(self, problem: str = "") -> None:
        status = Text(no_wrap=True, overflow="ellipsis")
        metrics = console(self).service.metrics
        if self.incident is None:
            status.append("No incident open: enter on the Incidents tab (F2) opens one.", "dim")
        elif not metrics.available:
            status.append(f"#{self.incident}: ", "bold")
            status.append("no Prometheus source is configured to draw from.", "dim")
        else:
            status.append(f"#{self.incident} ", "bold")
            count = self.count
            if count is None:
                status.append("fetching …  ", "dim")
            elif count == 0:
                status.append("no Prometheus alert in it: p adds a PromQL query.  ", "dim")
            else:
                status.append(f"{count} chart(s) · every {REFRESH_SECONDS:.0f}s  ", "dim")
            zone = console(self).now().astimezone().strftime("%Z")
            status.append(f"times in {zone}", "dim")
        if problem:
            status.append(f"  ✗ {safe_text(problem, 200)}", "bold")
        self.query_one("#metrics-status", Static).update(status)

    async def _keep_query(self, incident: int, answer: str) -> None:
        try:
            await console(self).service.add_metric_query(incident, answer)
        except (ValueError, ActionError) as exc:
            self.notify(f"Not added: {exc}", severity="warning", markup=False)
            return
        self.notify(f"Charting {safe_text(answer, 80)}, kept with #{incident}", markup=False)
        self._fetch()

    def action_add_query(self) -> None:
        incident = self.incident
        if incident is None:
            self.notify("Open an incident first (F2, enter).", severity="warning")
            return
        console(self).hold_keys()

        def save(answer: str | None) -> None:
            if answer and answer.strip():
                self.run_worker(self._keep_query(incident, answer), group="add-query")

        self.app.push_screen(
            PromptScreen(
                f"PromQL, or cloudwatch: {{namespace: NS, metric: M}}, for #{incident}",
                'e.g. rate(http_requests_total{code=~"5.."}[5m]) > 0.1',
            ),
            save,
        )

    def action_snapshot(self) -> None:
        """Freeze every chart shown that has points; the timeline records each."""
        incident = self.incident
        charts = [v.chart for v in self.charts.values() if v.chart.points]
        if incident is None or not charts:
            why = "no points to keep." if incident is not None else "open an incident (F2, enter)."
            self.notify(f"Nothing snapshotted: {why}", severity="warning", markup=False)
            return
        analysis = console(self).service.analysis
        now = console(self).now()

        async def take() -> None:
            for chart in charts:
                await analysis.snapshot(incident, chart, now)

        done = f"Snapshotted {len(charts)} chart(s) into #{incident}'s analysis (F10)"
        console(self).enqueue("Snapshotting", console(self).perform(take(), done))
