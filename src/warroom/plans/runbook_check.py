"""Checks that need a whole runbook: names that refer to steps and parameters.

Run on a runbook whose document decoded without a mistake, so each problem's
path (`("steps", 3, "argv", 2)`) leads to the node as written and the loader
reports it at `file:line:col`, at the character of the template field at fault.

Jumps (a branch's targets, `on_failure: step:NAME`) only go forward: every step
then runs at most once per run (retries aside), so a run always ends and a
crash never leaves a loop half-way round.
"""

from __future__ import annotations

from warroom.model.argv import params_named
from warroom.model.runbook_steps import (
    Approve,
    Branch,
    Command,
    FailureAction,
    Http,
    Manual,
    Notify,
    Runbook,
    Step,
    StepKind,
)
from warroom.schema.types import Invalid


def runbook_problems(runbook: Runbook) -> list[Invalid]:
    problems: list[Invalid] = []
    seen: dict[str, int] = {}
    for i, step in enumerate(runbook.steps):
        if step.name in seen:
            problems.append(
                Invalid(
                    f"duplicate step name {step.name!r} (first is step {seen[step.name] + 1})",
                    ("steps", i, "name"),
                )
            )
        else:
            seen[step.name] = i
    declared = [p.name for p in runbook.parameters]
    for i, parameter in enumerate(runbook.parameters):
        if parameter.name in declared[:i]:
            problems.append(
                Invalid(f"duplicate parameter {parameter.name!r}", ("parameters", i, "name"))
            )
    for i, step in enumerate(runbook.steps):
        problems += _parameters(step, i, declared)
        problems += _jumps(runbook, step, i, seen)
    return problems


def _texts(step: Step) -> list[tuple[tuple[str | int, ...], str]]:
    """Every template a step holds, with its path under the step."""
    spec = step.spec
    if isinstance(spec, Command):
        return [(("argv", j), arg) for j, arg in enumerate(spec.argv)]
    if isinstance(spec, Http):
        return [(("url",), spec.url)]
    if isinstance(spec, Manual):
        return [(("instructions",), spec.instructions)]
    if isinstance(spec, Approve):
        return [(("message",), spec.message)] if spec.message else []
    if isinstance(spec, Notify):
        return [(("text",), spec.text)]
    return []


def _parameters(step: Step, i: int, declared: list[str]) -> list[Invalid]:
    problems = []
    known = ", ".join(declared) or "none declared"
    for path, text in _texts(step):
        for param in params_named(text):
            if param.name not in declared:
                problems.append(
                    Invalid(
                        f"no parameter {param.name!r} in this runbook (parameters: {known})",
                        ("steps", i, *path),
                        offset=param.position,
                    )
                )
    return problems


def _jumps(runbook: Runbook, step: Step, i: int, seen: dict[str, int]) -> list[Invalid]:
    targets: list[tuple[tuple[str | int, ...], str, int]] = []
    if step.on_failure is FailureAction.GOTO and step.goto is not None:
        targets.append((("on_failure",), step.goto, len("step:")))
    spec = step.spec
    problems: list[Invalid] = []
    if isinstance(spec, Branch):
        for j, choice in enumerate(spec.choices):
            targets.append((("choices", j, "goto"), choice.goto, 0))
        if spec.default is not None:
            targets.append((("default",), spec.default, 0))
        problems += _branch_on(runbook, spec, i, seen)
    names = ", ".join(s.name for s in runbook.steps)
    for path, target, offset in targets:
        at = ("steps", i, *path)
        if target not in seen:
            problems.append(
                Invalid(f"no step named {target!r} (steps: {names})", at, offset=offset)
            )
        elif seen[target] <= i:
            problems.append(
                Invalid(
                    f"step {target!r} is not after {step.name!r}: jumps only go forward"
                    " (a loop would never end)",
                    at,
                    offset=offset,
                )
            )
    return problems


def _branch_on(runbook: Runbook, spec: Branch, i: int, seen: dict[str, int]) -> list[Invalid]:
    at = ("steps", i, "on_step")
    where = seen.get(spec.on)
    if where is None:
        names = ", ".join(s.name for s in runbook.steps)
        return [Invalid(f"no step named {spec.on!r} (steps: {names})", at)]
    if where >= i:
        return [Invalid(f"a branch decides on an earlier step; {spec.on!r} is not before it", at)]
    on = runbook.steps[where]
    if on.kind not in (StepKind.COMMAND, StepKind.HTTP):
        return [
            Invalid(
                f"step {spec.on!r} is a {on.kind} step: a branch reads a command or http step", at
            )
        ]
    problems = []
    for j, choice in enumerate(spec.choices):
        if on.kind is StepKind.HTTP and choice.exit_code is not None:
            problems.append(
                Invalid(
                    f"step {spec.on!r} is an http step: it has a status, not an exit code",
                    ("steps", i, "choices", j, "exit_code"),
                )
            )
        if on.kind is StepKind.COMMAND and choice.status is not None:
            problems.append(
                Invalid(
                    f"step {spec.on!r} is a command: it has an exit code, not a status",
                    ("steps", i, "choices", j, "status"),
                )
            )
    return problems
