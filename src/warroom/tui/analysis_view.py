"""The Analysis tab: the post-incident analysis of the incident open on the Incident tab.

One list, cursor by row: the durations, the timeline (each event with its mark),
the four questions with their answers, and the action items. Keys act on the row
under the cursor: `k` / `h` / `M` / `u` mark an event key, hidden, the moment of
mitigation, or clear it (the event itself never changes); `enter` answers a
question or renames an action item; `+` adds one; `o`, `d`, `L` set its owner,
due date and link; `c` moves its status on (open, done, dismissed). Metrics
snapshots (`s` on the Metrics tab) are listed, one row each.

An open incident's analysis can be drafted already (action items and the moment
of mitigation are known during the response); the status line says "draft" until
it is resolved. Keys that open a field hold the keys typed after them
(`Console.hold_keys`), so `+Alert on disk` typed in one breath lands in the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from warroom.engine.analysis import Analysis, gather_analysis
from warroom.model.analysis import QUESTIONS, ActionItem, ActionStatus, EventMark
from warroom.model.clock import format_duration
from warroom.model.text import safe_text
from warroom.model.value import replace
from warroom.tui import cells
from warroom.tui.actions import View
from warroom.tui.context import console
from warroom.tui.dialogs import PromptScreen
from warroom.tui.table import KeyedTable

NEXT_STATUS = {
    ActionStatus.OPEN: ActionStatus.DONE,
    ActionStatus.DONE: ActionStatus.DISMISSED,
    ActionStatus.DISMISSED: ActionStatus.OPEN,
}
ADD_ROW = "add-item"
# how the moment of mitigation was found, in words short enough that the status line
# of incident #12345 with durations of days fits 80 columns (the export says it whole)
MITIGATED_BY = {
    "mark": "marked",
    "first alert resolved": "alert ended",
    "resolved": "at resolve",
}


class AnalysisTable(KeyedTable):
    """Enter edits the row, as a binding: it runs in key order, so the hold it
    starts catches the keys typed right after it (a RowSelected message would
    come too late)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "edit_row", "Edit", show=False),
    ]

    def action_edit_row(self) -> None:
        view = self.parent
        while view is not None and not isinstance(view, AnalysisView):
            view = view.parent
        if view is not None:
            view.action_edit()


def _took(value: Any) -> str:
    return "-" if value is None else format_duration(value)


