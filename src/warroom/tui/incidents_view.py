"""The Incidents tab: open incidents first, worst impact first; `/` searches them all."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Key
from textual.widgets import DataTable, Input

from warroom.model import Incident
from warroom.model.clock import format_age
from warroom.model.search import SearchHit
from warroom.tui import cells
from warroom.tui.actions import EDIT_BINDINGS, INCIDENT_BINDINGS, EditActions
from warroom.tui.context import console
from warroom.tui.inputs import SafeInput
from warroom.tui.search_cells import hit_cell
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
        Binding(
            "slash",
            "search",
            "Search",
            tooltip="search every incident, resolved too: titles, summaries, notes, timelines",
            id="incidents.search",
        ),
        Binding(
            "escape",
            "clear_search",
            "Clear",
            show=False,
            tooltip="clear the search",
            id="incidents.clear_search",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incidents: dict[str, Incident] = {}
        self._shown: list[Incident] = []
        self.show_resolved = False
        self.search_text = ""
        self.hits: dict[int, SearchHit] = {}
        self._reloads = 0
        # set while the rows on screen are what `search_text` finds: enter in the
        # field holds the keys after it until then (`/disk⏎a` acknowledges a found
        # incident, never the one under the cursor before the search)
        self._searched = asyncio.Event()
        self._searched.set()

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_SECONDS, self._refresh_ages)

    def compose(self) -> ComposeResult:
        field = SafeInput(
            placeholder="search titles, summaries, notes, timelines (escape clears)",
            id="incidents-search",
        )
        field.display = False
        yield field
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
        self._reloads += 1
        ticket = self._reloads
        needle = self.search_text
        store = console(self).store
        if needle:
            hits = await store.search_incidents(needle)
            found = [h.incident for h in hits]
        else:
            hits = []
            found = await store.incidents(include_resolved=self.show_resolved)
        if ticket != self._reloads:  # a newer reload (another search) is under way
            return
        self.hits = {h.incident.id: h for h in hits}
        self.incidents = {str(i.id): i for i in found}
        self._shown = found
        self._sync()
        self._show_matches(len(found))
        if needle == self.search_text:
            self._searched.set()

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
                        hit_cell(self.hits[i.id], self.search_text)
                        if self.search_text and i.id in self.hits
                        else cells.plain(i.title, 200),
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

    # -- the search ---------------------------------------------------------------------

    def action_search(self) -> None:
        field = self.query_one("#incidents-search", Input)
        field.display = True
        if not field.has_focus:
            console(self).hold_keys()
            field.focus()

    def action_clear_search(self) -> None:
        if self.search_text:
            self._clear_search()

    def _clear_search(self) -> None:
        field = self.query_one("#incidents-search", Input)
        field.value = ""
        field.display = False
        self._set_search("")

    def _set_search(self, text: str) -> None:
        if text == self.search_text:
            return
        self.search_text = text
        self._searched.clear()
        # the newest keystroke wins: a search for an older text is dropped
        self.run_worker(self.reload(), group="search", exclusive=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._set_search(event.value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            event.input.display = False
        if not self._searched.is_set():
            # the keys typed after enter are for the incidents this search finds
            console(self).hold_keys_for(self._searched.wait())
        self.table.focus()

    def on_key(self, event: Key) -> None:
        if event.key == "escape" and self.query_one("#incidents-search", Input).has_focus:
            event.stop()
            self._clear_search()
            self.table.focus()

    def _show_matches(self, shown: int) -> None:
        """How many incidents the search finds, on the field's border, as it is typed."""
        field = self.query_one("#incidents-search", Input)
        title = f"{shown:,} found (resolved too)" if self.search_text else None
        if field.border_title != title:
            field.border_title = title
