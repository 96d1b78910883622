"""The console's composition: tabs come from one registry, the runtime from the CLI.

Issues 10-12 add an On-call, a Runbook, a Metrics and an Analysis tab: each must
be one registry entry and one view, refreshed only while it is on screen, and the
console must run on whatever runtime (store, clock, actor) it is handed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from tests.support.waiting import until
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from warroom.cli.keymap_check import binding_scopes
from warroom.engine.wiring import open_runtime
from warroom.model.clock import utcnow
from warroom.tui.actions import View
from warroom.tui.app import WarroomApp
from warroom.tui.context import console as console_of
from warroom.tui.dialogs import HelpScreen
from warroom.tui.tabs import ACTED_ON, CURRENT_INCIDENT, STALE_SOURCES, TABS, Tab, TabRegistry


class ShiftsView(View):
    """A tab of its own, as issue 10's On-call tab will be: counts what it draws."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reloads = 0

    def compose(self) -> ComposeResult:
        yield Static(id="shifts-body")

    async def reload(self) -> None:
        self.reloads += 1
        incidents = await console_of(self).store.incidents()
        self.query_one("#shifts-body", Static).update(f"{len(incidents)} open incident(s)")


def _shifts(widget_id: str) -> View:
    return ShiftsView(id=widget_id)


class WithShifts(WarroomApp):
    """The whole change a new tab needs in the app: its entry, and its key from it."""

    TAB_REGISTRY = TABS.plus(Tab("shifts", "Shifts", "f11", _shifts, frozenset({"incident"})))
    BINDINGS: ClassVar[list[BindingType]] = TAB_REGISTRY.bindings()


@asynccontextmanager
async def running(app: WarroomApp) -> AsyncIterator[Any]:
    app.animation_level = "none"
    async with app.run_test(size=(100, 30)) as pilot:
        await asyncio.wait_for(app.ready.wait(), timeout=5)
        await pilot.pause()
        yield pilot


def shifts_view(app: WarroomApp) -> ShiftsView | None:
    found = app.view("shifts")
    assert found is None or isinstance(found, ShiftsView)
    return found


async def test_a_new_tab_is_one_entry_and_one_view(console: Any) -> None:
    await console.seed([console.alert("disk"), console.alert("cpu")])
    runtime = await open_runtime(console.config, actor="alice", run_engine=False)
    try:
        app = WithShifts(runtime)
        async with running(app) as pilot:
            ui_tabs = [str(pane.id) for pane in app.query("TabPane")]
            assert ui_tabs == [*TABS.ids, "shifts"]
            assert shifts_view(app) is None  # lazy: nothing built until shown

            await pilot.press("f11")
            await pilot.pause()
            view = shifts_view(app)
            assert view is not None and view.reloads == 1
            assert "0 open incident(s)" in str(view.query_one(Static).render())

            # it watches incidents: one declared elsewhere shows while it is visible
            await console.declare(["disk"])
            await until(lambda: view.reloads == 2, what="the visible tab refreshed by the feed")
            assert "1 open incident(s)" in str(view.query_one(Static).render())

            # hidden, it does no work, however often the feed wakes
            await pilot.press("f1")
            await pilot.pause()
            before = view.reloads
            await console.declare(["cpu"], title="CPU")
            alerts = app.query_one("#alerts-table")
            await until(
                lambda: "#2" in str(alerts.get_cell("demo/cpu", "summary")),  # type: ignore[attr-defined]
                what="the alerts tab showing the second incident",
            )
            assert view.reloads == before

            # shown again: drawn once, with what changed meanwhile
            await pilot.press("f11")
            await until(lambda: view.reloads == before + 1, what="the tab refreshed when shown")
            await pilot.pause(0.3)
            assert view.reloads == before + 1
            assert "2 open incident(s)" in str(view.query_one(Static).render())

            # the palette and help know it, from the same entry
            commands = [c.title for c in app.get_system_commands(app.screen)]
            assert "Go to Shifts" in commands
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            help_text = str(app.screen.query_one(Static).render())
            assert "the Shifts tab" in help_text
    finally:
        await runtime.close()


