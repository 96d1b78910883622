"""`s` on the Metrics tab (issue #12): the charts shown are frozen into the incident's
analysis through the real store, said in one line, then listed on the Analysis tab
and in `warroom analysis ID --markdown`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.tui.test_metrics_tab import _opened, _with_incident, fake

from warroom.cli.analysis import esc, markdown
from warroom.engine.analysis import gather_analysis
from warroom.model import EventKind
from warroom.model.analysis import MetricSnapshot
from warroom.tui.analysis_view import AnalysisView

__all__ = ["fake"]  # a fixture, used by name


async def test_s_snapshots_the_charts_into_the_analysis(console, fake) -> None:
    _, server = fake
    incident = await _with_incident(console, server.url, datetime.now(UTC) - timedelta(minutes=20))
    async with console.start(size=(80, 24)) as ui:
        view = await _opened(ui, incident)
        points = next(iter(view.charts.values())).chart.points
        assert points > 0
        await ui.press("s")

        async def taken() -> list[MetricSnapshot]:
            return await ui.app.store.metric_snapshots(incident)

        snaps = await ui.wait_for(taken, 10, "the snapshot stored")
        assert [s.chart.title for s in snaps] == [c.chart.title for c in view.charts.values()]
        assert snaps[0].chart.points == points and snaps[0].chart.threshold == 50.0
        await ui.wait_for(
            lambda: any("Snapshotted 1 chart(s)" in n for n in ui.notifications()),
            what="the one-line notice",
        )
        timeline = await ui.app.store.timeline(incident)
        assert [e.kind for e in timeline].count(EventKind.METRICS_SNAPSHOT) == 1

        ui.app.open_incident(incident, tab="analysis")
        tab = await ui.wait_for(
            lambda: next(iter(ui.app.query(AnalysisView)), None), what="the Analysis tab"
        )
        await ui.wait_for(lambda: tab.analysis is not None, what="the analysis loaded")
        key = f"snapshot:{snaps[0].id}"
        assert key in ui.rows("#analysis-table")
        assert f"{snaps[0].chart.title} · {points} point(s)" in ui.cell_texts(
            key, "#analysis-table"
        )

    async with console.store() as store:
        analysis = await gather_analysis(store, incident)
    assert analysis is not None
    assert f"### {esc(snaps[0].chart.title)}" in markdown(analysis)


async def test_s_without_an_incident_snapshots_nothing(console) -> None:
    async with console.start(size=(80, 24)) as ui:
        await ui.press("f9")
        await ui.press("s")
        await ui.wait_for(
            lambda: any("Nothing snapshotted" in n for n in ui.notifications()),
            what="the refusal",
        )
