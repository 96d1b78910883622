"""The Timeline tab: every event of the incident, oldest first, newest at the bottom."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
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
    BINDINGS: ClassVar[list[BindingType]] = [
        *INCIDENT_BINDINGS,
        Binding(
            "l",
            "toggle_log",
            "Log",
            tooltip="switch between the incident's timeline and the console log",
            id="timeline.console_log",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        # the console log (actions on alerts outside any incident) stays one key
        # away once an incident is open
        self.show_log = False

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-title")
        with VerticalScroll(id="timeline-scroll"):
            yield Static(id="timeline-body")

    async def reload(self) -> None:
        incident_id = None if self.show_log else console(self).current_incident
        events = await console(self).store.timeline(incident_id)
        title = (
            f"Timeline of incident #{incident_id}"
            if incident_id is not None
            else "Console log (actions on alerts outside any incident)"
        )
        if incident_id is not None:
            title += " · l console log"
        elif console(self).current_incident is not None:
            title += f" · l back to #{console(self).current_incident}"
        self.query_one("#timeline-title", Static).update(Text(title, style="bold"))
        body = timeline_text(events) if events else Text("No events yet.", style="dim")
        scroll = self.query_one("#timeline-scroll", VerticalScroll)
        at_end = scroll.scroll_offset.y >= scroll.max_scroll_y
        self.query_one("#timeline-body", Static).update(body)
        if at_end:
            scroll.scroll_end(animate=False)

    async def action_toggle_log(self) -> None:
        self.show_log = not self.show_log
        await self.reload()

    def target_incidents(self) -> list[int]:
        if self.show_log:
            return []
        current = console(self).current_incident
        return [] if current is None else [current]

    def focus_content(self) -> None:
        self.query_one("#timeline-scroll", VerticalScroll).focus()
