"""The Alerts tab: every active alert, live, with bulk selection and a filter."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Key
from textual.widgets import DataTable, Input, Static

from warroom.model import (
    AlertKey,
    Impact,
    Incident,
    IncidentStatus,
    Severity,
    TrackedAlert,
)
from warroom.model.clock import format_age, utcnow
from warroom.model.filter import AlertFilter
from warroom.model.silencing import exact_silences
from warroom.model.text import safe_text
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.plans import PlanIndex, propose, render_links
from warroom.tui import cells
from warroom.tui.actions import INCIDENT_BINDINGS, IncidentActions
from warroom.tui.context import console
from warroom.tui.dialogs import (
    AlertDetailScreen,
    ConfirmScreen,
    DeclareScreen,
    HeldScreen,
    SilenceAnswer,
    SilenceScreen,
)
from warroom.tui.inputs import SafeInput
from warroom.tui.table import KeyedTable

_DEFAULT_IMPACT = {
    Severity.CRITICAL: Impact.HIGH,
    Severity.ERROR: Impact.MEDIUM,
    Severity.WARNING: Impact.LOW,
    Severity.INFO: Impact.NO_IMPACT,
    Severity.NONE: Impact.NO_IMPACT,
}
AGE_REFRESH_SECONDS = 5.0
# Rows drawn at most; DataTable pays per row added, and 50,000 would stall the screen.
MAX_ROWS = 2000


def _key(tracked: TrackedAlert) -> str:
    alert = tracked.alert
    return f"{alert.source}/{alert.fingerprint}"  # str(AlertKey), without building one


def _visible(alerts: Iterable[TrackedAlert], needle: str) -> list[TrackedAlert]:
    """What the filter shows, most urgent first: severity, unacknowledged, newest."""
    wanted = AlertFilter.parse(needle)
    shown = list(alerts) if wanted.empty else [t for t in alerts if wanted.matches(t)]
    shown.sort(
        key=lambda t: (
            t.alert.severity.rank,
            t.acknowledged_by is not None,
            -t.alert.starts_at.timestamp(),
            t.alert.source,
            t.alert.fingerprint,
        )
    )
    return shown


def _index(
    active: list[TrackedAlert], needle: str, plans: PlanIndex
) -> tuple[dict[str, TrackedAlert], list[TrackedAlert], set[str]]:
    """Alerts by key, what the filter shows, and which alerts no plan takes."""
    unplanned = {_key(t) for t in active if t.incident_id is None and plans.match(t.alert) is None}
    return {_key(t): t for t in active}, _visible(active, needle), unplanned


class AlertsView(IncidentActions):
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
        self.alerts: dict[str, TrackedAlert] = {}
        self.selected: set[str] = set()
        self.filter_text = ""
        self._visible: list[TrackedAlert] | None = None
        self.unplanned: set[str] = set()
        self._row_cache: dict[str, tuple[TrackedAlert, bool, tuple[Text, ...]]] = {}
        self.label = "instance"
        self.show_source = False

    def compose(self) -> ComposeResult:
        field = SafeInput(
            placeholder='filter: alertname=~"Disk.*" cluster="c1" and/or text (escape clears)',
            id="alerts-filter",
        )
        field.display = False
        yield field
        overflow = Static(id="alerts-overflow")
        overflow.display = False
        yield overflow
        self.label = console(self).alert_label
        self.show_source = len(console(self).source_names) > 1
        table = KeyedTable(id="alerts-table")
        table.add_column(" ", key="mark", width=2)
        table.add_column("SEV", key="sev", width=7)
        table.add_column("NAME", key="name", width=21)
        # which source only matters when there are several
        if self.show_source:
            table.add_column("SOURCE", key="source", width=8)
        table.add_column(self.label.upper()[:11], key="label", width=12)
        table.add_column("AGE", key="age", width=7)
        table.add_column("STATE", key="state", width=11)
        table.add_flex_column("SUMMARY", key="summary")
        yield table

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_SECONDS, self._redraw_if_visible)

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#alerts-table", KeyedTable)

    async def reload(self) -> None:
        active = await console(self).store.active_alerts()
        needle = self.filter_text
        # indexing and sorting 50,000 alerts is CPU: off the event loop
        self.alerts, visible, self.unplanned = await off_loop(
            len(active), OFFLOAD_ITEMS, _index, active, needle, console(self).plan_index
        )
        self._visible = visible if needle == self.filter_text else None
        self.selected &= self.alerts.keys()
        self.redraw()

    def _redraw_if_visible(self) -> None:
        if self.is_on_screen and self.alerts:
            self.redraw()

    def visible_alerts(self) -> list[TrackedAlert]:
        """Every alert the filter shows, in display order; cached until data or filter change."""
        if self._visible is None:
            self._visible = _visible(self.alerts.values(), self.filter_text)
        return self._visible

    def redraw(self) -> None:
        """Draw the first MAX_ROWS of what the filter shows; say how many more there are.

        In an alert storm no one reads row 40,000; the filter is how a responder
        narrows it, and keys still act on everything the filter matches. Cells are
        cached per alert, so an age tick rebuilds only the age cells.
        """
        now = utcnow()
        rows = []
        visible = self.visible_alerts()
        self._show_overflow(len(visible))
        self._show_matches(len(visible))
        stale_sources = console(self).stale_sources
        cache: dict[str, tuple[TrackedAlert, bool, tuple[Text, ...]]] = {}
        for tracked in visible[:MAX_ROWS]:
            key = _key(tracked)
            stale = tracked.alert.source in stale_sources
            cached = self._row_cache.get(key)
            if cached is None or cached[0] is not tracked or cached[1] is not stale:
                alert = tracked.alert
                cached = (
                    tracked,
                    stale,
                    (
                        cells.severity(alert.severity),
                        cells.plain(alert.name, 20),
                        *((cells.plain(alert.source, 7),) if self.show_source else ()),
                        cells.plain(alert.labels.get(self.label, ""), 11),
                        cells.stale_state() if stale else cells.alert_state(tracked),
                        cells.summary(tracked.incident_id, alert.summary, key in self.unplanned),
                    ),
                )
            cache[key] = cached
            *before_age, state, summary = cached[2]
            mark = cells.RowMark("●" if key in self.selected else " ", style="bold")
            age = Text(format_age(now - tracked.alert.starts_at), no_wrap=True)
            rows.append((key, (mark, *before_age, age, state, summary)))
        self._row_cache = cache
        self.table.sync(rows)

    # -- targets --------------------------------------------------------------------------

    def target_alerts(self) -> list[TrackedAlert]:
        """The selection if there is one, else the alert under the cursor.

        Only what the filter shows: a key must never act on an alert the
        responder cannot see.
        """
        visible = {_key(t) for t in self.visible_alerts()}
        chosen = self.selected & visible
        if chosen:
            return [self.alerts[k] for k in sorted(chosen)]
        key = self.table.cursor_key
        return [self.alerts[key]] if key in self.alerts else []

    def target_incidents(self) -> list[int]:
        return _incidents_of(self.target_alerts())

    # -- actions --------------------------------------------------------------------------

    def _bulk(self, verb: str, targets: list[TrackedAlert], then: Callable[[], None]) -> None:
        """Several targets: say what will be touched, act on enter. One: act at once.

        The targets are fixed when the key is pressed: enter acts on exactly
        what the question counted, whatever the feed changes meanwhile.
        """
        if len(targets) <= 1:
            then()
            return
        incidents = len({t.incident_id for t in targets if t.incident_id is not None})
        loose = sum(1 for t in targets if t.incident_id is None)
        question = (
            f"{verb} {len(targets)} alert(s): {loose} on their own,"
            f" {len(targets) - loose} through {incidents} incident(s)?"
        )
        if verb == "Acknowledge":
            silencers = console(self).service.silencers
            silencing = sorted(
                {
                    t.alert.source
                    for t in targets
                    if t.incident_id is None
                    and t.alert.source in silencers
                    and silencers[t.alert.source].silence_on_ack
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
        targets = self.target_alerts()
        self._bulk("Acknowledge", targets, lambda: self._acknowledge(targets))

    def _acknowledge(self, targets: list[TrackedAlert]) -> None:
        if not targets:
            return
        loose = [t.key for t in targets if t.incident_id is None]
        incidents = _incidents_of(targets)
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
            message += f", silenced {result.silenced} until resolved"
        self.notify(message)
        for failure in result.failures:
            self.notify(f"Silence failed: {failure}", severity="warning", markup=False)

    def action_resolve(self) -> None:
        targets = self.target_alerts()
        if not _incidents_of(targets):
            self.notify(
                "Alerts resolve at their source. Declare an incident (i) to track one.",
                severity="warning",
            )
            return
        self._bulk(
            "Resolve the incidents of",
            targets,
            lambda: self.resolve_incidents(_incidents_of(targets)),
        )

    def action_impact(self, value: int) -> None:
        targets = self.target_alerts()
        self._bulk(
            f"Set impact {value} on the incidents of",
            targets,
            lambda: self.set_impact(_incidents_of(targets), Impact(value)),
        )

    def action_select_all(self) -> None:
        """Everything the filter shows: with `/` first, an alert storm is `*` `a` `enter`."""
        visible = self.visible_alerts()
        self.selected = {_key(t) for t in visible}
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
        elif self.filter_text:
            self._clear_filter()
        self.redraw()

    def _clear_filter(self) -> None:
        field = self.query_one("#alerts-filter", Input)
        field.value = ""
        field.display = False
        self.filter_text = ""
        self._visible = None

    def action_filter(self) -> None:
        field = self.query_one("#alerts-filter", Input)
        field.display = True
        if not field.has_focus:
            console(self).hold_keys()
            field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._visible = None
        error = AlertFilter.parse(self.filter_text).error
        event.input.border_subtitle = Text(f"⚠ {safe_text(error, 70)}") if error else None
        if len(self.alerts) <= OFFLOAD_ITEMS:
            self.redraw()
        else:  # matching 50,000 alerts per keystroke: in a thread, newest keystroke wins
            self.run_worker(self._filter_off_loop(self.filter_text), group="filter", exclusive=True)

    async def _filter_off_loop(self, needle: str) -> None:
        visible = await asyncio.to_thread(_visible, list(self.alerts.values()), needle)
        if needle == self.filter_text:
            self._visible = visible
            self.redraw()

    def _show_matches(self, shown: int) -> None:
        """How many alerts the filter matches, on the field's border, as it is typed."""
        field = self.query_one("#alerts-filter", Input)
        title = f"{shown:,} of {len(self.alerts):,} match" if self.filter_text else None
        if field.border_title != title:
            field.border_title = title

    def _show_overflow(self, total: int) -> None:
        note = self.query_one("#alerts-overflow", Static)
        hidden = total - MAX_ROWS
        note.display = hidden > 0
        if hidden > 0:
            note.update(
                Text(
                    f"showing {MAX_ROWS:,} of {total:,} alerts, most urgent first;"
                    " / narrows them (keys act on all the filter shows)",
                    style="bold",
                )
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            event.input.display = False
        self.table.focus()

    def on_key(self, event: Key) -> None:
        if event.key == "escape" and self.query_one("#alerts-filter", Input).has_focus:
            event.stop()
            self._clear_filter()
            self.redraw()
            self.table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        key = self.table.cursor_key
        tracked = self.alerts.get(key) if key else None
        if tracked is None:
            return
        if tracked.incident_id is not None:
            console(self).open_incident(tracked.incident_id)
        else:
            self.app.push_screen(AlertDetailScreen(tracked))

    def action_silence(self) -> None:
        console(self).hold_keys()  # what follows s is the comment, even if s is refused
        targets = self.target_alerts()
        if not targets:
            console(self).drop_keys()
            self.notify("No alert under the cursor.", severity="warning")
            return
        silencers = console(self).service.silencers
        cannot = sorted({t.alert.source for t in targets} - silencers.keys())
        if cannot:
            console(self).drop_keys()
            self.notify(
                f"{', '.join(cannot)} cannot silence (only Alertmanager sources can);"
                " nothing was silenced.",
                severity="warning",
                markup=False,
            )
            return
        keys = [t.key for t in targets]
        chosen = {_key(t) for t in targets}
        by_source: dict[str, list[TrackedAlert]] = {}
        for tracked in targets:
            by_source.setdefault(tracked.alert.source, []).append(tracked)
        # what each source has now: the silences leave out every other alert there,
        # and the preview counts every alert they mute
        at_sources = [t for t in self.alerts.values() if t.alert.source in by_source]
        plan = [
            (source, matchers, [group[i] for i in members])
            for source, group in sorted(by_source.items())
            for matchers, members in exact_silences(
                [t.alert.labels for t in group],
                [t.alert.labels for t in at_sources if t.alert.source == source],
            )
        ]

        def create(answer: SilenceAnswer | None) -> None:
            if answer is None:
                return
            service = console(self).service
            if answer.matchers is None:
                work = service.silence_alerts(keys, answer.duration, answer.comment)
            else:
                work = service.silence(keys, answer.matchers, answer.duration, answer.comment)
            self.selected.clear()
            self.redraw()
            console(self).enqueue(f"Silencing {len(keys)} alert(s)", self._silenced(work))

        self.app.push_screen(SilenceScreen(plan, chosen, at_sources), create)

    async def _silenced(self, work: Awaitable[list[str]]) -> None:
        ids = await console(self).perform(work)
        if ids:
            self.notify(f"Silenced: {', '.join(ids)}", markup=False)

    def action_declare(self) -> None:
        targets = self.target_alerts()
        if not targets:
            console(self).hold_keys()
            console(self).drop_keys()
            self.notify("No alert under the cursor.", severity="warning")
            return
        # the holders are read from the store first; the keys typed meanwhile
        # belong to whichever dialog opens
        console(self).open_dialog(self._declare(targets))

    async def _declare(self, targets: list[TrackedAlert]) -> None:
        holders: list[tuple[Incident, int]] = []
        for incident_id in _incidents_of(targets):
            incident = await console(self).store.incident(incident_id)
            if incident is not None and incident.status is not IncidentStatus.RESOLVED:
                count = sum(1 for t in targets if t.incident_id == incident_id)
                holders.append((incident, count))
        if not holders:
            self._declare_dialog(targets, move=False)
            return

        def chosen(answer: str | None) -> None:
            if answer == "open":
                console(self).open_incident(holders[0][0].id)
            elif answer == "move":
                console(self).hold_keys()
                self._declare_dialog(targets, move=True)

        self.app.push_screen(HeldScreen(holders, len(targets)), chosen)

    def _declare_dialog(self, targets: list[TrackedAlert], move: bool) -> None:
        worst = min(targets, key=lambda t: t.alert.severity.rank).alert
        names = Counter(t.alert.name for t in targets)
        index = console(self).plan_index
        matched = index.match(worst)
        impact = _DEFAULT_IMPACT[worst.severity]
        if matched is not None:
            proposal = propose(matched, worst)
            title, impact = proposal.title, proposal.impact
        elif len(targets) == 1:
            title = worst.summary or worst.name
        else:
            name, _ = names.most_common(1)[0]
            title = f"{name} ({len(targets)} alerts)"
        keys: list[AlertKey] = [t.key for t in targets]

        def check(answer: tuple[str, Impact, str]) -> str | None:
            """The dialog stays open, with what was typed, until this says nothing."""
            plan_name = answer[2]
            if plan_name and index.by_name(plan_name) is None:
                return f"No plan named {plan_name!r}; leave it empty to declare ad hoc."
            return None

        def declare(answer: tuple[str, Impact, str] | None) -> None:
            if answer is None:
                return
            title, impact, plan_name = answer
            plan = index.by_name(plan_name) if plan_name else None
            proposal = propose(plan, worst) if plan else None
            self.selected.clear()
            self.redraw()
            work = console(self).service.declare_incident(
                keys,
                title,
                impact,
                summary=proposal.summary if proposal else worst.summary,
                plan=plan.name if plan else None,
                dedupe_key=proposal.dedupe_key if proposal else None,
                move=move,
                links=render_links(plan, worst) if plan else (),
            )
            console(self).enqueue(f"Declaring {title!r}", self._declared(work))

        self.app.push_screen(
            DeclareScreen(
                safe_text(title, 200),
                impact,
                len(keys),
                matched.name if matched else "",
                check=check,
                moving=move,
            ),
            declare,
        )

    async def _declared(self, work: Awaitable[int]) -> None:
        incident_id = await console(self).perform(work)
        if incident_id is not None:
            self.notify(f"Declared incident #{incident_id}")
            console(self).open_incident(incident_id)


def _incidents_of(targets: Iterable[TrackedAlert]) -> list[int]:
    return sorted({t.incident_id for t in targets if t.incident_id is not None})