class AnalysisView(View):
    DEFAULT_CSS = """
    AnalysisView #analysis-table { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "edit", "Edit", tooltip="answer the question, rename the item",
                id="analysis.edit"),
        Binding("k", "mark('key')", "Key", tooltip="mark the event key", id="analysis.mark_key"),
        Binding("h", "mark('hidden')", "Hide", tooltip="hide the event from the analysis",
                id="analysis.mark_hidden"),
        Binding("M", "mark('mitigation')", "Mitigated",
                tooltip="the event is when the impact stopped", id="analysis.mark_mitigation"),
        Binding("u", "mark('none')", "Unmark", tooltip="clear the event's mark",
                id="analysis.unmark"),
        Binding("plus", "add_item", "Add action", tooltip="add an action item",
                id="analysis.add_item"),
        Binding("o", "item_field('owner')", "Owner", tooltip="the action item's owner",
                id="analysis.item_owner"),
        Binding("d", "item_field('due')", "Due", tooltip="the action item's due date",
                id="analysis.item_due"),
        Binding("L", "item_field('link')", "Link", tooltip="the action item's ticket URL",
                id="analysis.item_link"),
        Binding("c", "cycle_status", "Status", tooltip="open, done, dismissed",
                id="analysis.item_status"),
    ]  # fmt: skip

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.analysis: Analysis | None = None
        self.loads = 0  # reloads finished: what tests wait on

    def compose(self) -> ComposeResult:
        yield Static(id="analysis-status")
        table = AnalysisTable(id="analysis-table")
        table.add_column(" ", key="mark", width=1)
        table.add_column("WHEN / WHAT", key="when", width=12)
        table.add_column("MARK", key="tag", width=11)
        table.add_flex_column("", key="text")
        yield table

    @property
    def table(self) -> AnalysisTable:
        return self.query_one("#analysis-table", AnalysisTable)

    def focus_content(self) -> None:
        self.table.focus()

    async def reload(self) -> None:
        incident = console(self).current_incident
        status = Text(no_wrap=True, overflow="ellipsis")
        if incident is None:
            self.analysis = None
            self.table.sync([])
            status.append("No incident open: enter on the Incidents tab (F2) opens one.", "dim")
        else:
            self.analysis = await gather_analysis(console(self).store, incident)
            status = self._status()
            self.table.sync(self._rows())
        self.query_one("#analysis-status", Static).update(status)
        self.loads += 1

    def _status(self) -> Text:
        a = self.analysis
        assert a is not None
        d = a.durations
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(f"#{a.incident.id} ", "bold")
        if a.draft:
            status.append("draft · ", "bold")
        status.append(f"ack {_took(d.acknowledge)} · mitigated {_took(d.mitigate)}")
        if d.mitigated_by:
            status.append(f" ({MITIGATED_BY.get(d.mitigated_by, d.mitigated_by)})", "dim")
        status.append(f" · resolved {_took(d.resolve)}")
        return status

    def _rows(self) -> list[tuple[str, tuple[Any, ...]]]:
        a = self.analysis
        assert a is not None
        tz = console(self).now().astimezone().tzinfo
        rows: list[tuple[str, tuple[Any, ...]]] = []

        def head(key: str, title: str, more: str = "") -> None:
            rows.append(
                (key, (cells.RowMark(" "), Text(title, style="bold"), Text(""), cells.plain(more)))
            )

        head("h-summary", "Summary", a.incident.summary or "-")
        head("h-timeline", "Timeline", f"{len(a.events)} event(s); k key · h hide · M mitigated")
        for e in a.events:
            mark = a.marks.get(e.id)
            style = "dim" if mark is EventMark.HIDDEN else "bold" if mark else ""
            rows.append(
                (
                    f"event:{e.id}",
                    (
                        cells.RowMark(
                            "★" if mark in (EventMark.KEY, EventMark.MITIGATION) else " "
                        ),
                        Text(e.at.astimezone(tz).strftime("%m-%d %H:%M"), no_wrap=True),
                        Text(mark.value if mark else "", no_wrap=True),
                        cells.plain(f"{e.actor}: {e.text}", 300, style),
                    ),
                )
            )
        head("h-questions", "Questions", "enter answers")
        for q in QUESTIONS:
            answer = a.answers.get(q.id)
            said = answer.answer if answer and answer.answer else f"? {q.text}"
            rows.append(
                (
                    f"question:{q.id}",
                    (
                        cells.RowMark(" "),
                        Text(q.section, no_wrap=True),
                        Text(answer.answered_by if answer else "", no_wrap=True),
                        cells.plain(said, 300, "" if answer and answer.answer else "dim"),
                    ),
                )
            )
        head("h-items", "Actions", "+ add · o owner · d due · L link · c status")
        for it in a.items:
            detail = " · ".join(
                x
                for x in (
                    it.title,
                    it.owner and f"owner {it.owner}",
                    it.due and f"due {it.due.isoformat()}",
                    it.link,
                )
                if x
            )
            rows.append(
                (
                    f"item:{it.id}",
                    (
                        cells.RowMark(" "),
                        Text(f"#{it.id}", no_wrap=True),
                        Text(it.status.value, no_wrap=True),
                        cells.plain(detail, 300),
                    ),
                )
            )
        rows.append((ADD_ROW, (cells.RowMark(" "), Text("+ add", style="dim"), Text(""), Text(""))))
        if a.snapshots:
            head("h-metrics", "Metrics", f"{len(a.snapshots)} snapshot(s); s on Metrics adds one")
        for snap in a.snapshots:
            rows.append(
                (
                    f"snapshot:{snap.id}",
                    (
                        cells.RowMark(" "),
                        Text(snap.taken_at.astimezone(tz).strftime("%m-%d %H:%M"), no_wrap=True),
                        Text("snapshot", no_wrap=True),
                        cells.plain(f"{snap.chart.title} · {snap.chart.points} point(s)", 300),
                    ),
                )
            )
        if a.runs:
            head("h-more", "Also", f"{len(a.runs)} runbook run(s): warroom analysis ID --markdown")
        return rows

    # -- keys -------------------------------------------------------------------------------

    def _row(self) -> tuple[str, str]:
        key = self.table.cursor_key or ""
        kind, _, rest = key.partition(":")
        return kind, rest

    def _run(self, work: Any, done: str) -> None:
        async def act() -> None:
            await console(self).perform(work, done)
            await self.reload()

        console(self).enqueue(done, act())

    def action_mark(self, mark: str) -> None:
        kind, rest = self._row()
        a = self.analysis
        if kind != "event" or a is None:
            self.notify("Put the cursor on a timeline event first.", severity="warning")
            return
        actions = console(self).service.analysis
        self._run(actions.mark(a.incident.id, int(rest), EventMark(mark)), f"Marked {mark}")

    def _prompt(self, title: str, value: str, save: Any, placeholder: str = "") -> None:
        console(self).hold_keys()
        self.app.push_screen(PromptScreen(title, placeholder, value), save)

    def action_edit(self) -> None:
        kind, rest = self._row()
        a = self.analysis
        if a is None:
            return
        actions = console(self).service.analysis
        incident = a.incident.id
        if kind == "question":
            answer = a.answers.get(rest)
            text = next(q.text for q in QUESTIONS if q.id == rest)

            def save_answer(value: str | None) -> None:
                if value is not None:
                    self._run(actions.answer(incident, rest, value), "Answer saved")

            self._prompt(text, answer.answer if answer else "", save_answer)
        elif kind == "item":
            item = self._item(int(rest))
            if item is not None:
                self._edit_item(item, "title")
        elif kind == ADD_ROW:
            self.action_add_item()

    def _item(self, item_id: int) -> ActionItem | None:
        a = self.analysis
        return None if a is None else next((i for i in a.items if i.id == item_id), None)

    def action_add_item(self) -> None:
        a = self.analysis
        if a is None:
            self.notify("Open an incident first (F2, enter).", severity="warning")
            return
        actions = console(self).service.analysis
        incident = a.incident.id

        def save(value: str | None) -> None:
            if value and value.strip():
                item = ActionItem(value.strip())
                self._run(actions.add_item(incident, item), "Action item added")

        self._prompt(f"New action item for #{incident}", "", save, "what should be done")

    def action_item_field(self, name: str) -> None:
        kind, rest = self._row()
        item = self._item(int(rest)) if kind == "item" else None
        if item is None:
            self.notify("Put the cursor on an action item first.", severity="warning")
            return
        self._edit_item(item, name)

    def _edit_item(self, item: ActionItem, name: str) -> None:
        a = self.analysis
        assert a is not None
        actions = console(self).service.analysis
        incident = a.incident.id
        current = getattr(item, name)
        value = current.isoformat() if isinstance(current, date) else str(current or "")

        def save(answer: str | None) -> None:
            if answer is None:
                return
            text = answer.strip()
            if name == "due":
                try:
                    changed = replace(item, due=date.fromisoformat(text) if text else None)
                except ValueError:
                    self.notify(f"Not a date (YYYY-MM-DD): {safe_text(text, 40)}", markup=False)
                    return
            elif name == "owner":
                changed = replace(item, owner=text)
            elif name == "link":
                changed = replace(item, link=text)
            else:
                changed = replace(item, title=text)
            self._run(actions.update_item(incident, item.id, changed), "Action item saved")

        hint = "YYYY-MM-DD, empty for none" if name == "due" else ""
        self._prompt(f"Action item #{item.id}: {name}", value, save, hint)

    def action_cycle_status(self) -> None:
        kind, rest = self._row()
        item = self._item(int(rest)) if kind == "item" else None
        a = self.analysis
        if item is None or a is None:
            self.notify("Put the cursor on an action item first.", severity="warning")
            return
        changed = replace(item, status=NEXT_STATUS[item.status])
        actions = console(self).service.analysis
        self._run(actions.update_item(a.incident.id, item.id, changed), f"Now {changed.status}")
