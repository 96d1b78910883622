"""`/` on the Incidents tab: every incident, resolved too, by its title, summary,
notes and timeline; the field that matched and a snippet in the row."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from warroom.engine import Service
from warroom.model import Impact, IncidentStatus, Severity

from .test_typeahead import burst

TABLE = "#incidents-table"


async def seed(console) -> tuple[int, int, int]:
    await console.seed(
        [
            console.alert("disk", "DiskFull", Severity.CRITICAL, minutes_ago=30),
            console.alert("cpu", "CpuHigh", Severity.WARNING, minutes_ago=5),
        ]
    )
    async with console.store() as store:
        service = Service(store, "bob")
        old = await service.declare_incident([], "Checkout 5xx", Impact.HIGH)
        await service.add_note(old, "Restarted the payments pool on db-7, errors gone")
        await service.resolve(old)
    disk = await console.declare(["disk"], "Disk trouble on db-7", Impact.MEDIUM)
    cpu = await console.declare(["cpu"], "CPU high", Impact.LOW)
    return old, disk, cpu


def _search_field(ui) -> Input:
    return ui.app.query_one("#incidents-search", Input)


async def test_slash_finds_resolved_incidents_by_a_note_and_escape_clears(console):
    old, disk, cpu = await seed(console)
    async with console.start() as ui:
        await ui.press("f2")
        await ui.wait_for(lambda: ui.rows(TABLE) == [str(disk), str(cpu)], what="open ones")
        burst(ui.app, "/DB-7")
        await ui.wait_for(
            lambda: ui.rows(TABLE) == [str(disk), str(old)], what="both db-7 incidents"
        )
        assert _search_field(ui).has_focus
        assert _search_field(ui).border_title == "2 found (resolved too)"
        assert ui.cell_texts(str(disk), TABLE)[-1] == "Disk trouble on db-7"
        note = ui.cell_texts(str(old), TABLE)
        assert note[-1].startswith("note: …ol on db-7, errors gone"), note
        assert "resolved" in note[3]
        await ui.press("escape")
        await ui.wait_for(lambda: ui.rows(TABLE) == [str(disk), str(cpu)], what="cleared")
        assert not _search_field(ui).display


async def test_keys_after_enter_act_on_a_found_incident(console, monkeypatch):
    """`/cpu⏎a` while the store is slow to search: the a waits for the found rows
    and acknowledges the CPU incident, never the one under the cursor before."""
    _, disk, cpu = await seed(console)
    async with console.start() as ui:
        await ui.press("f2")
        await ui.wait_for(lambda: ui.rows(TABLE) == [str(disk), str(cpu)], what="open ones")
        store = ui.app.store
        search = store.search_incidents

        async def slow_search(text: str, limit: int = 200):
            await asyncio.sleep(0.6)
            return await search(text, limit)

        monkeypatch.setattr(store, "search_incidents", slow_search)
        burst(ui.app, "/cpu\ra")

        async def acknowledged():
            found = await store.incident(cpu)
            return found.status is IncidentStatus.ACKNOWLEDGED

        await ui.wait_for(acknowledged, within=5, what="the CPU incident acknowledged")
        assert ui.rows(TABLE) == [str(cpu)]
        found = await store.incident(disk)
        assert found.status is IncidentStatus.OPEN


async def test_a_hostile_note_found_by_search_is_shown_literally(console):
    await seed(console)
    async with console.store() as store:
        evil = await Service(store, "mallory").declare_incident([], "evil", Impact.LOW)
        await Service(store, "mallory").add_note(evil, "needle " + console.HOSTILE)
    async with console.start() as ui:
        await ui.press("f2")
        burst(ui.app, "/needle")
        await ui.wait_for(lambda: ui.rows(TABLE) == [str(evil)], what="the hostile note")
        cell = ui.cell_texts(str(evil), TABLE)[-1]
        assert cell.startswith("note: needle [bold]x[/bold]")
        screen = ui.raw_output()
        assert not any(c in cell for c in console.RAW_CONTROLS)
        assert "\x9b" not in screen and "\u202e" not in screen and "\x00" not in screen
