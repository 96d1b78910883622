"""The On-call tab: who is on call now and next, per schedule, the overrides, the week.

Drawn from the plan files' schedules with the stored overrides merged in
(`engine.overrides`), so a shift taken in another console or with `warroom
override` shows here as soon as the feed says so (entity `oncall`). Hand-offs
move with the clock, not with the feed: while the tab is on screen it redraws
every half minute. Times are in the responder's zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from warroom.engine.overrides import (
    OverrideInputError,
    Roster,
    checked_override,
    merge_overrides,
)
from warroom.model.oncall import Schedule, timeline
from warroom.model.text import safe_text
from warroom.model.value import Value
from warroom.plans import PlanSet
from warroom.store import OverrideRecord
from warroom.tui import cells
from warroom.tui.actions import View
from warroom.tui.context import console
from warroom.tui.dialogs import ConfirmScreen
from warroom.tui.oncall_dialog import OverrideAnswer, OverrideScreen
from warroom.tui.table import KeyedTable

WEEK = timedelta(days=7)
TICK_SECONDS = 30.0
DEFAULT_LENGTH = "1h"


class Row(Value, frozen=True):
    """One line of the tab: `people` are contact names (the first is what `t` tests)."""

    key: str
    kind: str  # now | next | override | shift
    schedule: str
    when: str
    people: tuple[str, ...]
    note: str = ""
    override: OverrideRecord | None = None


def when(at: datetime, now: datetime) -> str:
    """`19:00` today, `Fri 06:00` within the week, `Dec 03 06:00` beyond: local time."""
    local, today = at.astimezone(), now.astimezone().date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if timedelta(0) <= local.date() - today < timedelta(days=6):
        return local.strftime("%a %H:%M")
    return local.strftime("%b %d %H:%M")


def span(start: datetime, end: datetime, now: datetime) -> str:
    shown_end = end.astimezone()
    same_day = shown_end.date() == start.astimezone().date()
    return f"{when(start, now)}–{shown_end.strftime('%H:%M') if same_day else when(end, now)}"


def who(record: OverrideRecord) -> str:
    o = record.override
    if o.replace and o.with_:
        return f"{o.with_} for {o.replace}"
    return f"+ {o.with_}" if o.with_ else f"- {o.replace}"


def oncall_rows(
    schedules: Mapping[str, Schedule], records: Sequence[OverrideRecord], now: datetime
) -> list[Row]:
    """Now, next, overrides, then the week's shifts: what a responder looks for first
    comes first. `schedules` have the overrides merged in already."""
    current: list[Row] = []
    coming: list[Row] = []
    shifts: list[Row] = []
    for name, schedule in schedules.items():
        spans = timeline(schedule, now, now + WEEK)
        _, until, people = spans[0]
        until_text = f"until {when(until, now)}" if len(spans) > 1 else "all week"
        for person in people:
            current.append(Row(f"now/{name}/{person}", "now", name, until_text, (person,)))
        if not people:
            current.append(Row(f"now/{name}", "now", name, until_text, (), "nobody on call"))
        if len(spans) > 1:
            start, _, after = spans[1]
            gap = "" if after else "nobody on call"
            coming.append(Row(f"next/{name}", "next", name, f"from {when(start, now)}", after, gap))
        for index, (start, end, after) in enumerate(spans):
            # the first starts at now, which moves: its key must not, or the cursor would
            key = f"shift/{name}/" + ("current" if index == 0 else f"{start.timestamp():.0f}")
            gap = "" if after else "a gap: nobody"
            shifts.append(Row(key, "shift", name, span(start, end, now), after, gap))
    overrides = [
        Row(
            f"override/{r.id}",
            "override",
            r.schedule,
            span(r.override.start, r.override.end, now),
            tuple(p for p in (r.override.with_, r.override.replace) if p),
            f"#{r.id} {who(r)} · {r.override.author}: {r.override.reason}",
            r,
        )
        for r in records
    ]
    return [*current, *coming, *overrides, *shifts]


_KIND = {"now": "● now", "next": "→ next", "override": "⇄ swap", "shift": "  shift"}


def _kind(row: Row) -> str:
    """What the row is, in words and a symbol (never colour alone)."""
    if row.override is not None and not (
        row.override.override.replace and row.override.override.with_
    ):
        return "+ adds" if row.override.override.with_ else "- off"
    return _KIND[row.kind]


def _field_of(message: str) -> str:
    """Which field of the dialog a refusal is about, to put the cursor there."""
    for words, field in (
        (("schedule",), "schedule"),
        (("reason",), "reason"),
        (("rota",), "replace"),
        (("contact", "themself", "say who"), "with"),
        (("starts in the past",), "from"),
    ):
        if any(w in message for w in words):
            return field
    return "for"


class OncallView(View):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "o",
            "take_shift",
            "Take shift",
            tooltip="take a shift: put someone on call in a schedule for a while (an override)",
            id="oncall.override",
        ),
        Binding(
            "x",
            "cancel_override",
            "Cancel override",
            tooltip="cancel the override under the cursor (asks first)",
            id="oncall.cancel",
        ),
        Binding(
            "t",
            "test_contact",
            "Test",
            tooltip="send a real test message to every channel of the person under the cursor",
            id="oncall.test",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: dict[str, Row] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="oncall-status")
        table = KeyedTable(id="oncall-table")
        table.add_column(" ", key="mark", width=2)
        table.add_column("SCHEDULE", key="schedule", width=10)
        table.add_column("", key="kind", width=8)
        table.add_column("WHEN", key="when", width=26)
        table.add_flex_column("WHO", key="who")
        yield table

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._tick)

    async def _tick(self) -> None:
        """Hand-offs come with the clock: redraw while shown (hidden tabs do no work)."""
        if self.is_on_screen and console(self).ready.is_set():
            await self.reload()

    @property
    def planset(self) -> PlanSet:
        return console(self).planset

    async def reload(self) -> None:
        now = console(self).now()
        planset = self.planset
        records = await console(self).store.overrides(ending_after=now)
        schedules = merge_overrides(planset.schedules, records)
        shown = [r for r in records if r.schedule in planset.schedules]
        rows = oncall_rows(schedules, shown, now)
        self.rows = {row.key: row for row in rows}
        local = now.astimezone()
        zone = (
            local.strftime("%Z")
            if local.utcoffset() == timedelta(0)
            else local.strftime("%Z (UTC%z)")
        )
        status = Text(no_wrap=True, overflow="ellipsis")
        if not planset.schedules:
            status.append("No schedules in plans/ (kind: schedule); o, x, t need one.", style="dim")
        else:
            status.append(f"{len(planset.schedules)} schedule(s) · ")
            status.append(f"{len(shown)} override(s) · times in {zone}", style="dim")
        self.query_one("#oncall-status", Static).update(status)
        self.query_one("#oncall-table", KeyedTable).sync([self._cells(row) for row in rows])

    def _cells(self, row: Row) -> tuple[str, tuple[Text, ...]]:
        # an override row says who for whom in its note; the names are for `t`
        names = "" if row.kind == "override" else ", ".join(self._label(p) for p in row.people)
        shown = Text(no_wrap=True, overflow="ellipsis")
        shown.append(safe_text(names, 200), style="bold" if row.kind == "now" else "")
        if row.note:
            style = "" if row.kind == "override" else "dim"
            shown.append((" · " if names else "") + safe_text(row.note, 300), style=style)
        return row.key, (
            cells.RowMark(" "),
            cells.plain(row.schedule, 10),
            Text(_kind(row), style="bold" if row.kind != "shift" else "dim", no_wrap=True),
            Text(row.when, no_wrap=True, overflow="ellipsis"),
            shown,
        )

    def _label(self, name: str) -> str:
        contact = self.planset.contacts.get(name)
        return contact.label if contact is not None else name

    def _row(self) -> Row | None:
        key = self.query_one("#oncall-table", KeyedTable).cursor_key
        return self.rows.get(key) if key else None

    # -- o: take a shift ----------------------------------------------------------------------

    def action_take_shift(self) -> None:
        console(self).hold_keys()  # what follows o is the dialog's, even if o is refused
        planset = self.planset
        if not planset.schedules:
            console(self).drop_keys()
            self.notify("No schedule in plans/ to take a shift in.", severity="warning")
            return
        row = self._row()
        schedule = row.schedule if row is not None else next(iter(planset.schedules))
        me = console(self).actor
        # the person under the cursor, when it is someone else on that schedule's rota
        roster = Roster.of(planset)
        replace = ""
        if row is not None and row.kind in ("now", "next", "shift") and row.people:
            person = row.people[0]
            if person != me and person in roster.members(schedule):
                replace = person
        values = {
            "schedule": schedule,
            "with": me if me in planset.contacts else "",
            "replace": replace,
            "from": "now",
            "for": DEFAULT_LENGTH,
        }
        self.app.push_screen(OverrideScreen(values, self._check, console(self).now), self._take)

    def _check(self, answer: OverrideAnswer) -> tuple[str, str] | None:
        try:
            self._override(answer)
        except OverrideInputError as exc:
            return str(exc), _field_of(str(exc))
        return None

    def _override(self, answer: OverrideAnswer) -> None:
        checked_override(
            Roster.of(self.planset),
            answer.schedule,
            answer.start,
            answer.end,
            with_=answer.with_,
            replace_=answer.replace,
            reason=answer.reason,
            author=console(self).actor,
            now=console(self).now(),
        )

    def _take(self, answer: OverrideAnswer | None) -> None:
        if answer is None:
            return
        service = console(self).service
        roster = Roster.of(self.planset)

        async def work() -> None:
            done = await console(self).perform(
                service.add_override(
                    roster,
                    answer.schedule,
                    answer.start,
                    answer.end,
                    with_=answer.with_,
                    replace=answer.replace,
                    reason=answer.reason,
                )
            )
            if done is None:
                return
            self.notify(f"Override #{done.record.id}: {who(done.record)}", markup=False)
            for warning in done.warnings:
                self.notify(warning, severity="warning", markup=False, timeout=10)
            await self.reload()

        console(self).enqueue(f"Taking a shift in {answer.schedule}", work())

    # -- x: cancel an override ---------------------------------------------------------------

    def action_cancel_override(self) -> None:
        row = self._row()
        record = row.override if row is not None else None
        if record is None:
            self.notify("No override under the cursor (⇄ rows).", severity="warning")
            return

        async def work() -> None:
            done = await console(self).perform(
                console(self).service.cancel_override(record.id),
                done=f"Cancelled override #{record.id}",
            )
            if done is not None:
                await self.reload()

        def cancel(yes: bool | None) -> None:
            if yes:
                console(self).enqueue(f"Cancelling override #{record.id}", work())

        console(self).hold_keys()
        question = f"Cancel override #{record.id} of {record.schedule} ({who(record)})?"
        self.app.push_screen(ConfirmScreen(question), cancel)

    # -- t: test a contact's channels ---------------------------------------------------------

    def action_test_contact(self) -> None:
        row = self._row()
        names = [p for p in (row.people if row else ()) if p in self.planset.contacts]
        if not names:
            self.notify("No contact under the cursor.", severity="warning")
            return
        contact = self.planset.contacts[names[0]]
        if not contact.channels:
            self.notify(f"{contact.name} has no channel to test.", severity="warning", markup=False)
            return
        self.notify(f"Sending a test message to {contact.name} …", markup=False)
        self.run_worker(self._test(contact.name), group="test-contact", exit_on_error=False)

    async def _test(self, name: str) -> None:
        from warroom.config import state_dir
        from warroom.engine.contact_test import send_contact_test

        contact = self.planset.contacts[name]
        log_dir = state_dir()
        try:
            log_dir.mkdir(parents=True, exist_ok=True)  # where a `log` channel writes
            outcomes = await send_contact_test(contact, log_dir)
        except Exception as exc:  # a test must never take the console down
            self.notify(f"Test of {name} failed: {exc}", severity="error", markup=False)
            return
        lines = "; ".join(line for line, _ in outcomes)
        arrived = all(ok for _, ok in outcomes)
        self.notify(
            safe_text(f"Test {name}: {lines}", 400),
            severity="information" if arrived else "error",
            markup=False,
            timeout=10,
        )
