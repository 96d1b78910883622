"""The Timeline tab: every event of the incident, oldest first, newest at the bottom."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from warroom.model import TimelineEvent
from warroom.model.clock import format_local
from warroom.model.text import safe_text
from warroom.tui.actions import INCIDENT_BINDINGS, IncidentActions
from warroom.tui.context import console


def timeline_text(events: list[TimelineEvent]) -> Text:
    text = Text()
    for event in events:
        text.append(format_local(event.at, with_date=True), style="dim")
        text.append(f"  {event.kind.value}", style="bold")
        text.append(f"  {safe_text(event.actor, 32)}\n", style="italic")
        for line in event.text.splitlines() or [""]:
            text.append(f"    {safe_text(line)}\n")
    return text


class TimelineView(IncidentActions):
    BINDINGS: ClassVar[list[BindingType]] = INCIDENT_BINDINGS

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-title")
        with VerticalScroll(id="timeline-scroll"):
            yield Static(id="timeline-body")

    async def reload(self) -> None:
        incident_id = console(self).current_incident
        events = await console(self).store.timeline(incident_id)
        title = (
            f"Timeline of incident #{incident_id}"
            if incident_id is not None
            else "Console log (actions on alerts outside any incident)"
        )
        self.query_one("#timeline-title", Static).update(Text(title, style="bold"))
        body = timeline_text(events) if events else Text("No events yet.", style="dim")
        scroll = self.query_one("#timeline-scroll", VerticalScroll)
        at_end = scroll.scroll_offset.y >= scroll.max_scroll_y
        self.query_one("#timeline-body", Static).update(body)
        if at_end:
            scroll.scroll_end(animate=False)

    def target_incidents(self) -> list[int]:
        current = console(self).current_incident
        return [] if current is None else [current]

    def focus_content(self) -> None:
        self.query_one("#timeline-scroll", VerticalScroll).focus()
