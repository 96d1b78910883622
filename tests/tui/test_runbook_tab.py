"""The Runbook tab (issue #11 item 3): steps with their states, the shown step expanded,
its output live and clean, and keys that name the step and attempt on screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.tui.test_typeahead import burst
from textual import events
from textual.widgets import Input

from warroom.config import demo_config
from warroom.model.runbook import StepState
from warroom.plans import load_plans
from warroom.tui.context import console as console_of
from warroom.tui.dialogs import ConfirmScreen
from warroom.tui.run_output import RunOutput
from warroom.tui.runbook_dialog import RunbookParamsScreen
from warroom.tui.runbook_view import RunbookView

from .runbook_support import MemoryRunbooks

RUNBOOKS = """\
kind: runbook
name: disk-check
description: Look, have it approved, clean up.
parameters:
  - name: instance
    default: "{labels.instance}"
steps:
  - name: usage
    kind: command
    argv: [ls, -l, "{params.instance}"]
    timeout: 2m
  - name: go-ahead
    kind: approve
    message: "Clean {params.instance}?"
  - name: cleanup
    kind: manual
    instructions: "On **{params.instance}** delete [bold]old[/bold] logs \\e[31m\\nthen confirm."
---
kind: runbook
name: another
steps:
  - name: only
    kind: manual
    instructions: just this
