"""The Alerts tab: every active alert, live, with bulk selection and a filter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Key
from textual.widgets import Input

from warroom.model import (
    AlertKey,
    Impact,
    TrackedAlert,
)
from warroom.model.clock import format_age
from warroom.model.filter import AlertFilter
from warroom.model.text import safe_text
from warroom.offload import OFFLOAD_ITEMS
from warroom.store.values import ShownAlert
from warroom.tui import cells
from warroom.tui.actions import INCIDENT_BINDINGS
from warroom.tui.alert_dialogs import AlertDialogs, incidents_of, key_text, source_of
from warroom.tui.alert_sparks import SPARK_COLUMN, SPARK_WIDE, AlertSparks
from warroom.tui.context import console
from warroom.tui.dialogs import (
    AlertDetailScreen,
    ConfirmScreen,
)
from warroom.tui.inputs import SafeInput
from warroom.tui.line_table import LineTable, Row

AGE_REFRESH_SECONDS = 5.0
# Rows kept loaded beyond the screen, in pages, each way: scrolling a page or two
# shows loaded rows at once; farther, they are paged in from the store.
MARGIN_PAGES = 2
# Seconds a large list waits for the next keystroke before it is filtered again.
FILTER_SETTLE = 0.15


class AlertsView(AlertSparks, AlertDialogs):
    BINDINGS: ClassVar[list[BindingType]] = [
        *INCIDENT_BINDINGS,
        Binding(
            "i",
            "declare",
            "Declare",
            tooltip="declare an incident from the selected alerts",
            id="alerts.declare",
        ),
        Binding(
            "s",
            "silence",
            "Silence",
            tooltip="silence exactly the selected alerts at their Alertmanager",
            id="alerts.silence",
        ),
        Binding(
            "space",
            "select",
            "Select",
            tooltip="select the alert under the cursor for a bulk action",
            id="alerts.select",
        ),
        Binding(
            "asterisk",
            "select_all",
            "All",
            tooltip="select every alert the filter shows",
            id="alerts.select_all",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip='filter: Alertmanager matchers and free text, e.g. alertname=~"Disk.*" db-3',
            id="alerts.filter",
        ),
        Binding(
            "enter",
            "open",
            "Open",
            tooltip="open the alert's incident, or the alert's details",
            id="alerts.open",
        ),
        Binding(
            "escape",
            "clear",
            "Clear",
            show=False,
            tooltip="clear the selection, then the filter",
            id="alerts.clear",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.selected: set[str] = set()
        self.filter_text = ""
        # active alerts in the store, filter or not (the "of N" of the match count)
        self.total = 0
        # the alerts of the rows on screen and a margin around them, paged in by key;
        # with cells built once per alert version (an age tick rebuilds only ages)
        self.loaded: dict[str, _Loaded] = {}
        self._now = console(self).now()
        self._reloads = 0
        # set while the rows on screen are what `filter_text` matches: enter in the
        # filter field holds the keys after it until then (`/disk⏎a` must act on a
        # row the filter shows, not on one of the rows shown before it)
        self._filtered = asyncio.Event()
        self._filtered.set()
        self._theme = ""  # the theme the loaded cells were built in
        self.label = "instance"
        self.show_source = False
        self.trend_column = False  # a TREND column (alert_sparks) is in the table

    def compose(self) -> ComposeResult:
        field = SafeInput(
            placeholder='filter: alertname=~"Disk.*" cluster="c1" and/or text (escape clears)',
            id="alerts-filter",
        )
        field.display = False
        yield field
        self.label = console(self).alert_label
        self.show_source = len(console(self).source_names) > 1
        table = LineTable(self._cells_of, id="alerts-table")
        table.add_column(" ", key="mark", width=2)
        table.add_column("SEV", key="sev", width=7)
        table.add_column("NAME", key="name", width=21)
        # which source only matters when there are several
        if self.show_source:
            table.add_column("SOURCE", key="source", width=8)
        table.add_column(self.label.upper()[:11], key="label", width=12)
        table.add_column("AGE", key="age", width=7)
        table.add_column("STATE", key="state", width=11)
        # only where it takes no width from the others, and some source can draw it
        self.trend_column = console(self).chartable
        if self.trend_column:
            table.add_column("TREND", key="trend", width=SPARK_COLUMN, wide=SPARK_WIDE)
        table.add_flex_column("SUMMARY", key="summary")
        yield table

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_SECONDS, self._redraw_if_visible)

    @property
    def table(self) -> LineTable:
        return self.query_one("#alerts-table", LineTable)

    def focus_content(self) -> None:
        self.table.focus()

    # -- data -------------------------------------------------------------------------

    async def reload(self) -> None:
        """What the filter shows, in order, from the store; then the rows on screen.

        Only keys come back for the whole list; whole alerts only for the rows
        that will be on screen, read before the new order is shown, so a refresh
        never flashes rows that are not loaded yet.
        """
        self._reloads += 1
        ticket = self._reloads
        if self.app.theme != self._theme:  # cells copy the theme's colours: build anew
            self._theme = self.app.theme
            self.loaded.clear()
            self.table.repaint_all()
        needle = self.filter_text
        store = console(self).store
        shown = await store.shown_alerts(needle)
        total = await store.active_alert_count()
        if ticket != self._reloads:  # a newer reload (another filter) is under way
            return
        table = self.table
        keep = table.cursor_key
        at = table.cursor_row
        if keep is not None:
            at = next((i for i, row in enumerate(shown) if row[0] == keep), at)
        first, _ = table.window()
        page = table.page_height
        margin = MARGIN_PAGES * page
        wanted = _around(shown, (first, first + page), margin) | _around(shown, (at, at + 1), page)
        await self._load(list(wanted), fresh=True)
        if ticket != self._reloads:
            return
        self.total = total
        if self.selected and not needle:  # an alert the filter hides stays selected
            self.selected &= {key for key, _ in shown}
        self._now = console(self).now()
        # where the cursor's alert is now (if the table has not moved meanwhile)
        table.set_rows(shown, cursor=at if table.cursor_key == keep else None)
        self._show_matches(len(shown))
        if needle == self.filter_text:
            self._filtered.set()
        self.want_sparks()

    async def _load(self, keys: list[str], fresh: bool = False) -> None:
        """Read these alerts from the store into `loaded` (all of them when `fresh`:
        a reload must show what changed; else only those not loaded yet)."""
        wanted = keys if fresh else [k for k in keys if k not in self.loaded]
        if not wanted:
            return
        found = await console(self).store.alerts_by_key([AlertKey.parse(k) for k in wanted])
        plans = console(self).plan_index
        stale_sources = console(self).stale_sources
        for tracked in found:
            key = key_text(tracked)
            stale = tracked.alert.source in stale_sources
            old = self.loaded.get(key)
            if old is not None and old.tracked == tracked and old.stale == stale:
                continue
            unplanned = tracked.incident_id is None and plans.match(tracked.alert) is None
            self.loaded[key] = _Loaded(tracked, stale, self._base_cells(tracked, stale, unplanned))

    @property
    def loaded_alerts(self) -> dict[str, TrackedAlert]:
        """The alerts on screen and a few pages around it, by key."""
        return {key: loaded.tracked for key, loaded in self.loaded.items()}

    def _base_cells(self, tracked: TrackedAlert, stale: bool, unplanned: bool) -> tuple[Text, ...]:
        alert = tracked.alert
        return (
            cells.severity(alert.severity),
            cells.plain(alert.name, 20),
            *((cells.plain(alert.source, 7),) if self.show_source else ()),
            cells.plain(alert.labels.get(self.label, ""), 11),
            cells.stale_state() if stale else cells.alert_state(tracked),
            cells.summary(tracked.incident_id, alert.summary, unplanned),
        )

    def _cells_of(self, key: str) -> list[Text] | None:
        loaded = self.loaded.get(key)
        if loaded is None:
            return None
        *before_age, state, summary = loaded.cells
        mark = Text("●" if key in self.selected else " ", style="bold")
        age = Text(format_age(self._now - loaded.tracked.alert.starts_at), no_wrap=True)
        if not self.trend_shown():  # a cell per column on screen
            return [mark, *before_age, age, state, summary]
        trend = self.trend_cell(key, loaded.tracked)
        return [mark, *before_age, age, state, trend, summary]

    # -- sparklines (alert_sparks) ----------------------------------------------------------

    def trend_shown(self) -> bool:
        return self.trend_column and self.table.column_shown("trend")

    def on_screen_alerts(self) -> list[tuple[str, TrackedAlert]]:
        first, last = self.table.window()
        keys = (row[0] for row in self.table.rows[first:last])
        return [(k, self.loaded[k].tracked) for k in keys if k in self.loaded]

    def sparks_fetched(self) -> None:
        self.table.repaint_changed()

    def on_resize(self) -> None:
        self.call_after_refresh(self.want_sparks)

    def on_line_table_window_moved(self, event: LineTable.WindowMoved) -> None:
        event.stop()
        table = self.table
        keys = _around(table.rows, table.window(), table.page_height)  # the next page each way
        if not keys <= self.loaded.keys():
            self.run_worker(self._load_window(), group="alerts-window", exclusive=True)
        else:
            self.want_sparks()

    async def _load_window(self) -> None:
        table = self.table
        margin = MARGIN_PAGES * table.page_height
        await self._load(list(_around(table.rows, table.window(), margin)))
        # forget what scrolled far away: memory stays a few pages, however long the list
        far = self.loaded.keys() - _around(table.rows, table.window(), 2 * margin)
        for key in far:
            del self.loaded[key]
        table.repaint_changed()
        self.want_sparks()

    def _redraw_if_visible(self) -> None:
        if self.is_on_screen and self.table.row_count:
            self._now = console(self).now()
            self.redraw()
            self.want_sparks()

    def redraw(self) -> None:
        self.table.repaint_changed()

    # -- targets --------------------------------------------------------------------------

    def target_rows(self) -> list[ShownAlert]:
        """The selection if there is one, else the alert under the cursor: (key,
        incident) each.

        Only what the filter shows: a key must never act on an alert the
        responder cannot see.
        """
        rows = self.table.rows
        if self.selected:
            chosen = sorted(row for row in rows if row[0] in self.selected)
            if chosen:
                return chosen
        key = self.table.cursor_key
        return [rows[self.table.cursor_row]] if key is not None else []

    def target_incidents(self) -> list[int]:
        return incidents_of(self.target_rows())

    async def target_alerts(self) -> list[TrackedAlert]:
        """The targets as whole alerts, read from the store (a dialog needs their labels)."""
        keys = [AlertKey.parse(key) for key, _ in self.target_rows()]
        return await console(self).store.alerts_by_key(keys)

    # -- actions --------------------------------------------------------------------------

    def _bulk(self, verb: str, targets: list[ShownAlert], then: Callable[[], None]) -> None:
        """Several targets: say what will be touched, act on enter. One: act at once.

        The targets are fixed when the key is pressed: enter acts on exactly
        what the question counted, whatever the feed changes meanwhile.
        """
        if len(targets) <= 1:
            then()
            return
        incidents = len({inc for _, inc in targets if inc is not None})
        loose = sum(1 for _, inc in targets if inc is None)
        question = (
            f"{verb} {len(targets)} alert(s): {loose} on their own,"
            f" {len(targets) - loose} through {incidents} incident(s)?"
        )
        if verb == "Acknowledge":
            silencers = console(self).service.silencers
            silencing = sorted(
                {
                    source
                    for source in (source_of(key) for key, inc in targets if inc is None)
                    if source in silencers and silencers[source].silence_on_ack
                }
            )
            if silencing:
                question += (
                    f" Those on their own are also silenced at {', '.join(silencing)}"
                    " until they resolve."
                )

        def answer(yes: bool | None) -> None:
            if yes:
                then()

        console(self).hold_keys()
        self.app.push_screen(ConfirmScreen(question), answer)

    def action_acknowledge(self) -> None:
        targets = self.target_rows()
        self._bulk("Acknowledge", targets, lambda: self._acknowledge(targets))

    def _acknowledge(self, targets: list[ShownAlert]) -> None:
        if not targets:
            return
        from warroom.engine.alert_acks import route_acknowledgement  # with the first key

        route = route_acknowledgement([(AlertKey.parse(key), inc) for key, inc in targets])
        loose, incidents = route.alerts, route.incidents
        self.selected.clear()
        self.redraw()
        if loose:
            console(self).enqueue(
                f"Acknowledging {len(loose)} alert(s)", self._acknowledge_loose(loose)
            )
        if incidents:
            self.acknowledge_incidents(incidents)

    async def _acknowledge_loose(self, loose: list[AlertKey]) -> None:
        result = await console(self).perform(console(self).service.acknowledge_alerts(loose))
        if result is None:
            return
        message = (
            f"Acknowledged {result.acknowledged} alert(s)"
            if result.acknowledged
            else "Already acknowledged"
        )
        if result.silenced:
            # queued with the acknowledgement; the engine makes it within a second and
            # the console log says so (or why not)
            message += f", silencing {result.silenced} until resolved"
        self.notify(message)
        for failure in result.failures:
            self.notify(f"Silence failed: {failure}", severity="warning", markup=False)

    def action_resolve(self) -> None:
        targets = self.target_rows()
        if not incidents_of(targets):
            self.notify(
                "Alerts resolve at their source. Declare an incident (i) to track one.",
                severity="warning",
            )
            return
        self._bulk(
            "Resolve the incidents of",
            targets,
            lambda: self.resolve_incidents(incidents_of(targets)),
        )

    def action_impact(self, value: int) -> None:
        targets = self.target_rows()
        self._bulk(
            f"Set impact {value} on the incidents of",
            targets,
            lambda: self.set_impact(incidents_of(targets), Impact(value)),
        )

    def action_select_all(self) -> None:
        """Everything the filter shows: with `/` first, an alert storm is `*` `a` `enter`."""
        self.selected = set(self.table.row_keys())
        self.notify(f"Selected {len(self.selected)} alert(s) (escape clears)")
        self.redraw()

    def action_select(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        self.redraw()
        self.table.action_cursor_down()

    def action_clear(self) -> None:
        """Escape: the selection first, then the filter."""
        if self.selected:
            self.selected.clear()
            self.redraw()
        elif self.filter_text:
            self._clear_filter()

    def _clear_filter(self) -> None:
        field = self.query_one("#alerts-filter", Input)
        field.value = ""
        field.display = False
        self._set_filter("")

    def _set_filter(self, text: str) -> None:
        if text == self.filter_text:
            return
        self.filter_text = text
        self._filtered.clear()
        # the newest keystroke wins: a reload for an older filter is dropped
        self.run_worker(self._reload_filtered(), group="filter", exclusive=True)

    async def _reload_filtered(self) -> None:
        """A storm is filtered in the store, a scan per keystroke: while keys come
        fast, only the last one's scan runs (a running scan cannot be called off)."""
        if self.total > OFFLOAD_ITEMS:
            await asyncio.sleep(FILTER_SETTLE)
        await self.reload()

    def action_filter(self) -> None:
        field = self.query_one("#alerts-filter", Input)
        field.display = True
        if not field.has_focus:
            console(self).hold_keys()
            field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        error = AlertFilter.parse(event.value.strip()).error
        event.input.border_subtitle = Text(f"⚠ {safe_text(error, 70)}") if error else None
        self._set_filter(event.value.strip())

    def _show_matches(self, shown: int) -> None:
        """How many alerts the filter matches, on the field's border, as it is typed."""
        field = self.query_one("#alerts-filter", Input)
        title = f"{shown:,} of {self.total:,} match" if self.filter_text else None
        if field.border_title != title:
            field.border_title = title

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            event.input.display = False
        if not self._filtered.is_set():
            # the keys typed after enter are for the rows this filter shows
            console(self).hold_keys_for(self._filtered.wait())
        self.table.focus()

    def on_key(self, event: Key) -> None:
        if event.key == "escape" and self.query_one("#alerts-filter", Input).has_focus:
            event.stop()
            self._clear_filter()
            self.table.focus()

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        event.stop()
        self.run_worker(self.action_open(), group="open")

    async def action_open(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        loaded = self.loaded.get(key)
        if loaded is not None:
            tracked = loaded.tracked
        else:
            found = await console(self).store.alerts_by_key([AlertKey.parse(key)])
            if not found:
                return
            tracked = found[0]
        if tracked.incident_id is not None:
            console(self).open_incident(tracked.incident_id)
        else:
            self.app.push_screen(AlertDetailScreen(tracked))


def _around(rows: Sequence[Row], window: tuple[int, int], margin: int) -> set[str]:
    """The keys of the rows in `window` and `margin` rows either side of it."""
    first, last = window
    return {row[0] for row in rows[max(0, first - margin) : last + margin]}


@dataclass(slots=True)
class _Loaded:
    """One alert on (or near) the screen, with its cells but the mark and age."""

    tracked: TrackedAlert
    stale: bool
    cells: tuple[Text, ...]
