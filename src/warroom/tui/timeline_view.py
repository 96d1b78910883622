"""The Timeline tab: every event of the incident, oldest first, newest at the bottom."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from warroom.model import TimelineEvent
from warroom.model.clock import format_local
from warroom.model.text import safe_text
from warroom.tui.actions import INCIDENT_BINDINGS, IncidentActions
from warroom.tui.context import console
from warroom.tui.line_log import LineLog


def timeline_lines(events: list[TimelineEvent]) -> list[Text]:
    """Each event as its lines: when, what and who; then its text, indented."""
    lines = []
    for event in events:
        head = Text(no_wrap=False)
        head.append(format_local(event.at, with_date=True), style="dim")
        head.append(f"  {event.kind.value}", style="bold")
        head.append(f"  {safe_text(event.actor, 32)}", style="italic")
        lines.append(head)
        lines.extend(Text(f"    {safe_text(line)}") for line in event.text.splitlines() or [""])
    return lines


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
        # what the log shows: whose timeline, and its events up to which id
        self._showing: tuple[int | None] | None = None
        self._last_id = 0
        self._reading = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-title")
        yield LineLog(id="timeline-body")

    async def reload(self) -> None:
        async with self._reading:  # two reloads at once would append the same events
            await self._reload()

    async def _reload(self) -> None:
        incident_id = None if self.show_log else console(self).current_incident
        log = self.query_one("#timeline-body", LineLog)
        if self._showing != (incident_id,):
            self._showing = (incident_id,)
            self._last_id = 0
            log.clear(Text("No events yet.", style="dim"))
        events = await console(self).store.timeline_after(incident_id, self._last_id)
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
        if events:
            self._last_id = events[-1].id
            log.write_lines(timeline_lines(events))

    async def action_toggle_log(self) -> None:
        self.show_log = not self.show_log
        await self.reload()

    def target_incidents(self) -> list[int]:
        if self.show_log:
            return []
        current = console(self).current_incident
        return [] if current is None else [current]

    def focus_content(self) -> None:
        self.query_one("#timeline-body", LineLog).focus()
