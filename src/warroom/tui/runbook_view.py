"""The Runbook tab: a run's steps with their states, the shown step, its output live.

It shows the runs of the incident open on the Incident tab (else the active
runs), one at a time (`[` `]` move between them). The step under the cursor is
expanded below the list -- its argv, its instructions, its output as it comes --
and the cursor follows the run's current step unless the responder moved it
elsewhere. While a step runs or waits, its elapsed time and bar tick every
second, and its output is read every `OUTPUT_SECONDS`; hidden, the tab does
nothing.

Every key names the step and the attempt on screen: if another console moved
the step meanwhile, the service refuses and says who ("already confirmed by
bob"), and nothing moves twice. Keys that open a question (x, R, S) hold the
keys typed after them for it (`KeyHold`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from warroom.model.runbook import Run, RunStatus, StepState
from warroom.model.runbook_steps import StepKind
from warroom.model.text import safe_text
from warroom.tui import cells
from warroom.tui.actions import View
from warroom.tui.context import console
from warroom.tui.dialogs import ConfirmScreen, PromptScreen
from warroom.tui.run_output import RunOutput
from warroom.tui.runbook_cells import (
    TIMED,
    instructions,
    progress,
    run_title,
    state_cell,
    step_heading,
    step_note,
)
from warroom.tui.runbook_data import RunbookData, ShownRun
from warroom.tui.runbook_dialog import RunbookChoiceScreen, RunbookParamsScreen, prefilled
from warroom.tui.table import KeyedTable

TICK_SECONDS = 1.0
OUTPUT_SECONDS = 0.25
STEPS_MAX_HEIGHT = 8

# what each key asks of the step on screen, and the states it can act in
NEEDS: dict[str, tuple[StepState, ...]] = {
    "confirm": (StepState.WAITING_CONFIRMATION,),
    "approve": (StepState.WAITING_APPROVAL,),
    "reject": (StepState.WAITING_APPROVAL, StepState.WAITING_CONFIRMATION),
    "retry": (StepState.FAILED, StepState.INTERRUPTED),
    "skip": (
        StepState.PENDING,
        StepState.RUNNING,
        StepState.WAITING_CONFIRMATION,
        StepState.FAILED,
        StepState.INTERRUPTED,
    ),
}
DONE = {
    "confirm": "Confirmed",
    "approve": "Approved",
    "reject": "Rejected",
    "retry": "Retrying",
    "skip": "Skipped",
}


def _binding(key: str, action: str, label: str, tooltip: str, show: bool = True) -> Binding:
    return Binding(key, action, label, show=show, tooltip=tooltip, id=f"runbook.{action}")


class RunbookView(View):
    DEFAULT_CSS = """
    #runbook-title, #runbook-heading, #runbook-note {
        height: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        _binding("c", "confirm", "Confirm", "confirm the manual step shown: it is done"),
        _binding("A", "approve", "Approve", "approve the step shown (not the run's starter)"),
        _binding(
            "R",
            "reject",
            "Reject",
            "reject the approval or manual step shown (asks why)",
            show=False,
        ),
        _binding("r", "retry", "Retry", "run the failed or interrupted step shown again"),
        _binding("s", "skip", "Skip", "pass over the step shown"),
        _binding("x", "cancel_run", "Cancel", "cancel the run shown (asks first)"),
        _binding(
            "S",
            "start",
            "Start",
            "start a runbook on the incident (choose one, then its parameters)",
        ),
        _binding("left_square_bracket", "previous_run", "Prev run", "the run before", show=False),
        _binding("right_square_bracket", "next_run", "Next run", "the run after", show=False),
    ]

    def __init__(self, data: RunbookData | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._data = data
        self.shown: ShownRun | None = None
        self._runs: list[ShownRun] = []
        self._pinned: int | None = None  # a run the responder chose with [ ]
        self._followed: str | None = None  # the current step the cursor was left on
        self._output_of: tuple[int, str, int] | None = None  # run, step, attempt shown
        self._output_at = 0  # where its output was read to
        self._output_ended = False  # all of it is on screen (or it has none)
        self._position = 0
        self._reading = asyncio.Lock()

    @property
    def data(self) -> RunbookData:
        if self._data is None:
            from warroom.tui.runbook_store import StoreRunbooks

            self._data = StoreRunbooks(console(self).store, console(self).service)
        return self._data

    def compose(self) -> ComposeResult:
        yield Static(id="runbook-title")
        table = KeyedTable(id="runbook-steps")
        table.add_column(" ", key="mark", width=2)
        table.add_column("STEP", key="step", width=18)
        table.add_column("KIND", key="kind", width=8)
        table.add_column("STATE", key="state", width=14)
        table.add_flex_column("TIME", key="time", minimum=10)
        yield table
        yield Static(id="runbook-heading")
        yield Static(id="runbook-note")
        yield RunOutput(id="runbook-output")

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._tick)
        self.set_interval(OUTPUT_SECONDS, self._poll_output)

    def focus_content(self) -> None:
        self.query_one("#runbook-steps", KeyedTable).focus()

    # -- reading -------------------------------------------------------------------------

    async def reload(self) -> None:
        async with self._reading:
            await self._reload()

    async def _reload(self) -> None:
        incident = console(self).current_incident
        runs = await self.data.runs(incident)
        self._runs = runs
        self.shown = self._choose(runs)
        await self._draw()

    def _choose(self, runs: list[ShownRun]) -> ShownRun | None:
        """The pinned run if it is still listed, else the newest active, else the newest."""
        if not runs:
            return None
        for shown in runs:
            if shown.id == self._pinned:
                return shown
        if self.shown is not None:
            for shown in runs:
                if shown.id == self.shown.id and shown.run.current is not None:
                    return shown
        active = [r for r in runs if r.run.current is not None]
        return (active or runs)[-1]

    async def _draw(self) -> None:
        title = self.query_one("#runbook-title", Static)
        table = self.query_one("#runbook-steps", KeyedTable)
        now = console(self).now()
        if self.shown is None:
            incident = console(self).current_incident
            where = f"incident #{incident}" if incident is not None else "any incident"
            title.update(
                Text(f"No runbook run for {where}. S starts one.", style="dim", no_wrap=True)
            )
            table.sync([])
            table.display = False
            self.query_one("#runbook-heading", Static).update("")
            self.query_one("#runbook-note", Static).update("")
            self._output_of = None
            self.query_one("#runbook-output", RunOutput).clear()
            return
        run = self.shown.run
        self._position = next(i for i, r in enumerate(self._runs) if r.id == self.shown.id)
        title.update(run_title(run, self.shown.id, (self._position + 1, len(self._runs)), now))
        table.display = True
        table.styles.height = min(STEPS_MAX_HEIGHT, len(run.steps) + 1)
        table.sync([self._row(run, i, now) for i in range(len(run.steps))])
        self._follow(run, table)
        await self._show_step()

    def _row(self, run: Run, index: int, now: datetime) -> tuple[str, tuple[Text, ...]]:
        step, record = run.runbook.steps[index], run.steps[index]
        current = index == run.current
        when = progress(record, now, 10)
        if not when.plain and record.state is StepState.PENDING and current:
            when = Text("next", style="dim")
        return step.name, (
            cells.RowMark("▸" if current else " "),
            cells.plain(step.name, 18, style="bold" if current else ""),
            Text(step.kind.value, no_wrap=True),
            state_cell(record.state),
            when,
        )

    def _follow(self, run: Run, table: KeyedTable) -> None:
        """Keep the cursor on the current step, unless the responder moved it off."""
        current = run.steps[run.current].name if run.current is not None else None
        at = table.cursor_key
        following = at is None or self._followed is None or at == self._followed
        if current is not None and following and at != current:
            table.move_cursor(row=run.runbook.index(current), scroll=True)
        self._followed = current

    def _shown_index(self) -> int | None:
        if self.shown is None:
            return None
        key = self.query_one("#runbook-steps", KeyedTable).cursor_key
        if key is None:
            return self.shown.run.current
        try:
            return self.shown.run.runbook.index(key)
        except KeyError:
            return None

    async def _show_step(self) -> None:
        if self.shown is None:
            return
        index = self._shown_index()
        if index is None:
            return
        run, now = self.shown.run, console(self).now()
        self.query_one("#runbook-heading", Static).update(step_heading(run, index, now))
        self.query_one("#runbook-note", Static).update(step_note(run, index))
        step, record = run.runbook.steps[index], run.steps[index]
        out = self.query_one("#runbook-output", RunOutput)
        which = (self.shown.id, step.name, record.attempt)
        if which != self._output_of:
            self._output_of = which
            self._output_at = 0
            self._output_ended = False
            out.clear(self._placeholder(run, index))
            if step.kind is StepKind.MANUAL:
                out.write_lines(instructions(run, index))
                out.end()
                self._output_ended = True
        await self._read_output()

    def _placeholder(self, run: Run, index: int) -> str:
        record = run.steps[index]
        if record.state is StepState.PENDING:
            return "Not started yet."
        if record.state is StepState.WAITING_APPROVAL:
            return (
                f"Waiting for a responder other than {run.started_by} to approve (A) or reject (R)."
            )
        if record.outcome is not None and record.outcome.error:
            return record.outcome.error
        return "No output."

    async def _read_output(self) -> None:
        """The shown command attempt's output since last read (its excerpt once done)."""
        if self.shown is None or self._output_of is None or self._output_ended:
            return
        run_id, name, attempt = self._output_of
        index = self.shown.run.runbook.index(name)
        step, record = self.shown.run.runbook.steps[index], self.shown.run.steps[index]
        if not step.kind.automated or attempt == 0:
            return
        out = self.query_one("#runbook-output", RunOutput)
        read = await self.data.output(run_id, name, attempt, self._output_at)
        if self._output_of != (run_id, name, attempt):
            return  # another step was shown while the store answered
        if read.text:
            out.write(read.text)
        self._output_at = read.position
        if record.state is not StepState.RUNNING:
            if not read.text and self._output_at == 0 and record.outcome is not None:
                out.write(record.outcome.output)  # nothing kept but the excerpt
            out.end()
            self._output_ended = True

    async def _poll_output(self) -> None:
        if not self.is_on_screen or not console(self).ready.is_set():
            return
        if self._reading.locked():
            return
        async with self._reading:
            await self._read_output()

    async def _tick(self) -> None:
        """Elapsed times and bars move with the clock while a step runs or waits."""
        if not self.is_on_screen or self.shown is None or self._reading.locked():
            return
        run = self.shown.run
        now = console(self).now()
        # the run's age ("started 2m ago") moves whatever its steps do; one line, no layout
        title = run_title(run, self.shown.id, (self._position + 1, len(self._runs)), now)
        self.query_one("#runbook-title", Static).update(title, layout=False)
        if not any(s.state in TIMED for s in run.steps):
            return
        async with self._reading:
            table = self.query_one("#runbook-steps", KeyedTable)
            table.sync([self._row(run, i, now) for i in range(len(run.steps))])
            index = self._shown_index()
            if index is not None:  # one line, always: no layout (it repaints scrollbars)
                heading = self.query_one("#runbook-heading", Static)
                heading.update(step_heading(run, index, now), layout=False)

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self.shown is None or self._reading.locked():
            return
        async with self._reading:
            await self._show_step()

    # -- [ ]: other runs -------------------------------------------------------------------

    async def action_previous_run(self) -> None:
        await self._move_run(-1)

    async def action_next_run(self) -> None:
        await self._move_run(1)

    async def _move_run(self, by: int) -> None:
        if len(self._runs) < 2:
            self.notify("No other run to show.", severity="warning")
            return
        self._position = (self._position + by) % len(self._runs)
        self.shown = self._runs[self._position]
        self._pinned = self.shown.id
        self._followed = None
        async with self._reading:
            await self._draw()

    # -- signals ---------------------------------------------------------------------------

    def _target(self, verb: str) -> tuple[int, str, int] | None:
        """(run, step, attempt) as shown, if the shown step can take `verb`; else say why."""
        if self.shown is None:
            self.notify("No runbook run here: S starts one.", severity="warning")
            return None
        index = self._shown_index()
        if index is None:
            return None
        run = self.shown.run
        step, record = run.runbook.steps[index], run.steps[index]
        if run.status in (RunStatus.SUCCEEDED, RunStatus.CANCELLED):
            self.notify(f"The run is {run.status}: nothing to {verb}.", severity="warning")
            return None
        if record.state not in NEEDS[verb]:
            self.notify(
                safe_text(f"Step {step.name!r} is {record.state}: nothing to {verb}.", 200),
                severity="warning",
                markup=False,
            )
            return None
        return self.shown.id, step.name, record.attempt

    def _signal(self, verb: str, why: str = "", target: tuple[int, str, int] | None = None) -> None:
        target = target or self._target(verb)
        if target is None:
            return
        run_id, name, attempt = target
        app = console(self)

        async def work() -> None:
            done = await app.perform(self.data.signal(run_id, name, attempt, verb, why))
            if done is not None:
                self.notify(safe_text(f"{DONE[verb]} {name!r}", 200), markup=False)
                await self.reload()

        app.enqueue(safe_text(f"{DONE[verb]} {name!r} (attempt {attempt})", 100), work())

    def action_confirm(self) -> None:
        self._signal("confirm")

    def action_approve(self) -> None:
        self._signal("approve")

    def action_retry(self) -> None:
        self._signal("retry")

    def action_skip(self) -> None:
        self._signal("skip")

    def action_reject(self) -> None:
        app = console(self)
        app.hold_keys()  # what follows R is the reason
        target = self._target("reject")
        if target is None:
            app.drop_keys()
            return

        def answer(why: str | None) -> None:
            if why is None:
                self.notify("Not rejected.")
                return
            self._signal("reject", why.strip(), target)

        self.app.push_screen(PromptScreen(f"Reject {target[1]!r}: why?", "the reason"), answer)

    def action_cancel_run(self) -> None:
        app = console(self)
        app.hold_keys()  # what follows x answers the question, even if x is refused
        if self.shown is None or self.shown.run.current is None:
            app.drop_keys()
            self.notify("No run in progress here to cancel.", severity="warning")
            return
        run_id, run = self.shown.id, self.shown.run

        def answer(yes: bool | None) -> None:
            if not yes:
                self.notify("Run not cancelled.")
                return

            async def work() -> None:
                done = await app.perform(self.data.signal(run_id, "", 0, "cancel"))
                if done is not None:
                    self.notify(f"Cancelled run {run_id}")
                    await self.reload()

            app.enqueue(f"Cancelling run {run_id}", work())

        question = (
            f"Cancel run {run_id} of {run.runbook.name!r}? A step running is stopped;"
            " the steps after it never run."
        )
        self.app.push_screen(ConfirmScreen(question, enter_answers=False), answer)

    # -- S: start a runbook ------------------------------------------------------------------

    def action_start(self) -> None:
        app = console(self)
        incident = app.current_incident
        if incident is None:
            app.hold_keys()
            app.drop_keys()
            self.notify("Open an incident first (Incidents tab, enter).", severity="warning")
            return
        if not app.planset.runbooks:
            app.hold_keys()
            app.drop_keys()
            self.notify("No runbook in plans/ (kind: runbook).", severity="warning")
            return
        app.open_dialog(self._start_asking(incident))

    async def _start_asking(self, incident_id: int) -> None:
        app = console(self)
        found = await app.store.incident(incident_id)
        alerts = await app.store.incident_alerts(incident_id)
        plan_name = found.plan if found is not None else None
        plan = app.plan_index.by_name(plan_name) if plan_name else None
        first = plan.runbook if plan is not None else None
        alert = min(
            alerts,
            key=lambda t: (cells.SEVERITY_RANK.get(t.alert.severity, 9), t.alert.starts_at),
            default=None,
        )
        runbooks = app.planset.runbooks

        def chosen(name: str | None) -> None:
            if name is None or name not in runbooks:
                return
            runbook = runbooks[name]
            values = prefilled(runbook, alert.alert if alert else None, plan_name or "")
            app.hold_keys()  # the keys after enter belong to the parameters
            self.app.push_screen(
                RunbookParamsScreen(runbook, f"Start {name} on #{incident_id}", values),
                lambda given: self._start(incident_id, name, given),
            )

        self.app.push_screen(
            RunbookChoiceScreen(
                list(runbooks.values()), f"Start a runbook on #{incident_id}", first
            ),
            chosen,
        )

    def _start(self, incident_id: int, name: str, given: dict[str, str] | None) -> None:
        if given is None:
            return
        app = console(self)

        async def work() -> None:
            run_id = await app.perform(self.data.start(incident_id, name, given))
            if run_id is not None:
                self.notify(safe_text(f"Started {name} on #{incident_id} (run {run_id})", 200))
                self._pinned = run_id
                self._followed = None
                await self.reload()

        app.enqueue(safe_text(f"Starting {name} on #{incident_id}", 100), work())
