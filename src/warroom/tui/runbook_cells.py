"""What the Runbook tab draws for a run and its steps, as `Text`: never markup.

A step's state is a word and a symbol as well as a colour, so it reads under
NO_COLOR and in 16 colours; the steps waiting for a responder and the ones that
failed are bold, finished ones dim. A running or waiting step shows how long it
has taken and, against its deadline (a timeout, a wait's end), a bar of `█` and
`░`: the glyphs tell the fraction where colours do not.

Instructions are Markdown as written in the plan, shown as plain text (a
`**bold**` stays two asterisks): text from a plan file is never parsed, as
markup or as Markdown.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text

from warroom.model.argv import ArgvRefused, TemplateSyntax, render_argv, render_text
from warroom.model.clock import format_age
from warroom.model.runbook import Run, RunStatus, StepRun, StepState
from warroom.model.runbook_steps import (
    Approve,
    Branch,
    Command,
    Http,
    Manual,
    Notify,
    Step,
    Wait,
)
from warroom.model.text import safe_text
from warroom.tui.cells import accent

BAR_WIDTH = 12

# (label, emphasis): the emphasis is a theme colour variable and bold, or a plain style
STATE_CELL: dict[StepState, tuple[str, str]] = {
    StepState.PENDING: ("· pending", "dim"),
    StepState.RUNNING: ("▶ running", "bold"),
    StepState.WAITING_CONFIRMATION: ("? confirm", "severity-warning"),
    StepState.WAITING_APPROVAL: ("? approve", "severity-warning"),
    StepState.SUCCEEDED: ("✓ done", ""),
    StepState.FAILED: ("✗ failed", "severity-error"),
    StepState.SKIPPED: ("↷ skipped", "dim"),
    StepState.INTERRUPTED: ("! interrupted", "severity-warning"),
    StepState.CANCELLED: ("⊘ cancelled", "dim"),
}

RUN_CELL: dict[RunStatus, tuple[str, str]] = {
    RunStatus.RUNNING: ("▶ running", "bold"),
    RunStatus.WAITING: ("? waiting for a responder", "severity-warning"),
    RunStatus.SUCCEEDED: ("✓ succeeded", ""),
    RunStatus.FAILED: ("✗ failed", "severity-error"),
    RunStatus.CANCELLED: ("⊘ cancelled", "dim"),
}

# the states a responder's key can act on, and what the key would do there
WAITING = (StepState.WAITING_CONFIRMATION, StepState.WAITING_APPROVAL)
TIMED = (StepState.RUNNING, *WAITING)


def _styled(label: str, emphasis: str) -> Text:
    if emphasis.startswith("severity-"):
        return Text(label, style=accent(emphasis, bold=True), no_wrap=True)
    return Text(label, style=emphasis, no_wrap=True)


def state_cell(state: StepState) -> Text:
    return _styled(*STATE_CELL[state])


def run_status_cell(status: RunStatus) -> Text:
    return _styled(*RUN_CELL[status])


def duration(value: timedelta) -> str:
    """`0:07`, `12:30`, `1:02:03`: elapsed time as a stopwatch shows it."""
    seconds = max(0, int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def progress(record: StepRun, now: datetime, width: int = BAR_WIDTH) -> Text:
    """`0:14 ███░░░░░░░░░ 2:00` for a running or waiting step; its duration once done."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if record.started_at is None:
        return text
    if record.state in TIMED:
        text.append(duration(now - record.started_at), style="bold")
        if record.due_at is not None and record.due_at > record.started_at:
            whole = record.due_at - record.started_at
            text.append(f" {bar((now - record.started_at) / whole, width)} ")
            text.append(duration(whole), style="dim")
        return text
    if record.finished_at is not None:
        text.append(duration(record.finished_at - record.started_at), style="dim")
    return text


def step_summary(run: Run, index: int) -> str:
    """What the step is, in one line: its argv, its URL, its wait."""
    step = run.runbook.steps[index]
    spec = step.spec
    if isinstance(spec, Command):
        try:
            argv = render_argv(step.name, spec.argv, run.parameters)
        except (ArgvRefused, TemplateSyntax) as exc:
            return f"refused before it runs: {exc}"
        return "$ " + " ".join(_shown_arg(a) for a in argv)
    if isinstance(spec, Http):
        return f"{spec.method} {_render(spec.url, run)}"
    if isinstance(spec, Wait):
        if spec.until:
            return f"until the incident's alerts resolve ({spec.until})"
        return f"for {duration(spec.duration)}" if spec.duration else "wait"
    if isinstance(spec, Notify):
        return f"to {spec.to}: {_render(spec.text, run)}"
    if isinstance(spec, Approve):
        return _render(spec.message, run) or "a second responder approves"
    if isinstance(spec, Branch):
        return f"on the result of {spec.on!r}"
    return ""


def _shown_arg(arg: str) -> str:
    """An argv element as a responder can read it back: quoted when it holds a space."""
    return repr(arg) if not arg or any(c.isspace() or c in "'\"" for c in arg) else arg


def _render(text: str, run: Run) -> str:
    try:
        return render_text(text, run.parameters)
    except TemplateSyntax:
        return text


def instructions(run: Run, index: int) -> list[str]:
    """A manual step's instructions, with its parameters filled in, line by line."""
    spec = run.runbook.steps[index].spec
    if not isinstance(spec, Manual):
        return []
    return _render(spec.instructions, run).splitlines()


def step_heading(run: Run, index: int, now: datetime) -> Text:
    """The shown step's line above its output: name, kind, attempt, state, time, bar."""
    step: Step = run.runbook.steps[index]
    record = run.steps[index]
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{index + 1}/{len(run.steps)} ", style="dim")
    text.append(safe_text(step.name, 40), style="bold")
    text.append(f" {step.kind} ")
    text.append_text(state_cell(record.state))
    if record.attempt:
        of = f" of {step.max_attempts}" if step.max_attempts > 1 else ""
        text.append(f" · attempt {record.attempt}{of}", style="dim")
    timing = progress(record, now, BAR_WIDTH)
    if timing.plain:
        text.append(" · ")
        text.append_text(timing)
    return text


def step_note(run: Run, index: int) -> Text:
    """Why the step is where it is (by whom, its outcome), under the heading."""
    record = run.steps[index]
    text = Text(no_wrap=True, overflow="ellipsis")
    summary = step_summary(run, index)
    if summary:
        text.append(safe_text(summary, 400))
    if record.reason:
        text.append(" · " if summary else "")
        text.append(safe_text(record.reason, 200), style="italic")
    return text


def run_title(run: Run, run_id: int, position: tuple[int, int], now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(safe_text(run.runbook.name, 40), style="bold")
    if run.incident_id is not None:
        text.append(f" on #{run.incident_id}")
    text.append(" · ")
    text.append_text(run_status_cell(run.status))
    text.append(f" · run {run_id} by {safe_text(run.started_by, 24)}", style="dim")
    age = format_age(now - run.started_at)
    text.append(f" {age} ago" if age != "now" else " just now", style="dim")
    shown, count = position
    if count > 1:
        text.append(f" · {shown} of {count} ([ ])", style="dim")
    return text
