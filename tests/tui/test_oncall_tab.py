"""The On-call tab (issue #10 item 6): now and next per schedule, overrides from any
process, `o` to take a shift (a burst types into its dialog), `x` to cancel, `t` to test."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom
from tests.tui.test_typeahead import burst
from textual.widgets import Input

from warroom.config import demo_config
from warroom.model.clock import utcnow
from warroom.model.oncall import on_call, timeline
from warroom.plans import load_plans
from warroom.tui.dialogs import ConfirmScreen
from warroom.tui.oncall_dialog import OverrideScreen

PLANS = """\
kind: contact
name: alice
display_name: Alice A
channels: [{name: log, type: log}]
---
kind: contact
name: bob
display_name: "Bob [bold]B[/bold]"
channels: [{name: log, type: log}]
---
kind: contact
name: carol
channels: [{name: log, type: log, path: PAGES}]
---
kind: contact
name: dan
channels: [{name: log, type: log}]
---
kind: schedule
name: primary
timezone: UTC
rotations:
  - name: daily
    members: [alice, bob]
    anchor: {date: "2026-01-05", handoff: "00:00"}
    every: {unit: day}
"""
LABELS = {"alice": "Alice A", "bob": "Bob [bold]B[/bold]"}


@pytest.fixture
def plans(console, tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    pages = tmp_path / "carol-pages.log"
    (folder / "people.yaml").write_text(PLANS.replace("PAGES", str(pages)))
    console.config = demo_config(tmp_path / "w.db", plans=folder)
    return folder


def now_and_next(plans: Path) -> tuple[str, str]:
    schedule = load_plans(plans).schedules["primary"]
    now = utcnow()
    (person,) = on_call(schedule, now)
    spans = timeline(schedule, now, now + timedelta(days=2))
    return person, spans[1][2][0]


async def test_the_tab_shows_who_is_on_call_now_and_next(console, plans: Path) -> None:
    person, following = now_and_next(plans)
    async with console.start(actor="dan") as ui:
        await ui.press("f7")
        await ui.wait_for(
            lambda: ui.shows("#oncall-status", "1 schedule(s)"), what="the On-call tab drawn"
        )
        rows = ui.rows("#oncall-table")
        assert rows[:2] == [f"now/primary/{person}", "next/primary"]
        now_row = ui.cell_texts(f"now/primary/{person}", "#oncall-table")
        assert now_row[1:3] == ["primary", "● now"]
        assert now_row[3].startswith("until ") and now_row[4] == LABELS[person]
        next_row = ui.cell_texts("next/primary", "#oncall-table")
        assert next_row[3].startswith("from ") and next_row[4] == LABELS[following]
        # the coming week, cut at each day's hand-off
        assert sum(r.startswith("shift/primary/") for r in rows) in (7, 8)
        # redrawn a moment later (the 30 s tick), every row keeps its key: the cursor stays
        await ui.pilot.pause(1.1)
        view = ui.app.view("oncall")
        assert view is not None
        await view.reload()
        assert ui.rows("#oncall-table") == rows
        # bob's display name carries markup: shown as the text it is
        assert "[bold]B[/bold]" in ui.screen()
        # every key of the tab is in the palette, with its key and tooltip
        commands = {c.title: c.help for c in ui.app.get_system_commands(ui.app.screen)}
        assert {"Take shift", "Cancel override", "Test", "Go to On-call"} <= set(commands)
        assert commands["Take shift"].startswith("o · take a shift")


async def test_an_override_made_in_another_process_appears(
    console, plans: Path, tmp_path: Path
) -> None:
    person, _ = now_and_next(plans)
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {console.config.database}\nplans: {plans}\n")
    async with console.start(actor="dan") as ui:
        await ui.press("f7")
        await ui.wait_for(lambda: f"now/primary/{person}" in ui.rows("#oncall-table"))
        done = await asyncio.to_thread(
            warroom,
            "--config", config, "override", "primary", "--with", "carol",
            "--replace", person, "--for", "2h", "--reason", "[red]flight[/red]", "--json",
            env=clean_env(tmp_path),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        override_id = json.loads(done.stdout)["override"]["id"]
        await ui.wait_for(
            lambda: "now/primary/carol" in ui.rows("#oncall-table"), what="carol on call now"
        )
        rows = ui.rows("#oncall-table")
        assert f"now/primary/{person}" not in rows
        swap = ui.cell_texts(f"override/{override_id}", "#oncall-table")
        assert swap[2] == "⇄ swap"
        assert swap[4].startswith(f"#{override_id} carol for {person} · ")
        assert swap[4].endswith(": [red]flight[/red]")  # markup shown as the text it is

        # x on it, confirmed, cancels it: the rota is back
        await _cursor_to(ui, f"override/{override_id}")
        await ui.press("x")
        await ui.wait_for(lambda: isinstance(ui.top_screen(), ConfirmScreen), what="asked")
        await ui.press("y")
        await ui.wait_for(
            lambda: f"now/primary/{person}" in ui.rows("#oncall-table"), what="the rota back"
        )
        record = await ui.app.store.override(override_id)
        assert record is not None and record.cancelled_by == "dan"


async def _cursor_to(ui, key: str) -> None:
    from warroom.tui.table import KeyedTable

    table = ui.app.query_one("#oncall-table", KeyedTable)
    table.focus()
    await ui.pilot.pause()
    target = ui.rows("#oncall-table").index(key)
    while table.cursor_row != target:
        await ui.pilot.press("down" if table.cursor_row < target else "up")
    await ui.pilot.pause()
    assert table.cursor_key == key


async def test_o_and_a_burst_types_into_the_dialog_and_takes_the_shift(
    console, plans: Path
) -> None:
    """`ocarol⇥⇥⇥⇥x to cover⏎` in one write: the name replaces the prefilled one, the
    reason's x, o and t never cancel, open or test anything."""
    person, _ = now_and_next(plans)
    async with console.start(actor="dan") as ui:
        await ui.press("f7")
        await ui.wait_for(lambda: f"now/primary/{person}" in ui.rows("#oncall-table"))
        await _cursor_to(ui, f"now/primary/{person}")
        burst(ui.app, "ocarol\t\t\t\tx to cover\r")
        records = await ui.wait_for(ui.app.store.overrides, within=10, what="the override stored")
        (record,) = records
        o = record.override
        assert (o.with_, o.replace, o.reason, o.author) == ("carol", person, "x to cover", "dan")
        assert timedelta(minutes=59) < o.end - o.start <= timedelta(hours=1)  # from now: 1h
        await ui.wait_for(lambda: "now/primary/carol" in ui.rows("#oncall-table"))
        await ui.pilot.pause(0.3)
        assert not isinstance(ui.top_screen(), (OverrideScreen, ConfirmScreen))
        assert not any("test message" in n for n in ui.notifications())
        (event,) = await ui.app.store.timeline(None)
        assert event.actor == "dan" and "carol takes primary" in event.text


