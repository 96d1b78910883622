"""Friction a responder met in the trial, each as they would see it at 80x24."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from textual.widgets import Input

from warroom.engine import Service
from warroom.model import AlertKey, EventKind, Impact, IncidentStatus, Severity
from warroom.model.clock import format_age
from warroom.tui.dialogs import ConfirmScreen, DeclareScreen, HelpScreen
from warroom.tui.table import KeyedTable


async def seed(console) -> None:
    await console.seed(
        [
            console.alert(
                "disk",
                "DiskFull",
                Severity.CRITICAL,
                minutes_ago=16 * 60 + 49,
                labels={"instance": "db-3:9100"},
            ),
            console.alert(
                "cpu", "CpuHigh", Severity.WARNING, minutes_ago=5, labels={"instance": "web-1:9100"}
            ),
            console.alert("cert", "CertExpiry", Severity.INFO, minutes_ago=60 * 24 * 150),
        ]
    )


def test_ages_fit_six_cells_however_old() -> None:
    for minutes in (0, 5, 61, 16 * 60 + 49, 60 * 24 * 3, 60 * 24 * 99 + 60 * 23, 60 * 24 * 400):
        assert len(format_age(timedelta(minutes=minutes))) <= 6


async def test_columns_never_run_together_and_show_the_instance(console) -> None:
    """As found: `16h49mfiring`. Every cell leaves at least one blank before the next."""
    await seed(console)
    async with console.start() as ui:
        table = ui.table
        headers = [str(c.label) for c in table.ordered_columns]
        assert headers[:6] == [" ", "SEV", "NAME", "INSTANCE", "AGE", "STATE"]
        widths = [c.width for c in table.ordered_columns]
        for row in ui.rows():
            cells = ui.cell_texts(row)
            for cell, width in list(zip(cells, widths, strict=True))[:-1]:
                assert len(cell) < width, (cell, width)
        assert ui.cell_texts(console.key("disk"))[3] == "db-3:9100"
        # the age, then a blank, then the state (the age grows while the suite runs)
        assert re.search(r" 1\dh\d\dm firing ", ui.screen()), ui.screen()


async def test_filter_says_how_many_alerts_match(console) -> None:
    await seed(console)
    async with console.start() as ui:
        await ui.press("slash", *"Disk")
        field = ui.app.query_one("#alerts-filter", Input)
        await ui.wait_for(lambda: field.border_title == "1 of 3 match", what="the match count")
        assert "1 of 3 match" in ui.screen()


async def test_home_and_end_go_to_the_first_and_last_row(console) -> None:
    await seed(console)
    async with console.start() as ui:
        await ui.press("end")
        assert ui.table.cursor_key == console.key("cert")
        await ui.press("home")
        assert ui.table.cursor_key == console.key("disk")
        await ui.press("pagedown")
        assert ui.table.cursor_key == console.key("cert")


async def test_help_shows_the_keys_as_typed_with_full_descriptions(console) -> None:
    await seed(console)
    async with console.start() as ui:
        await ui.press("question_mark")
        assert isinstance(ui.app.screen, HelpScreen)
        text = ui.screen()
        assert "asterisk" not in text and "slash" not in text
        assert "*" in text and "select every alert the filter shows" in text
        assert "acknowledge the incident (or the alert" in text


async def test_incident_tab_shows_newest_events_first_and_alerts_by_severity(console) -> None:
    await seed(console)
    incident_id = await console.declare(["cert", "cpu", "disk"], "Three things", Impact.MEDIUM)
    async with console.store() as store:
        for n in range(1, 9):
            await Service(store, "bob").add_note(incident_id, f"note number {n}")
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: "note number 8" in ui.screen(), what="the newest note at 80x24")
        screen = ui.screen()
        assert screen.index("note number 8") < screen.index("note number 7")
        assert "note number 1" not in screen  # only the latest few
        table = ui.app.query_one("#incident-alerts", KeyedTable)
        assert [str(r.key.value) for r in table.ordered_rows] == [
            console.key("disk"),
            console.key("cpu"),
            console.key("cert"),
        ]


async def test_timeline_keeps_the_console_log_one_key_away(console) -> None:
    await seed(console)
    incident_id = await console.declare(["disk"], "Disk", Impact.MEDIUM)
    async with console.store() as store:
        await Service(store, "bob").add_note(None, "checked the LB by hand")
        await Service(store, "bob").add_note(incident_id, "on the incident")
    async with console.start() as ui:
        ui.app.open_incident(incident_id, tab="timeline")
        await ui.wait_for(lambda: "on the incident" in ui.screen(), what="the incident timeline")
        await ui.press("l")
        await ui.wait_for(lambda: "checked the LB by hand" in ui.screen(), what="the console log")
        assert "on the incident" not in ui.screen()
        await ui.press("l")
        await ui.wait_for(lambda: "on the incident" in ui.screen(), what="back to the incident")


async def test_declare_dialog_keeps_what_was_typed_when_refused(console) -> None:
    await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("i")
        await ui.wait_for(lambda: isinstance(ui.app.screen, DeclareScreen), what="declare")
        dialog = ui.app.screen
        dialog.query_one("#title", Input).value = "Web tier melting"
        dialog.query_one("#plan", Input).value = "no-such-plan"
        await ui.press("enter")
        assert ui.app.screen is dialog
        assert dialog.query_one("#title", Input).value == "Web tier melting"
        assert "No plan named 'no-such-plan'" in ui.screen()


async def test_plan_links_are_kept_as_declared(console) -> None:
    await seed(console)
    async with console.store() as store:
        incident_id = await Service(store, "bob").declare_incident(
            [AlertKey("demo", "disk")],
            "Disk",
            Impact.HIGH,
            plan="disk-full",
            links=[{"title": "Disk usage", "url": "https://grafana.example/d?host=db-3:9100"}],
        )
        events = await store.timeline(incident_id)
    declared = next(e for e in events if e.kind is EventKind.DECLARED)
    assert declared.data["links"] == [
        {"title": "Disk usage", "url": "https://grafana.example/d?host=db-3:9100"}
    ]
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: "host=db-3:9100" in ui.screen(), what="the declared link")


async def test_opening_an_incident_shows_its_number_title_and_status(console) -> None:
    """As found: the tab opened scrolled down to its alerts, the header off screen."""
    await seed(console)
    incident_id = await console.declare(["cert", "cpu", "disk"], "Three things", Impact.MEDIUM)
    async with console.store() as store:
        for n in range(1, 9):
            await Service(store, "bob").add_note(incident_id, f"note number {n}")
    async with console.start() as ui:
        await ui.press("f2")
        await ui.wait_for(lambda: ui.rows("#incidents-table"), what="the incidents listed")
        await ui.press("enter")
        await ui.wait_for(lambda: ui.active_tab == "incident", what="the incident opened")
        await ui.wait_for(lambda: "note number 8" in ui.screen(), what="the incident drawn")
        await ui.pilot.pause(0.2)
        assert f"#{incident_id} Three things" in ui.screen()


async def test_declare_refuses_an_empty_impact_instead_of_guessing(console) -> None:
    await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("i")
        await ui.wait_for(lambda: isinstance(ui.app.screen, DeclareScreen), what="declare")
        dialog = ui.app.screen
        dialog.query_one("#impact", Input).value = ""
        await ui.press("enter")
        assert ui.app.screen is dialog
        assert "Impact: a number from 1 (critical) to 5" in ui.screen()


async def test_resolving_while_alerts_fire_asks_and_enter_keeps_it_open(console) -> None:
    """As found: `r` on an incident with firing alerts resolved it; the next poll declared
    a new incident and the acknowledgement and notes stayed behind."""
    await seed(console)
    incident_id = await console.declare(["disk"], "Disk", Impact.MEDIUM)
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-overview", "Disk"), what="shown")
        await ui.press("r")
        await ui.wait_for(lambda: isinstance(ui.app.screen, ConfirmScreen), what="the question")
        assert "alerts still firing (DiskFull)" in ui.screen()
        await ui.press("enter")  # out of habit: keeps it open
        await ui.pilot.pause(0.3)
        found = await ui.app.store.incident(incident_id)
        assert found.status is IncidentStatus.OPEN
        await ui.press("r")
        await ui.wait_for(lambda: isinstance(ui.app.screen, ConfirmScreen), what="asked again")
        await ui.press("y")

        async def resolved():
            found = await ui.app.store.incident(incident_id)
            return found.status is IncidentStatus.RESOLVED

        await ui.wait_for(resolved, what="resolved on y")
        events = await ui.app.store.timeline(incident_id)
        assert "still firing (DiskFull)" in events[-1].text


async def test_r_on_the_sources_tab_asks_for_a_poll_now(console) -> None:
    async with console.store() as store, store.transaction() as tx:
        await tx.record_poll("demo", 15, ok=False, error="connection refused")
    async with console.start() as ui:
        await ui.press("f6")
        await ui.wait_for(lambda: ui.rows("#sources-table") == ["demo"], what="the source")
        await ui.press("r")
        requests = await ui.wait_for(ui.app.store.retry_requests, what="the retry request")
        assert list(requests) == ["demo"]
        await ui.wait_for(
            lambda: any("Polling demo now" in n for n in ui.notifications()), what="said"
        )


async def test_quit_finishes_the_actions_under_way(console) -> None:
    """Quitting cancelled the queue: a note typed a moment before was lost."""
    await seed(console)
    incident_id = await console.declare(["disk"], "Disk", Impact.MEDIUM)
    async with console.start() as ui:
        service = ui.app.service
        original = service.add_note
        release = asyncio.Event()  # the notes wait for it: still under way at ctrl+q

        async def slow_note(target, text):
            await release.wait()
            return await original(target, text)

        service.add_note = slow_note
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-overview", "Disk"), what="shown")
        for text in ("first", "second"):
            await ui.press("n", *text, "enter")
        await ui.press("ctrl+q")
        assert any("Finishing" in n for n in ui.notifications()), ui.notifications()
        assert ui.app.is_running
        release.set()
        await ui.wait_for(lambda: not ui.app.is_running, within=5, what="the console quit")
    async with console.store() as store:
        notes = [e.text for e in await store.timeline(incident_id) if e.kind is EventKind.NOTE]
    assert notes == ["first", "second"]


async def test_hostile_alert_names_in_the_resolve_question_are_shown_literally(console) -> None:
    await console.seed([console.alert("evil", console.HOSTILE[:60], Severity.CRITICAL)])
    incident_id = await console.declare(["evil"], "Evil", Impact.MEDIUM)
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-overview", "Evil"), what="shown")
        await ui.press("r")
        await ui.wait_for(lambda: isinstance(ui.app.screen, ConfirmScreen), what="asked")
        raw = ui.raw_output()
        assert "\x1b]52" not in raw and "\u202e" not in raw and "\x9b" not in raw
        assert "[bold]x[/bold]" in ui.screen()
