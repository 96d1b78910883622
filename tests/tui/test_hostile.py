"""Hostile text: whatever a source or a responder sends is shown literally and never
acts on the terminal -- no Rich markup is parsed, no escape sequence, C1 control,
NUL or bidi override is painted.

Three views of "what is painted" are checked: the cells' plain text, the screen as
text (what `export_screenshot` records), and the raw stream a terminal would get.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from warroom.engine import Service
from warroom.model import EventKind, Severity
from warroom.model.text import strip_unsafe
from warroom.tui.dialogs import AlertDetailScreen, DeclareScreen, PromptScreen

STAND_INS = ("␛", "<U+009B>", "␀", "<U+202E>")
LITERAL_MARKUP = ("[bold]x[/bold]", "[/ ", "[link=http://x]y")


def hostile_alert(console, fingerprint="evil"):
    hostile = console.HOSTILE
    return console.alert(
        fingerprint,
        hostile,
        Severity.CRITICAL,
        minutes_ago=3,
        labels={"team": hostile, hostile: "v", "service": "checkout"},
        annotations={"summary": hostile, "description": hostile, hostile: hostile},
    )


def assert_nothing_raw(console, ui) -> None:
    """No hostile character reaches the screen text, the terminal stream or the SVG."""
    text, raw = ui.screen(), ui.raw_output()
    for char in console.RAW_CONTROLS:
        assert char not in text, f"{char!r} painted"
    # our own styling writes ESC sequences; the content's must not get through
    assert "\x1b]52" not in raw  # OSC 52: write the responder's clipboard
    assert "\x1b[31mred" not in raw
    for char in ("\x9b", "\x00", "\x07", "\u202e"):
        assert char not in raw, f"{char!r} sent to the terminal"
    svg = ui.app.export_screenshot()
    for char in console.RAW_CONTROLS:
        assert char not in svg, f"{char!r} in the screenshot"


def assert_literal(text: str) -> None:
    for piece in LITERAL_MARKUP:
        assert piece in text, f"{piece!r} not shown literally"


async def test_hostile_alert_shows_literally_in_the_table(console):
    await console.seed([hostile_alert(console), console.alert("calm", minutes_ago=1)])
    async with console.start() as ui:
        evil = console.key("evil")
        assert ui.rows() == [evil, console.key("calm")]
        cells = ui.cell_texts(evil)
        # the name column is 20 wide: the markup is cut, not interpreted
        assert cells[2] == "[bold]x[/bold] [/ […"
        assert_literal(cells[6])
        for stand_in in STAND_INS:
            assert stand_in in cells[6]
        for row in ui.rows():
            for cell in ui.cell_texts(row):
                assert not any(c in cell for c in console.RAW_CONTROLS), (row, cell)

        screen = ui.screen()
        assert "[bold]x[/bold] [/" in screen
        assert "[bold]x[/bold]" in ui.app.export_screenshot()
        assert_nothing_raw(console, ui)

        # the filter finds it by its literal markup
        await ui.press("slash")
        await ui.pilot.press(*"[bold]x[/")
        await ui.wait_for(lambda: ui.rows() == [evil])
        await ui.press("escape")
        assert_nothing_raw(console, ui)


async def test_hostile_alert_detail_shows_labels_and_annotations_literally(console):
    await console.seed([hostile_alert(console)])
    async with console.start() as ui:
        await ui.cursor_to(console.key("evil"))
        await ui.press("enter")
        assert isinstance(ui.app.screen, AlertDetailScreen)
        text = ui.static("AlertDetailScreen Static")
        assert_literal(text)
        assert "team = [bold]x[/bold]" in text
        assert "service = checkout" in text
        assert not any(c in text for c in console.RAW_CONTROLS)
        assert "[bold]x[/bold]" in ui.screen()
        assert_nothing_raw(console, ui)


async def test_hostile_alert_through_declare_incident_and_timeline(console):
    await console.seed([hostile_alert(console)])
    async with console.start() as ui:
        await ui.cursor_to(console.key("evil"))
        await ui.press("i")
        assert isinstance(ui.app.screen, DeclareScreen)
        # the title is prefilled from the hostile summary, already made safe
        title = ui.app.screen.query_one("#title", Input).value
        assert title.startswith("[bold]x[/bold]")
        assert_nothing_raw(console, ui)
        await ui.press("enter")
        await ui.wait_for(lambda: ui.active_tab == "incident")
        await ui.wait_for(lambda: "[bold]x[/bold]" in ui.static("#incident-overview"))
        assert_literal(ui.static("#incident-overview"))
        assert_nothing_raw(console, ui)

        await ui.press("f2")
        await ui.wait_for(lambda: ui.rows("#incidents-table"))
        [row] = ui.rows("#incidents-table")
        assert ui.cell_texts(row, "#incidents-table")[-1].startswith("[bold]x[/bold]")
        assert_nothing_raw(console, ui)

        await ui.press("enter", "t")
        await ui.wait_for(lambda: ui.active_tab == "timeline")
        await ui.wait_for(lambda: "declared" in ui.static("#timeline-body"))
        assert_nothing_raw(console, ui)


async def test_hostile_source_error_in_status_bar(console):
    async with console.start() as ui:
        async with ui.app.store.transaction() as tx:
            await tx.record_poll("demo", 5.0, ok=False, error=console.HOSTILE)
        await ui.wait_for(
            lambda: "[bold]x[/bold]" in ui.static("#status-sources"),
            what="the failing source in the status bar",
        )
        assert not any(c in ui.static("#status-sources") for c in console.RAW_CONTROLS)
        assert_nothing_raw(console, ui)


async def test_hostile_note_is_kept_verbatim_and_shown_safely(console):
    await console.seed([console.alert("disk", severity=Severity.CRITICAL)])
    incident_id = await console.declare(["disk"])
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("enter")
        await ui.wait_for(lambda: ui.active_tab == "incident")
        await ui.press("n")
        assert isinstance(ui.app.screen, PromptScreen)
        # typed markup, then a paste of the rest (a terminal cannot type ESC into a field)
        typed = console.HOSTILE_MARKUP
        assert console.HOSTILE.startswith(typed)
        await ui.pilot.press(*typed)
        field = ui.app.screen.query_one("#prompt", Input)
        field.post_message(events.Paste(console.HOSTILE[len(typed) :]))
        # the field drops control and bidi characters as they arrive: what the
        # responder sees there is exactly what is stored
        cleaned = strip_unsafe(console.HOSTILE)
        assert cleaned != console.HOSTILE
        await ui.wait_for(lambda: field.value == cleaned, what="the pasted text")
        await ui.press("enter")

        async def saved():
            return [e for e in await ui.app.store.timeline(incident_id) if e.kind is EventKind.NOTE]

        [note] = await ui.wait_for(saved, what="the note")
        assert note.text == cleaned
        assert note.actor == "alice"
        # a note written by a script or another tool may still carry them raw
        await Service(ui.app.store, "mallory").add_note(incident_id, console.HOSTILE)

        await ui.wait_for(lambda: "[bold]x[/bold]" in ui.static("#incident-events"))
        assert_literal(ui.static("#incident-events"))
        assert_nothing_raw(console, ui)

        await ui.press("t")
        await ui.wait_for(lambda: "[bold]x[/bold]" in ui.static("#timeline-body"))
        await ui.wait_for(lambda: "mallory" in ui.static("#timeline-body"))
        body = ui.static("#timeline-body")
        assert_literal(body)
        for stand_in in STAND_INS:
            assert stand_in in body
        assert "[bold]x[/bold]" in ui.screen()
        assert_nothing_raw(console, ui)


@pytest.mark.parametrize("field", ["note", "filter", "title"])
async def test_pasted_hostile_text_is_not_echoed_raw_by_an_input(console, field):
    await console.seed([console.alert("disk", severity=Severity.CRITICAL)])
    async with console.start() as ui:
        if field == "note":
            await ui.press("n")
            target = ui.app.screen.query_one("#prompt", Input)
        elif field == "filter":
            await ui.press("slash")
            target = ui.app.query_one("#alerts-filter", Input)
        else:
            await ui.press("i", "ctrl+u")
            target = ui.app.screen.query_one("#title", Input)
        assert target.has_focus
        target.post_message(events.Paste("\x1b]52;c;SGVsbG8=\x07 \x9b2J \x00 \u202eevil"))
        await ui.wait_for(lambda: "evil" in target.value, what="the pasted text")
        await ui.pilot.pause()
        assert_nothing_raw(console, ui)