async def test_a_mistake_keeps_the_dialog_open_with_what_was_typed(console, plans: Path) -> None:
    async with console.start(actor="dan") as ui:
        await ui.press("f7")
        await ui.wait_for(lambda: ui.shows("#oncall-status", "1 schedule(s)"))
        burst(ui.app, "ozed\t\t\t\tbecause\r")
        await ui.wait_for(
            lambda: (
                isinstance(ui.top_screen(), OverrideScreen)
                and ui.shows("#override-error", "'zed' is not a contact")
            ),
            what="the refusal in the dialog",
        )
        dialog = ui.top_screen()
        assert dialog.query_one("#override-with", Input).value == "zed"
        assert dialog.query_one("#override-with", Input).has_focus
        assert dialog.query_one("#override-reason", Input).value == "because"
        assert await ui.app.store.overrides() == []


async def test_t_sends_a_test_message_to_the_person_under_the_cursor(
    console, plans: Path, tmp_path: Path
) -> None:
    async with console.start(actor="dan") as ui:
        await ui.press("f7")
        await ui.wait_for(lambda: ui.shows("#oncall-status", "1 schedule(s)"))
        # put carol on call (an override), then test her channel from her row
        from warroom.engine.overrides import Roster

        await ui.app.service.add_override(
            Roster.of(ui.app.planset),
            "primary",
            utcnow(),
            utcnow() + timedelta(hours=1),
            with_="carol",
            reason="pairing",
        )
        await ui.wait_for(lambda: "now/primary/carol" in ui.rows("#oncall-table"))
        await _cursor_to(ui, "now/primary/carol")
        await ui.press("t")
        await ui.wait_for(
            lambda: any(n.startswith("Test carol: ") for n in ui.notifications()),
            what="the outcome",
        )
        (outcome,) = [n for n in ui.notifications() if n.startswith("Test carol: ")]
        assert ": sent: " in outcome
        (line,) = (tmp_path / "carol-pages.log").read_text().splitlines()
        assert json.loads(line)["title"].startswith("warroom test message")
