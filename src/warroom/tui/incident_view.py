"""The Incident tab: one incident's overview, its alerts, and what happened last."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from warroom.model import EventKind, Incident, TimelineEvent, TrackedAlert, events
from warroom.model.clock import format_age, format_local
from warroom.model.related import RelatedItem
from warroom.model.text import safe_text
from warroom.plans import ResponsePlan, render_links
from warroom.tui import cells
from warroom.tui.actions import EDIT_BINDINGS, INCIDENT_BINDINGS, EditActions
from warroom.tui.context import console
from warroom.tui.engagement_panel import engagement_text
from warroom.tui.related_dialog import RelatedScreen, related_summary
from warroom.tui.table import KeyedTable

LATEST_EVENTS = 6
# How long the incident has been going on, and its alerts' ages, keep time between
# changes; the overview is rewritten only when its text moved.
AGE_REFRESH_SECONDS = 5.0


def overview(incident: Incident, now: datetime) -> Text:
    text = Text()
    text.append(f"#{incident.id} ", style="bold")
    text.append(safe_text(incident.title), style="bold")
    text.append("\n")
    text.append_text(cells.impact(incident.impact))
    text.append("  ")
    text.append_text(cells.status(incident.status, incident.parent_id))
    end = incident.resolved_at or now
    text.append(f"  for {format_age(end - incident.created_at)}\n")
    text.append(f"{incident.impact.meaning}\n", style="dim")
    text.append(
        f"declared {format_local(incident.created_at, with_date=True)}"
        f" by {safe_text(incident.created_by)}\n"
    )
    if incident.acknowledged_by:
        text.append(
            f"acknowledged {format_local(incident.acknowledged_at)}"
            f" by {safe_text(incident.acknowledged_by)}\n"
        )
    if incident.resolved_by:
        text.append(
            f"resolved {format_local(incident.resolved_at)} by {safe_text(incident.resolved_by)}\n"
        )
    if incident.plan:
        text.append(f"plan {safe_text(incident.plan)}  ")
    if incident.dedupe_key:
        text.append(f"dedupe {safe_text(incident.dedupe_key)}")
    if incident.parent_id is not None:
        text.append(f"\nmerged into #{incident.parent_id}", style="bold")
    if incident.summary:
        text.append(f"\n{safe_text(incident.summary, 500)}")
    return text


def plan_text(plan: ResponsePlan | None, name: str, links: list[dict[str, str]]) -> Text:
    """What the plan says to do: who is engaged, which runbook, where to look.

    `links` are the plan's links as rendered when the incident was declared.
    """
    text = Text()
    text.append(safe_text(plan.display_name or plan.name if plan else name), style="bold")
    if plan is not None and plan.engagements:
        text.append(f"\nengage: {safe_text(', '.join(plan.engagements))}")
    if plan is not None and plan.runbook:
        text.append(f"\nrunbook: {safe_text(plan.runbook)}")
    for link in links:
        text.append(f"\n→ {safe_text(link.get('title', ''), 60)}: ", style="bold")
        text.append(safe_text(link.get("url", ""), 300), style="underline")
    return text


def declared_links(timeline: list[TimelineEvent]) -> list[dict[str, str]] | None:
    """The links recorded when the incident was declared; None if it predates that."""
    for event in timeline:
        if event.kind is EventKind.DECLARED:
            if event.version == 0 and "links" not in event.data:
                return None
            try:
                declared = events.read(event)
            except events.EventUnreadable:
                return None
            assert isinstance(declared, events.Declared)
            return [{"title": link.title, "url": link.url} for link in declared.links]
    return None


def event_line(event: TimelineEvent) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(format_local(event.at), style="dim")
    line.append(f" {event.kind.value:<12} ", style="bold")
    line.append(safe_text(event.actor, 16), style="italic")
    line.append(" ")
    line.append(safe_text(event.text, 300))
    return line


class IncidentView(EditActions):
    BINDINGS: ClassVar[list[BindingType]] = [
        *INCIDENT_BINDINGS,
        *EDIT_BINDINGS,
        Binding(
            "t",
            "timeline",
            "Timeline",
            tooltip="the incident's whole timeline",
            id="incident.timeline",
        ),
        Binding(
            "l",
            "related",
            "Related",
            tooltip="the incident's related items; enter copies a link (OSC 52)",
            id="incident.related",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._incident: Incident | None = None
        self._alerts: list[TrackedAlert] = []
        self._overview = ""
        self._related: list[RelatedItem] = []

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_SECONDS, self._refresh_ages)

    def _refresh_ages(self) -> None:
        if self.is_on_screen and self._incident is not None:
            self._show(self._incident, self._alerts, force=False)

    def _show(self, incident: Incident, alerts: list[TrackedAlert], force: bool) -> None:
        """The overview and the alerts table; `force` rewrites the overview even when
        its text is the same (a reload: its styles may have changed)."""
        self._incident, self._alerts = incident, alerts
        now = console(self).now()
        text = overview(incident, now)
        if force or text.plain != self._overview:
            self._overview = text.plain
            self.query_one("#incident-overview", Static).update(text)
        self.query_one("#incident-alerts", KeyedTable).sync(
            [
                (
                    str(t.key),
                    (
                        cells.RowMark(" "),
                        cells.severity(t.alert.severity),
                        cells.plain(t.alert.name, 20),
                        cells.alert_state(t),
                        Text(format_age(now - t.alert.starts_at), no_wrap=True),
                        cells.plain(t.alert.summary, 200),
                    ),
                )
                for t in alerts
            ]
        )

    def compose(self) -> ComposeResult:
        # Newest events come right after the overview: at 80x24 what happened last
        # is what a responder joining the incident reads first.
        with VerticalScroll(id="incident-scroll"):
            yield Static(
                Text(
                    "No incident selected. Open one from Incidents (enter) or declare"
                    " one from Alerts (i).",
                    style="dim",
                ),
                id="incident-overview",
            )
            # who was paged comes before the events: "was anyone reached?" first
            engaged = Static(id="incident-engagement")
            engaged.display = False
            yield engaged
            yield Static(Text("Latest events (newest first)", style="bold underline"))
            yield Static(id="incident-events")
            plan_box = Static(id="incident-plan", classes="section")
            plan_box.display = False
            yield plan_box
            related = Static(id="incident-related", classes="section")
            related.display = False
            yield related
            yield Static(
                Text("Alerts (most severe first)", style="bold underline"), classes="section"
            )
            table = KeyedTable(id="incident-alerts")
            table.add_column(" ", key="mark", width=2)
            table.add_column("SEV", key="sev", width=7)
            table.add_column("NAME", key="name", width=21)
            table.add_column("STATE", key="state", width=11)
            table.add_column("AGE", key="age", width=7)
            table.add_flex_column("SUMMARY", key="summary")
            yield table

    async def reload(self) -> None:
        incident_id = console(self).current_incident
        if incident_id is None:
            return
        store = console(self).store
        incident = await store.incident(incident_id)
        if incident is None:
            return
        alerts = await store.incident_alerts(incident_id)
        alerts.sort(key=lambda t: (t.alert.severity.rank, t.alert.starts_at, str(t.key)))
        events = await store.timeline(incident_id)
        plan = console(self).plan_index.by_name(incident.plan) if incident.plan else None
        box = self.query_one("#incident-plan", Static)
        box.display = incident.plan is not None
        if incident.plan is not None:
            links = declared_links(events)
            if links is None:  # declared before links were kept: render from an alert
                links = render_links(plan, alerts[0].alert) if plan is not None and alerts else []
            box.update(plan_text(plan, incident.plan, links))
        self._show(incident, alerts, force=True)
        await self._show_engagement(incident_id)
        self._related = await console(self).service.related(incident_id)
        related = self.query_one("#incident-related", Static)
        related.display = bool(self._related)
        related.update(related_summary(self._related))
        latest = events[::-1][:LATEST_EVENTS]
        lines = Text("\n").join(event_line(e) for e in latest) if latest else Text("none")
        self.query_one("#incident-events", Static).update(lines)

    async def _show_engagement(self, incident_id: int) -> None:
        store = console(self).store
        engaged = [e for _, e in await store.engagements(incident_id)]
        box = self.query_one("#incident-engagement", Static)
        box.display = bool(engaged)
        if not engaged:
            return
        rows = await store.outbox(incident_id)
        paging = console(self).service.context.paging
        stages = {}
        for state in engaged:
            plan = paging.plan(state.plan)
            if plan is not None:
                stages[state.plan] = len(plan.stages)
        heading = Text("Engaged (e escalates)\n", style="bold underline")
        box.update(heading + engagement_text(engaged, rows, stages, console(self).now()))

    def target_incidents(self) -> list[int]:
        current = console(self).current_incident
        return [] if current is None else [current]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()

    def action_related(self) -> None:
        incident_id = console(self).current_incident
        if incident_id is None:
            self.notify("Open an incident first (F2, enter).", severity="warning")
            return
        self.app.push_screen(RelatedScreen(incident_id, list(self._related)))

    def action_timeline(self) -> None:
        console(self).show_tab("timeline")

    def focus_content(self) -> None:
        """The top of the incident, its number, title and status, is what shows first.

        Focusing the alerts table used to scroll the tab down to it, past the header.
        """
        self.query_one("#incident-alerts", KeyedTable).focus(scroll_visible=False)
        self.query_one("#incident-scroll", VerticalScroll).scroll_home(animate=False)
