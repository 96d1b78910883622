"""Every alert of a storm is reachable on the Alerts tab, and the filter counts them all.

The tab used to draw the 2,000 most urgent alerts and keep the rest behind `/`;
it now pages rows in from the store, so the last of 50,000 is one `end` away.
"""

from __future__ import annotations

from textual.widgets import Input

from warroom.model import Severity

STORM = 50_000


async def test_end_shows_the_last_of_50000_alerts_and_the_filter_counts_them_all(console):
    # newest first: alert 0 is the most recent, "oldest" sorts last of all; the
    # even ones (25,000) are floods
    storm = [
        console.alert(f"a{i:05d}", "Surge" if i % 2 else "Flood", minutes_ago=i + 1)
        for i in range(STORM - 1)
    ]
    oldest = console.alert("oldest", "OldestOfAll", Severity.WARNING, minutes_ago=STORM + 10)
    await console.seed([*storm, oldest])
    async with console.start() as ui:
        table = ui.table
        await ui.wait_for(lambda: table.row_count == STORM, 60, "every alert listed")
        table.focus()
        await ui.press("end")
        assert table.cursor_key == console.key("oldest")
        await ui.wait_for(lambda: "OldestOfAll" in ui.screen(), 10, "the last alert drawn")
        # the view holds a few pages of alerts, not the storm
        assert len(ui.app.query_one("#view-alerts").loaded) < 200

        await ui.press("slash", *"Flood")
        field = ui.app.query_one("#alerts-filter", Input)
        want = f"{STORM // 2:,} of {STORM:,} match"
        await ui.wait_for(lambda: field.border_title == want, 30, "the full count")
        assert table.row_count == STORM // 2
        await ui.press("enter", "end")
        assert table.cursor_key == console.key(f"a{STORM - 2:05d}")  # the oldest flood
        await ui.wait_for(lambda: "Flood" in ui.screen() and "Surge" not in ui.screen(), 10)


async def test_a_long_timeline_opens_at_its_end_and_takes_new_events_there(console):
    """The Timeline tab draws with the Line API and appends only new events: 3,000
    notes open at the latest, and another responder's note lands below it."""
    from warroom.engine import Service

    await console.seed([console.alert("disk", severity=Severity.CRITICAL)])
    incident_id = await console.declare(["disk"])
    async with console.store() as store:
        service = Service(store, "bob")
        for i in range(3000):
            await service.add_note(incident_id, f"note {i:04d}")
    async with console.start() as ui:
        ui.app.open_incident(incident_id, tab="timeline")
        await ui.wait_for(lambda: "note 2999" in ui.screen(), 10, "the latest note on screen")
        assert "note 0000" not in ui.screen()
        log = ui.app.query_one("#timeline-body")
        lines = log.line_count
        async with console.store() as other:
            await Service(other, "carol").add_note(incident_id, "from carol")
        await ui.wait_for(lambda: "from carol" in ui.screen(), 10, "the new note at the bottom")
        assert log.line_count == lines + 2  # appended, not rebuilt
        body = ui.static("#timeline-body").splitlines()
        assert body[-1].strip() == "from carol" and body.count("    note 2999") == 1


async def test_selection_is_by_key_and_survives_scrolling_refreshes_and_the_filter(console):
    alerts = [console.alert(f"w{i:03d}", minutes_ago=i + 1) for i in range(120)]
    await console.seed(alerts)
    async with console.start() as ui:
        first, second = console.key("w000"), console.key("w001")
        await ui.cursor_to(first)
        await ui.press("space")  # selects w000, the cursor goes down to w001
        assert ui.table.cursor_key == second
        await ui.press("end", "home")  # far away and back: rows paged out and in
        await ui.wait_for(lambda: ui.cell_texts(first)[:1] == ["●"], what="still marked")
        await ui.press("slash", *"W119", "enter")  # a filter that hides it
        await ui.wait_for(lambda: ui.rows() == [console.key("w119")], what="filtered")
        await ui.seed([console.alert("new", minutes_ago=0), *alerts])  # a poll: refresh
        await ui.wait_for(lambda: console.key("new") not in ui.rows() and ui.rows(), what="poll")
        await ui.press("slash", "escape")  # the filter cleared
        await ui.wait_for(lambda: len(ui.rows()) == 121, what="all shown again")
        # the cursor stays on the row it was on, and that row is on screen
        assert ui.table.cursor_key == console.key("w119")
        top, bottom = ui.table.window()
        assert top <= ui.table.cursor_row < bottom
        await ui.press("home")
        await ui.wait_for(lambda: ui.cell_texts(first)[:1] == ["●"], what="selected still")
        assert ui.cell_texts(second)[:1] == [" "]