async def test_a_tab_key_is_remapped_by_its_id(console: Any) -> None:
    from warroom.model.value import replace

    config = replace(console.config, keymap={"app.tab.shifts": "f12"})
    runtime = await open_runtime(config, actor="alice", run_engine=False)
    try:
        app = WithShifts(runtime)
        async with running(app) as pilot:
            await pilot.press("f11")
            await pilot.pause()
            assert app.query_one("TabbedContent").active == "alerts"  # type: ignore[attr-defined]
            await pilot.press("f12")
            await until(lambda: shifts_view(app) is not None, what="the remapped key to show it")
    finally:
        await runtime.close()


async def test_the_console_runs_on_the_runtime_it_is_handed(console: Any) -> None:
    """The CLI opens the store and builds the engine; the app only uses them. A clock an
    hour ahead (as a snapshot test fixes one) decides what reads as stale."""
    runtime = await open_runtime(
        console.config,
        actor="carol",
        run_engine=True,
        clock=lambda: utcnow() + timedelta(hours=1),
    )
    try:
        app = WarroomApp(runtime)
        async with running(app):
            assert app.store is runtime.store and app.service is runtime.service
            assert app.actor == "carol" and app.service.actor == "carol"
            # the demo source has polled; an hour later, by this clock, it is stale
            await until(lambda: app.stale_sources == {"demo"}, what="the demo source read as stale")
        # the app has gone; the runtime is its opener's to close
        assert await runtime.store.last_change() >= 0
    finally:
        await runtime.close()
    async with console.store() as store:
        lease = await store.lease()
        assert lease is None or not lease.is_live(utcnow())


def test_the_shipped_tabs_in_order_with_their_keys_and_ids() -> None:
    assert [(t.id, t.label, t.key) for t in TABS] == [
        ("alerts", "Alerts", "f1"),
        ("incidents", "Incidents", "f2"),
        ("incident", "Incident", "f3"),
        ("timeline", "Log", "f4"),
        ("silences", "Silences", "f5"),
        ("sources", "Sources", "f6"),
        ("oncall", "On-call", "f7"),
        ("runbook", "Runbook", "f8"),
        ("metrics", "Metrics", "f9"),
        ("analysis", "Analysis", "f10"),
    ]
    assert [t.id for t in TABS if not t.lazy] == ["alerts"]  # only it is in the first frame
    ids = {binding_id for scope in binding_scopes() for binding_id in scope.keys}
    assert {f"app.tab.{t.id}" for t in TABS} <= ids  # `warroom check` knows them


def test_what_each_change_makes_stale() -> None:
    assert TABS.watching({"alerts"}) == {"alerts", "incidents", "incident", "timeline"}
    assert TABS.watching({"timeline"}) == {"incident", "timeline", "metrics", "analysis"}
    assert TABS.watching({"analysis"}) == {"analysis"}
    assert TABS.watching({"silence"}) == {"silences"}
    assert TABS.watching({"lease"}) == {"sources"}
    assert TABS.watching({CURRENT_INCIDENT}) == {
        "incidents",
        "incident",
        "timeline",
        "runbook",
        "metrics",
        "analysis",
    }
    assert TABS.watching({"runbook"}) == {"runbook", "analysis"}
    assert TABS.watching({STALE_SOURCES}) == {"alerts"}
    assert TABS.watching(ACTED_ON) == {
        "alerts", "incidents", "incident", "timeline", "metrics", "analysis"
    }  # fmt: skip
    assert TABS.watching(set()) == set()


def test_a_registry_refuses_a_tab_id_or_key_twice() -> None:
    extra = Tab("alerts", "Again", "f9", _shifts, frozenset())
    with pytest.raises(ValueError, match="tab id 'alerts' declared twice"):
        TABS.plus(extra)
    with pytest.raises(ValueError, match="tab key 'f1' given to two tabs"):
        TABS.plus(Tab("more", "More", "f1", _shifts, frozenset()))
    with pytest.raises(ValueError, match="at least one tab"):
        TabRegistry([])