"""
HOSTILE_OUTPUT = (
    "total 4\n\x1b]0;pwned-title\x07\x9b2J\x1b[31mred\x1b[0m \u202eevil\nend of listing\n"
)


@pytest.fixture
def memory(console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MemoryRunbooks:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "runbooks.yaml").write_text(RUNBOOKS)
    console.config = demo_config(tmp_path / "w.db", plans=folder)
    planset = load_plans(folder)
    assert not planset.errors, planset.errors
    from warroom.model.clock import utcnow

    runs = MemoryRunbooks(planset.runbooks, utcnow)
    monkeypatch.setattr(
        RunbookView, "data", property(lambda view: runs.for_actor(console_of(view).actor))
    )
    return runs


async def _incident(console) -> int:
    await console.seed([console.alert("disk", "DiskFull", labels={"instance": "web-1"})])
    return await console.declare(["disk"], "Disk trouble")


async def _open(ui, incident: int) -> RunbookView:
    ui.app.open_incident(incident, tab="runbook")
    await ui.wait_for(lambda: ui.app.view("runbook") is not None, what="the Runbook tab")
    view = ui.app.view("runbook")
    assert isinstance(view, RunbookView)
    await ui.wait_for(lambda: view.shown is not None, what="a run shown")
    return view


async def _reload(ui, view: RunbookView) -> None:
    """What the change feed does when the runner or another console moved the run."""
    await view.reload()
    await ui.pilot.pause(0.2)


async def test_every_step_with_its_state_the_current_one_expanded_and_clean_output(
    console, memory
) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    memory.print(run_id, "usage", HOSTILE_OUTPUT)
    async with console.start() as ui:
        view = await _open(ui, incident)
        await ui.wait_for(lambda: "end of listing" in ui.screen(), what="the output")
        screen = ui.screen()
        assert "disk-check on #1" in screen
        assert "▶ running" in screen and "· pending" in screen
        for step in ("usage", "go-ahead", "cleanup"):
            assert step in screen
        assert "$ ls -l web-1" in screen  # the argv as it runs, parameters filled in
        # elapsed against the timeout, as a bar, in the list and the heading
        assert len(re.findall(r"0:0\d ░{10,} 2:00", screen)) == 2
        raw = ui.raw_output()
        # (the raw stream holds Textual's own styling sequences: none of the command's)
        for smuggled in ("pwned-title", "\x1b]", "\x9b", "\x07", "\u202e", "\x1b[2J"):
            assert smuggled not in raw, repr(smuggled)
        # the command ends: the cursor follows the run to the approval
        memory.result(run_id, "usage", 0)
        await _reload(ui, view)
        screen = ui.screen()
        assert "✓ done" in screen and "? approve" in screen
        assert "Clean web-1?" in screen
        assert "other than bob to approve (A)" in screen
        # moving the cursor back shows the finished step's output again
        await ui.press("up")
        await ui.wait_for(lambda: "end of listing" in ui.screen(), what="usage's output")


async def test_instructions_are_plain_text_never_markup_or_escapes(console, memory) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    memory.result(run_id, "usage", 0)
    memory.for_actor("carol")  # another responder approves
    await memory.for_actor("carol").signal(run_id, "go-ahead", 1, "approve")
    async with console.start() as ui:
        await _open(ui, incident)
        await ui.wait_for(lambda: "delete" in ui.screen(), what="the instructions")
        screen = ui.screen()
        assert "On **web-1** delete [bold]old[/bold] logs" in screen
        assert "? confirm" in screen
        assert "\x1b[31m" not in ui.raw_output()


async def test_keys_name_the_step_and_attempt_seen_and_a_late_one_is_told_who(
    console, memory
) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "alice", incident)
    memory.begin(run_id, "usage")
    memory.result(run_id, "usage", 0)
    async with console.start() as ui:
        view = await _open(ui, incident)
        await ui.wait_for(lambda: "? approve" in ui.screen(), what="the approval")
        await ui.press("A")  # alice started the run: she may not approve it
        await ui.wait_for(
            lambda: any("cannot approve" in n for n in ui.notifications()), what="refused"
        )
        assert memory.all[run_id].steps[1].state is StepState.WAITING_APPROVAL
        await memory.for_actor("bob").signal(run_id, "go-ahead", 1, "approve")
        await _reload(ui, view)
        await ui.wait_for(lambda: "? confirm" in ui.screen(), what="the manual step")
        # carol confirms from another console while alice's screen still shows it waiting
        await memory.for_actor("carol").signal(run_id, "cleanup", 1, "confirm")
        await ui.press("c")
        await ui.wait_for(
            lambda: any("already confirmed by carol" in n for n in ui.notifications()),
            what="told who confirmed it",
        )
        assert memory.signals[-1] == ("alice", run_id, "cleanup", 1, "confirm")
        assert memory.all[run_id].steps[2].by == "carol"


async def test_a_key_with_nothing_to_act_on_says_so_and_moves_nothing(console, memory) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    async with console.start() as ui:
        await _open(ui, incident)
        await ui.press("c")
        await ui.wait_for(
            lambda: any("is running: nothing to confirm" in n for n in ui.notifications()),
            what="nothing to confirm",
        )
        assert memory.signals == []


async def test_cancel_asks_first_and_a_burst_answers_the_question(console, memory) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    async with console.start() as ui:
        view = await _open(ui, incident)
        burst(ui.app, "xn")
        await ui.wait_for(lambda: any("not cancelled" in n for n in ui.notifications()))
        assert not memory.all[run_id].cancelled
        burst(ui.app, "xy")
        await ui.wait_for(lambda: memory.all[run_id].cancelled, what="cancelled")
        await _reload(ui, view)
        assert "⊘ cancelled" in ui.screen()
        assert not isinstance(ui.top_screen(), ConfirmScreen)


async def test_reject_asks_why_and_the_reason_typed_in_one_burst_goes_with_it(
    console, memory
) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    memory.result(run_id, "usage", 0)
    async with console.start() as ui:
        await _open(ui, incident)
        await ui.wait_for(lambda: "? approve" in ui.screen())
        burst(ui.app, "Rtoo risky\r")
        await ui.wait_for(lambda: memory.all[run_id].steps[1].state is StepState.FAILED)
        assert memory.all[run_id].steps[1].reason == "rejected by alice: too risky"


async def test_start_chooses_a_runbook_with_parameters_from_the_alert(console, memory) -> None:
    incident = await _incident(console)
    async with console.start() as ui:
        await _open_empty(ui, incident)
        # in one write: S, down (alphabetical, no plan names one: another, disk-check), enter
        burst(ui.app, "S")
        ui.app.post_message(events.Key("down", None))
        burst(ui.app, "\r")
        await ui.wait_for(
            lambda: (
                isinstance(ui.top_screen(), RunbookParamsScreen)
                and ui.top_screen().query("#param-instance")
            )
        )
        field = ui.top_screen().query_one("#param-instance", Input)
        assert field.value == "web-1"  # from the alert's label
        burst(ui.app, "\r")
        await ui.wait_for(lambda: len(memory.all) == 1, what="started")
        run = memory.all[1]
        assert (run.runbook.name, dict(run.parameters), run.started_by) == (
            "disk-check",
            {"instance": "web-1"},
            "alice",
        )
        await ui.wait_for(lambda: "disk-check on #1" in ui.screen(), what="the new run shown")


async def _open_empty(ui, incident: int) -> RunbookView:
    ui.app.open_incident(incident, tab="runbook")
    await ui.wait_for(lambda: "No runbook run for incident #1" in ui.screen(), what="empty tab")
    view = ui.app.view("runbook")
    assert isinstance(view, RunbookView)
    return view


async def test_the_output_pane_is_bounded(console, memory) -> None:
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    memory.print(run_id, "usage", "".join(f"row {i}\n" for i in range(50_000)))
    async with console.start() as ui:
        view = await _open(ui, incident)
        out = view.query_one("#runbook-output", RunOutput)
        await ui.wait_for(lambda: "row 49999" in ui.screen(), what="the last line")
        assert out.line_count <= out.head_limit + (out._tail.maxlen or 0)
        assert out.dropped == 50_000 - out.line_count


async def test_x_with_no_run_to_cancel_drops_the_keys_typed_after_it(console, memory) -> None:
    """`xy` where nothing runs: the y was meant for the question, never for the tab."""
    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    await memory.for_actor("bob").signal(run_id, "", 0, "cancel")
    async with console.start() as ui:
        await _open(ui, incident)
        burst(ui.app, "xc")
        await ui.wait_for(
            lambda: any("were not used" in n for n in ui.notifications()), what="keys dropped"
        )
        assert not any("nothing to confirm" in n for n in ui.notifications())


async def test_the_clock_ticking_lays_nothing_out_again(console, memory, monkeypatch) -> None:
    """A layout repaints every scrollbar on screen: with the Runbook tab's output
    scrolled, the clock's tick each second cost ~600 bytes over SSH for nothing."""
    from textual._compositor import Compositor

    from warroom.tui.status import Clock

    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    memory.print(run_id, "usage", "".join(f"row {i}\n" for i in range(100)))
    async with console.start() as ui:
        await _open(ui, incident)
        await ui.wait_for(lambda: "row 99" in ui.screen(), what="the output")
        await ui.pilot.pause(0.3)
        reflows: list[object] = []
        original = Compositor.reflow

        def counted(self: Compositor, parent: Any, size: Any) -> Any:
            reflows.append(size)
            return original(self, parent, size)

        monkeypatch.setattr(Compositor, "reflow", counted)
        clock = ui.app.query_one(Clock)
        for _ in range(3):
            clock._tick()
            await ui.pilot.pause(0.05)
        assert reflows == []


