"""The Incident tab's related items: counted in a section, listed by `l`, a link copied
with enter (OSC 52 through Textual's driver, and shown alone as plain text for
selecting). Hostile text from a source (markup, escapes) stays inert."""

from __future__ import annotations

from tests.tui.conftest import Harness, make_alert

from warroom.engine import Service
from warroom.model import Impact
from warroom.tui.related_dialog import RelatedScreen

HOSTILE_TITLE = "[bold red]pwn[/] \x1b]52;c;ZXZpbA==\x07"


async def test_l_lists_related_items_and_enter_copies_a_link(console: Harness) -> None:
    alert = make_alert(
        "a1",
        annotations={"runbook_url": "https://wiki.example/runbooks/disk?x=[b]1[/b]"},
    )
    await console.seed([alert])
    async with console.store() as store:
        service = Service(store, "bob")
        incident = await service.declare_incident([alert.key], "disk", Impact.HIGH)
        other = await service.declare_incident([], "db", Impact.LOW)
        await service.add_related(incident, f"incident:{other}", HOSTILE_TITLE)
    async with console.start(size=(80, 24)) as ui:
        ui.app.open_incident(incident)
        await ui.wait_for(
            lambda: ui.shows("#incident-related", "1 link, 1 incident"), what="the section"
        )
        await ui.press("l")
        await ui.wait_for(lambda: isinstance(ui.top_screen(), RelatedScreen), what="the dialog")
        screen = ui.top_screen()
        assert isinstance(screen, RelatedScreen)
        listing = ui.screen()
        assert "[bold red]pwn[/]" in listing  # shown as typed, never as markup
        assert "\x1b]52;c;ZXZpbA" not in ui.raw_output()  # no escape from the title
        await ui.press("enter")  # the first: the annotation's link
        url = "https://wiki.example/runbooks/disk?x=[b]1[/b]"
        await ui.wait_for(lambda: screen.copied == url, what="the link copied")
        assert ui.app.clipboard == url
        assert ui.shows("#related-url", url)
        await ui.press("down", "c")  # the incident: no link, says so
        await ui.wait_for(lambda: ui.shows("#related-url", "no link to copy"), what="refusal")
        assert ui.app.clipboard == url
        await ui.press("escape")
        await ui.wait_for(lambda: not isinstance(ui.top_screen(), RelatedScreen), what="closed")
