"""Issue #4 in the console: matcher filter, bulk with preview, plans, merge, edit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.alerts import alert as make
from tests.support.waiting import until, until_awaited

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.engine import Service
from warroom.model import (
    Alert,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
)
from warroom.tui.app import WarroomApp
from warroom.tui.dialogs import ConfirmScreen, DeclareScreen, PromptScreen

PLAN = """
kind: response-plan
name: disk-full
match: {alerts: 'alertname=~"DiskFull"'}
incident:
  title: "Disk full on {labels.cluster}"
  impact: 2
  dedupe: "disk/{labels.cluster}"
links:
  - {title: Dashboard, url: "https://grafana.example/d/disk?host={labels.instance}"}
engagements: [storage-oncall]
runbook: disk-cleanup
"""


def alert(name: str, i: int, **labels: str) -> Alert:
    return make(
        name,
        source="am",
        starts_at=datetime.now(UTC) - timedelta(minutes=i % 50 + 1),
        labels={"severity": "warning", "instance": f"host-{i}", **labels},
        annotations={"summary": f"{name} on host-{i}"},
    )


@asynccontextmanager
async def console(tmp_path: Path, alerts: list[Alert]) -> AsyncIterator[tuple[WarroomApp, Any]]:
    plans = tmp_path / "plans"
    plans.mkdir(exist_ok=True)
    (plans / "disk.yaml").write_text(PLAN)
    config = Config(database=tmp_path / "w.db", plans=plans)
    async with (
        open_console(config, run_engine=False, actor="alice") as app,
        app.run_test(size=(100, 30)) as pilot,
    ):
        await app.ready.wait()
        async with app.store.transaction() as tx:
            await tx.apply_snapshot("am", alerts)
        view: Any = app.query_one("#view-alerts")
        await until(lambda: view.table.row_count == len(alerts))
        yield app, pilot


async def test_storm_is_acknowledged_in_three_keystrokes_once_filtered(tmp_path: Path) -> None:
    storm = [alert("Flood", i, team="a") for i in range(200)]
    others = [alert("Quiet", i, team="b") for i in range(20)]
    async with console(tmp_path, storm + others) as (app, pilot):
        await pilot.press("slash", *'alertname="Flood"', "enter")
        view: Any = app.query_one("#view-alerts")
        await until(lambda: view.table.row_count == 200)
        await pilot.press("asterisk", "a")  # 1, 2 ...
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("Static").render())
        assert "Acknowledge 200 alert(s)" in question and "0 incident(s)" in question
        await pilot.press("enter")  # ... 3
        acked = [t for t in await app.store.active_alerts() if t.acknowledged_by == "alice"]
        assert len(acked) == 200 and {t.alert.name for t in acked} == {"Flood"}


async def test_matcher_filter_mixes_with_text_and_flags_bad_regexes(tmp_path: Path) -> None:
    alerts = [
        alert("DiskFull", 1, cluster="c1"),
        alert("DiskFull", 2, cluster="c2"),
        alert("DiskSlow", 3, cluster="c1"),
        alert("CpuHigh", 4, cluster="c1"),
    ]
    async with console(tmp_path, alerts) as (app, pilot):
        view: Any = app.query_one("#view-alerts")
        await pilot.press("slash", *'alertname=~"Disk.*" cluster="c1"')
        await until(lambda: view.table.row_count == 2)
        await pilot.press(*" slow")  # free text on top of the matchers
        await until(lambda: view.table.row_count == 1)
        field = app.query_one("#alerts-filter")
        for _ in range(len('alertname=~"Disk.*" cluster="c1" slow')):
            await pilot.press("backspace")
        await pilot.press(*'alertname=~"(Disk"')
        await until(lambda: field.border_subtitle is not None)
        assert "bad regex" in str(field.border_subtitle)


async def test_unplanned_alerts_are_marked_and_declare_uses_the_plan(tmp_path: Path) -> None:
    alerts = [alert("DiskFull", 1, cluster="c1"), alert("Mystery", 2)]
    async with console(tmp_path, alerts) as (app, pilot):
        view: Any = app.query_one("#view-alerts")
        table = view.table
        mystery = next(k for k, t in view.loaded_alerts.items() if t.alert.name == "Mystery")
        disk = next(k for k, t in view.loaded_alerts.items() if t.alert.name == "DiskFull")
        assert str(table.get_cell(mystery, "summary")).startswith("⚑ no plan")
        assert not str(table.get_cell(disk, "summary")).startswith("⚑")

        table.move_cursor(row=table.get_row_index(disk))
        await pilot.press("i")
        assert isinstance(app.screen, DeclareScreen)
        assert app.screen.query_one("#plan").value == "disk-full"  # type: ignore[attr-defined]
        assert app.screen.query_one("#title").value == "Disk full on c1"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(lambda: app.current_incident is not None)
        incident = await app.store.incident(app.current_incident)  # type: ignore[arg-type]
        assert incident is not None
        assert (incident.plan, incident.dedupe_key, int(incident.impact)) == (
            "disk-full",
            "disk/c1",
            2,
        )
        plan_box = str(app.query_one("#incident-plan").render())
        assert "storage-oncall" in plan_box and "disk-cleanup" in plan_box
        assert "https://grafana.example/d/disk?host=host-1" in plan_box


async def test_merge_and_edit_from_the_incident_tab(tmp_path: Path) -> None:
    alerts = [alert("A", 1), alert("B", 2)]
    async with console(tmp_path, alerts) as (app, pilot):
        service = Service(app.store, "bob")
        first = await service.declare_incident([alerts[0].key], "first", Impact.MEDIUM)
        second = await service.declare_incident([alerts[1].key], "second", Impact.MEDIUM)
        app.open_incident(second)
        await pilot.pause()
        await pilot.press("m")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*f"#{first}", "enter")
        # what merging does is said first, and enter (out of habit) does not merge
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("Static").render())
        assert f"Merge #{second} 'second' into #{first} 'first'?" in question
        assert "its 1 alert(s) move" in question
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, ConfirmScreen))
        unmerged = await app.store.incident(second)
        assert unmerged is not None and unmerged.parent_id is None
        await pilot.press("m", *f"#{first}", "enter", "y")  # one burst, y to confirm
        await until(lambda: app.current_incident == first)
        merged = await app.store.incident(second)
        parent = await app.store.incident(first)
        assert merged is not None and parent is not None
        assert merged.parent_id == first and merged.status is IncidentStatus.RESOLVED
        assert parent.alert_count == 2
        assert any(e.kind is EventKind.MERGED for e in await app.store.timeline(second))
        assert any(
            e.kind is EventKind.MERGED and e.actor == "alice"
            for e in await app.store.timeline(first)
        )

        await pilot.press("E")
        assert isinstance(app.screen, PromptScreen)
        for _ in range(len("first")):
            await pilot.press("backspace")
        await pilot.press(*"checkout down", "enter")

        async def title_edited() -> Incident | None:
            incident = await app.store.incident(first)
            return incident if incident is not None and incident.title != "first" else None

        renamed = await until_awaited(title_edited, 5, "the incident's title to change")
        assert renamed is not None and renamed.title == "checkout down"
        edits = [e for e in await app.store.timeline(first) if e.kind is EventKind.EDITED]
        assert edits and edits[-1].data == {
            "field": "title",
            "from": "first",
            "to": "checkout down",
        }
