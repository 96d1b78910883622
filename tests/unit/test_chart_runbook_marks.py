"""Runbook steps on the Metrics tab's time axis: what was tried, against the curve."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

from tests.unit.test_chart import T0, _chart, _points, _text

from warroom.engine.metrics import IncidentMetrics
from warroom.model import EventKind, Impact
from warroom.model.series import Mark, Series
from warroom.store import open_store
from warroom.tui.chart import render


async def test_the_incident_marks_include_runbook_starts_and_step_results(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "w.db")
    try:
        async with store.transaction(T0) as tx:
            incident = await tx.create_incident("Disk full", Impact.MEDIUM, "alice")
            await tx.add_event(incident, EventKind.RUNBOOK_STARTED, "alice", "disk-cleanup")
            await tx.add_event(incident, EventKind.RUNBOOK_STEP_STARTED, "alice", "rotate")
            await tx.add_event(incident, EventKind.RUNBOOK_STEP_RESULT, "alice", "rotate: done")
            await tx.add_event(incident, EventKind.NOTE, "alice", "not on the axis")
        marks = await IncidentMetrics(store, []).marks(incident)
        assert [m.kind for m in marks] == ["runbook-started", "runbook-step-result"]
    finally:
        await store.close()


def test_runbook_marks_are_letters_on_the_axis_with_a_legend() -> None:
    marks = (
        Mark(T0 + timedelta(minutes=15), "declared"),
        Mark(T0 + timedelta(minutes=30), "runbook-started"),
        Mark(T0 + timedelta(minutes=40), "runbook-step-result"),
        Mark(T0 + timedelta(minutes=50), "runbook-step-result"),
    )
    lines = _text(render(_chart(Series({}, _points([1.0, 2.0] * 60)), marks=marks), 80, 10, UTC))
    axis = lines[-3]
    start = axis.index("└") + 1
    width = len(axis) - start
    assert abs(axis.index("B") - start - round(0.5 * (width - 1))) <= 1
    assert axis.count("S") == 2
    assert "B runbook" in lines[-1] and "S step" in lines[-1]