@pytest.fixture
def stored(console, tmp_path: Path) -> Path:
    """Plans with the runbooks, and no stand-in: the console reads the real store."""
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "runbooks.yaml").write_text(RUNBOOKS)
    console.config = demo_config(tmp_path / "w.db", plans=folder)
    return folder


async def test_through_the_store_a_confirmation_and_a_late_one_told_who(console, stored) -> None:
    from warroom.engine import Service

    incident = await _incident(console)
    async with console.start() as ui:
        record = await ui.app.service.start_runbook(incident, "another")
        view = await _open(ui, incident)
        await ui.wait_for(lambda: "? confirm" in ui.screen(), what="the manual step")
        await ui.wait_for(lambda: "just this" in ui.screen(), what="its instructions")
        # bob confirms from another process while alice's screen shows it waiting
        other = Service(ui.app.store, "bob", runbooks=ui.app.planset.runbooks)
        await other.signal_runbook(record.id, "only", 1, "confirm")
        view._data = None  # (the stand-in of the tests above is not used here)
        await ui.press("c")
        await ui.wait_for(
            lambda: any("bob" in n and "confirm" in n for n in ui.notifications()),
            what="told bob confirmed it",
        )
        await ui.wait_for(lambda: "✓ succeeded" in ui.screen(), what="the run done")
        stored_run = await ui.app.store.runbook_run(record.id)
        assert stored_run is not None and stored_run.run.steps[0].by == "bob"


async def test_the_run_age_in_the_title_moves_with_the_clock(console, memory) -> None:
    """"run 1 by bob 7m ago" ages with the clock; it stayed at its first value
    until something else redrew the title (seen on the demo in tmux)."""
    from datetime import timedelta

    from warroom.model.clock import utcnow

    incident = await _incident(console)
    run_id = memory.new_run("disk-check", {"instance": "web-1"}, "bob", incident)
    memory.begin(run_id, "usage")
    memory.result(run_id, "usage", 0)  # now waiting at the approval
    start = utcnow()
    offset = [timedelta(0)]
    async with console.start(clock=lambda: start + offset[0]) as ui:
        await _open(ui, incident)
        await ui.wait_for(lambda: "? approve" in ui.screen(), what="the approval shown")
        offset[0] = timedelta(minutes=7)
        await ui.wait_for(lambda: "7m ago" in ui.screen(), what="the run's age moving on")
