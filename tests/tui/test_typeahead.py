"""Keys typed in one breath: a key that opens a field or a dialog owns the keys after it.

SSH coalesces keys and fast typists beat Textual's focus change, so these tests
post a whole burst to the app at once (as the driver does for one terminal
read) and only then let it run, instead of Pilot's key-then-wait.
"""

from __future__ import annotations

import asyncio

from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from warroom.model import AlertKey, EventKind, Impact, IncidentStatus, Severity
from warroom.tui.dialogs import ConfirmScreen, HeldScreen, PromptScreen


def burst(app, text: str) -> None:
    """Every key of `text` in the app's queue before any is handled: one raw write."""
    for char in text:
        name = {"\r": "enter", "\x7f": "backspace", "\x1b": "escape", "\t": "tab"}.get(char)
        app.post_message(events.Key(name or _character_to_key(char), None if name else char))


async def seed(console) -> int:
    await console.seed(
        [
            console.alert("disk", "DiskFull", Severity.CRITICAL, minutes_ago=30),
            console.alert("cpu", "CpuHigh", Severity.WARNING, minutes_ago=5),
        ]
    )
    return await console.declare(["disk"], "Disk trouble", Impact.MEDIUM)


async def incident(ui, incident_id: int):
    return await ui.app.store.incident(incident_id)


async def test_slash_a_in_one_write_filters_and_never_acknowledges(console):
    incident_id = await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        burst(ui.app, "/a")
        field = ui.app.query_one("#alerts-filter", Input)
        await ui.wait_for(lambda: field.value == "a", what="the a typed into the filter")
        await ui.pilot.pause(0.3)
        await ui.wait_for(lambda: not ui.app.pending_actions, what="no action under way")
        assert field.has_focus
        found = await incident(ui, incident_id)
        assert found.status is IncidentStatus.OPEN and found.acknowledged_by is None


async def test_slash_then_backspaces_then_n_types_n_and_opens_no_note(console):
    await seed(console)
    async with console.start() as ui:
        burst(ui.app, "/\x7f\x7fn")
        field = ui.app.query_one("#alerts-filter", Input)
        await ui.wait_for(lambda: field.value == "n", what="n typed into the filter")
        await ui.pilot.pause(0.3)
        assert not isinstance(ui.app.screen, PromptScreen)


async def test_n5_hello_lands_in_the_note_in_order_and_sets_no_impact(console):
    incident_id = await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        burst(ui.app, "n5 hello\r")

        async def noted():
            events_ = await ui.app.store.timeline(incident_id)
            return [e for e in events_ if e.kind is EventKind.NOTE]

        [note] = await ui.wait_for(noted, what="the note saved")
        assert note.text == "5 hello"
        found = await incident(ui, incident_id)
        assert found.impact is Impact.MEDIUM  # the 5 never reached the table


async def test_keys_after_enter_go_back_to_the_table(console):
    """`/Disk⏎a`: the filter takes Disk, enter returns to the table, a acknowledges."""
    incident_id = await seed(console)
    async with console.start() as ui:
        burst(ui.app, "/DiskFull\ra")

        async def acknowledged():
            found = await incident(ui, incident_id)
            return found.status is IncidentStatus.ACKNOWLEDGED

        await ui.wait_for(acknowledged, what="the incident acknowledged by the a after enter")
        assert ui.app.query_one("#alerts-filter", Input).value == "DiskFull"
        assert ui.rows() == [console.key("disk")]


async def test_keys_after_enter_wait_for_the_rows_the_filter_shows(console, monkeypatch):
    """`/CpuHigh⏎a` while the store is slow to filter: the a waits for the filtered
    rows, and acknowledges CpuHigh, never the incident's DiskFull that was under the
    cursor before the filter (CI caught `a` running on the unfiltered table)."""
    incident_id = await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        store = ui.app.store
        shown_alerts = store.shown_alerts

        async def slow_shown(needle: str):
            if needle:
                await asyncio.sleep(0.6)
            return await shown_alerts(needle)

        monkeypatch.setattr(store, "shown_alerts", slow_shown)
        burst(ui.app, "/CpuHigh\ra")

        async def cpu_acked():
            tracked = await store.alerts_by_key([AlertKey("demo", "cpu")])
            return tracked[0].acknowledged_by == console.ACTOR

        await ui.wait_for(cpu_acked, what="CpuHigh acknowledged by the a after enter")
        assert ui.rows() == [console.key("cpu")]
        found = await incident(ui, incident_id)
        assert found.status is IncidentStatus.OPEN and found.acknowledged_by is None


async def test_bulk_confirm_takes_the_enter_typed_with_it(console):
    """`*a⏎` in one write: the confirmation is answered by that enter, not the table's."""
    await seed(console)
    async with console.start() as ui:
        burst(ui.app, "*a\r")

        async def all_acked():
            tracked = await ui.app.store.alerts_by_key([AlertKey("demo", "cpu")])
            return tracked[0].acknowledged_by == console.ACTOR

        await ui.wait_for(all_acked, what="the loose alert acknowledged through the confirm")
        assert not isinstance(ui.app.screen, ConfirmScreen)


async def test_i_on_an_alert_of_an_open_incident_offers_it_and_keeps_the_alert(console):
    incident_id = await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        burst(ui.app, "i")
        await ui.wait_for(lambda: isinstance(ui.app.screen, HeldScreen), what="the held dialog")

        def offered() -> bool:  # the dialog is pushed a frame before it is painted
            text = ui.screen()
            return f"#{incident_id}" in text and "Disk trouble" in text and "open" in text

        await ui.wait_for(offered, what="the dialog naming the incident that holds the alert")
        burst(ui.app, "\r")  # enter: open the incident that holds it
        await ui.wait_for(lambda: ui.active_tab == "incident", what="the incident opened")
        await ui.wait_for(lambda: ui.shows("#incident-overview", "Disk trouble"), what="shown")
        assert ui.app.current_incident == incident_id
        [tracked] = await ui.app.store.alerts_by_key([AlertKey("demo", "disk")])
        assert tracked.incident_id == incident_id


async def test_keys_after_a_refused_s_are_dropped_not_run(console):
    """As found in review: on the demo source (which cannot silence) `sall clear` in one
    burst said "cannot silence" and then acknowledged the incident with the `a`."""
    incident_id = await seed(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        burst(ui.app, "sall clear")
        await ui.wait_for(
            lambda: any("were not used" in n for n in ui.notifications()), what="said"
        )
        await ui.pilot.pause(0.3)
        await ui.wait_for(lambda: not ui.app.pending_actions, what="no action under way")
        found = await incident(ui, incident_id)
        assert found.status is IncidentStatus.OPEN and found.acknowledged_by is None
        assert ui.table.cursor_key == console.key("disk")


async def test_a_focus_event_as_the_app_closes_is_ignored():
    """CI saw ScreenStackError: a DescendantFocus reached the hold after the last
    screen had gone. With no screen there is no field to release the keys into."""
    from textual.app import App

    from warroom.tui.keyhold import KeyHold

    async def dispatch(key: events.Key) -> None:
        raise AssertionError(f"{key.key} replayed into a closed app")

    app: App[None] = App()  # never run: its screen stack is empty, as at shutdown
    hold = KeyHold(app, dispatch)
    hold.start(wait=60)
    hold.take(events.Key("a", "a"))
    await hold.focus_moved()
    assert hold.active  # still holding: nothing was replayed, nothing raised
    assert hold.drop() == 1
