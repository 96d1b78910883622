"""The Incidents tab: open incidents first, worst impact first."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from warroom.model import Incident
from warroom.model.clock import format_age
from warroom.tui import cells
from warroom.tui.actions import EDIT_BINDINGS, INCIDENT_BINDINGS, EditActions
from warroom.tui.context import console
from warroom.tui.table import KeyedTable

# As on the Alerts tab: AGE keeps time between changes (only the cells whose
# text moved are repainted, so an idle console stays quiet over SSH).
AGE_REFRESH_SECONDS = 5.0


class IncidentsView(EditActions):
    BINDINGS: ClassVar[list[BindingType]] = [
        *INCIDENT_BINDINGS,
        *EDIT_BINDINGS,
        Binding(
            "enter",
            "open",
            "Open",
            tooltip="open the incident under the cursor",
            id="incidents.open",
        ),
        Binding(
            "h",
            "toggle_resolved",
            "Resolved",
            tooltip="show or hide resolved incidents",
            id="incidents.toggle_resolved",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incidents: dict[str, Incident] = {}
        self._shown: list[Incident] = []
        self.show_resolved = False

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_SECONDS, self._refresh_ages)

    def compose(self) -> ComposeResult:
        table = KeyedTable(id="incidents-table")
        table.add_column(" ", key="mark", width=2)
        table.add_column("ID", key="id", width=6)
        table.add_column("IMPACT", key="impact", width=12)
        table.add_column("STATUS", key="status", width=11)
        table.add_column("AGE", key="age", width=7)
        table.add_column("ALRT", key="alerts", width=5)
        table.add_column("ACK BY", key="ack", width=11)
        table.add_flex_column("TITLE", key="title")
        yield table

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#incidents-table", KeyedTable)

    async def reload(self) -> None:
        found = await console(self).store.incidents(include_resolved=self.show_resolved)
        self.incidents = {str(i.id): i for i in found}
        self._shown = found
        self._sync()

    def _refresh_ages(self) -> None:
        if self.is_on_screen and self._shown:
            self._sync()

    def _sync(self) -> None:
        now = console(self).now()
        self.table.sync(
            [
                (
                    str(i.id),
                    (
                        cells.RowMark("●" if i.id == console(self).current_incident else " "),
                        Text(f"#{i.id}", no_wrap=True),
                        cells.impact(i.impact),
                        cells.status(i.status, i.parent_id),
                        Text(format_age(now - i.created_at), no_wrap=True),
                        Text(str(i.alert_count), no_wrap=True),
                        cells.plain(i.acknowledged_by or "", 10),
                        cells.plain(i.title, 200),
                    ),
                )
                for i in self._shown
            ]
        )

    def target_incidents(self) -> list[int]:
        key = self.table.cursor_key
        return [int(key)] if key is not None else []

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        targets = self.target_incidents()
        if targets:
            console(self).open_incident(targets[0])

    async def action_toggle_resolved(self) -> None:
        self.show_resolved = not self.show_resolved
        self.notify(
            "Showing resolved incidents too" if self.show_resolved else "Open incidents only"
        )
        await self.reload()
