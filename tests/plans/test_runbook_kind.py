"""The runbook plan kind (issue 11, item 1): loaded into model values, and every mistake
reported at `file:line:col`, at the character at fault."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from warroom.model.runbook_steps import (
    Branch,
    Command,
    FailureAction,
    Http,
    Notify,
    StepKind,
    Wait,
)
from warroom.plans import PlanSet, load_plans
from warroom.plans.runbook_params import ParametersRefused, resolve_parameters

from .helpers import SHIPPED_PLANS, join_docs, locate, make_alert, plan_doc, split_located, write

CONTACT = "kind: contact\nname: ops\nchannels: [{name: log, type: log}]\n"

RUNBOOK = """\
kind: runbook
name: disk
description: clean a disk
parameters:
  - {name: path, description: where, default: "{labels.mountpoint}"}
  - {name: host, default: "{labels.instance}", required: false}
steps:
  - name: usage
    kind: command
    argv: [du, -sh, "{params.path}"]
    cwd: /tmp
    env: [PATH, LANG]
    timeout: 30s
    idempotent: true
    max_attempts: 2
    on_failure: continue
  - name: decide
    kind: branch
    on_step: usage
    choices:
      - {exit_code: 0, output_matches: "9[0-9]%", goto: ask}
    default: tell
  - name: probe
    kind: http
    url: "http://{params.host}/healthy"
    expect_status: [200, 204]
    on_failure: step:tell
  - name: ask
    kind: approve
    message: "Delete under {params.path}?"
  - name: look
    kind: manual
    instructions: "Look at **{params.host}**"
  - name: settle
    kind: wait
    until: alerts-resolved
    timeout: 10m
  - name: tell
    kind: notify
    to: contact:ops
    text: "done with {params.path}"
"""


def load(tmp_path: Path, *texts: str) -> tuple[PlanSet, list[Path], list[str]]:
    paths = [write(tmp_path / "plans", f"{i}.yaml", text) for i, text in enumerate(texts)]
    return load_plans(tmp_path / "plans"), paths, list(texts)


def test_a_runbook_loads_into_model_values(tmp_path: Path) -> None:
    planset, _, _ = load(tmp_path, CONTACT, RUNBOOK)
    assert (planset.errors, planset.warnings) == ([], [])
    book = planset.runbooks["disk"]
    assert [p.name for p in book.parameters] == ["path", "host"]
    assert [s.kind for s in book.steps] == [
        StepKind.COMMAND,
        StepKind.BRANCH,
        StepKind.HTTP,
        StepKind.APPROVE,
        StepKind.MANUAL,
        StepKind.WAIT,
        StepKind.NOTIFY,
    ]
    usage, decide, probe, _, _, settle, tell = book.steps
    assert usage.spec == Command(("du", "-sh", "{params.path}"), "/tmp", ("PATH", "LANG"))
    assert (usage.timeout, usage.idempotent, usage.max_attempts) == (timedelta(seconds=30), True, 2)
    # SSM's rule: a step that continues on failure is not critical unless it says so
    assert (usage.on_failure, usage.critical) == (FailureAction.CONTINUE, False)
    assert isinstance(decide.spec, Branch) and decide.spec.default == "tell"
    assert decide.spec.choices[0].exit_code == 0
    assert isinstance(probe.spec, Http) and probe.spec.expect_status == (200, 204)
    assert (probe.on_failure, probe.goto, probe.critical) == (FailureAction.GOTO, "tell", True)
    assert isinstance(settle.spec, Wait) and settle.spec.until == "alerts-resolved"
    assert tell.spec == Notify("contact:ops", "done with {params.path}")


def test_a_plan_names_its_runbook_and_may_start_it_automatically(tmp_path: Path) -> None:
    plan = plan_doc("p", extra="runbook: {name: disk, start: auto}\n")
    planset, _, _ = load(tmp_path, CONTACT, RUNBOOK, plan)
    assert planset.errors == []
    assert (planset.plans[0].runbook, planset.plans[0].runbook_start) == ("disk", "auto")


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        pytest.param("runbook: disk-cleanup\n", "disk-cleanup", id="bare-name"),
        pytest.param("runbook: {name: disk-cleanup}\n", "disk-cleanup", id="mapping"),
    ],
)
def test_a_plan_naming_an_unknown_runbook_is_an_error_where_it_names_it(
    tmp_path: Path, extra: str, needle: str
) -> None:
    plan = plan_doc("p", extra=extra)
    planset, paths, _ = load(tmp_path, CONTACT, RUNBOOK, plan)
    (error,) = planset.errors
    assert error == (
        f"{paths[2]}:{':'.join(map(str, locate(plan, needle)))}: plan 'p':"
        " no runbook named 'disk-cleanup' (known: disk)"
    )
    assert planset.rejected == [paths[2]]


# (the text RUNBOOK is changed to, where the one error points, what it says)
MISTAKES = [
    pytest.param(
        ("kind: approve", "kind: aprove"),
        ("aprove", 0),
        "unknown step kind 'aprove' (known: manual, command, http, approve, wait, notify,"
        " branch); did you mean 'approve'?",
        id="unknown-step-kind",
    ),
    pytest.param(
        ("name: look", "name: ask"),
        ("ask\n    kind: manual", 0),
        "duplicate step name 'ask' (first is step 4)",
        id="duplicate-step",
    ),
    pytest.param(
        ("goto: ask}", "goto: asc}"),
        ("asc}", 0),
        "no step named 'asc' (steps: usage, decide, probe, ask, look, settle, tell)",
        id="unknown-branch-target",
    ),
    pytest.param(
        ("on_failure: step:tell", "on_failure: step:usage"),
        ("step:usage", 5),
        "step 'usage' is not after 'probe': jumps only go forward (a loop would never end)",
        id="backward-on-failure",
    ),
    pytest.param(
        ("on_failure: step:tell", "on_failure: step:nowhere"),
        ("step:nowhere", 5),
        "no step named 'nowhere' (steps: usage, decide, probe, ask, look, settle, tell)",
        id="unknown-on-failure-step",
    ),
    pytest.param(
        ("on_failure: step:tell", "on_failure: retry"),
        ("retry", 0),
        "on_failure 'retry': abort, continue or step:NAME",
        id="bad-on-failure",
    ),
    pytest.param(
        ('"Look at **{params.host}**"', '"Look at **{params.hots}**"'),
        ("{params.hots}", 0),
        "no parameter 'hots' in this runbook (parameters: path, host)",
        id="unknown-parameter",
    ),
    pytest.param(
        ('"done with {params.path}"', '"done with {labels.path}"'),
        ("{labels.path}", 0),
        "{labels.path}: a step names parameters ({params.NAME}); take alert fields through"
        ' a parameter\'s default (e.g. default: "{labels.instance}")',
        id="alert-field-in-step",
    ),
    pytest.param(
        ('"{labels.mountpoint}"', '"{lables.mountpoint}"'),
        ("lables", 0),
        "unknown template field {lables.mountpoint} (known: labels.NAME, annotations.NAME,"
        " name, source, severity, fingerprint, plan)",
        id="bad-label-path",
    ),
    pytest.param(
        ('"{labels.instance}"', '"{labels.in-stance}"'),
        ("labels.in-stance", 0),
        "unknown template field {labels.in-stance} (known: labels.NAME, annotations.NAME,"
        " name, source, severity, fingerprint, plan)",
        id="bad-label-name",
    ),
    pytest.param(
        ('argv: [du, -sh, "{params.path}"]', 'argv: ["{params.path}", -sh]'),
        ('"{params.path}", -sh', 1),
        "the program (argv[0]) must be a literal from the file, never a template",
        id="program-is-a-template",
    ),
    pytest.param(
        ("to: contact:ops", "to: contact:opz"),
        ("contact:opz", 0),
        "runbook 'disk' step 'tell' notifies: no contact named 'opz' (known: ops)",
        id="unknown-contact",
    ),
    pytest.param(
        ("to: contact:ops", "to: ops"),
        ("ops\n", 0),
        "notify to 'ops': write contact:NAME or schedule:NAME",
        id="notify-not-a-reference",
    ),
    pytest.param(
        ("on_step: usage", "on_step: ask"),
        ("ask\n    choices", 0),
        "a branch decides on an earlier step; 'ask' is not before it",
        id="branch-on-later-step",
    ),
    pytest.param(
        ("until: alerts-resolved", "until: resolved"),
        ("resolved\n", 0),
        "until 'resolved': one of alerts-resolved; did you mean 'alerts-resolved'?",
        id="wait-until-unknown",
    ),
    pytest.param(
        ("    until: alerts-resolved\n", ""),
        ("name: settle", 0),
        "a wait step needs 'duration' or 'until' (one of them)",
        id="wait-without-what",
    ),
    pytest.param(
        ('"9[0-9]%"', '"9[0-9%"'),
        ("[0-9%", 0),
        "regular expression: unterminated character set",
        id="bad-regex",
    ),
    pytest.param(
        ("env: [PATH, LANG]", "env: [PATH, LANG=C]"),
        ("LANG=C", 0),
        "environment variable 'LANG=C': letters, digits and '_'",
        id="bad-env-name",
    ),
]


@pytest.mark.parametrize(("change", "at", "said"), MISTAKES)
def test_a_runbook_mistake_is_reported_at_its_place(
    tmp_path: Path, change: tuple[str, str], at: tuple[str, int], said: str
) -> None:
    old, new = change
    assert RUNBOOK.count(old) == 1
    text = RUNBOOK.replace(old, new)
    planset, paths, _ = load(tmp_path, CONTACT, text)
    assert len(planset.errors) == 1, planset.errors
    path, line, column, message = split_located(planset.errors[0])
    needle, shift = at
    assert (path, line, column) == (str(paths[1]), *locate(text, needle, shift=shift))
    assert message == said
    if "notifies" not in said:  # across files: the runbook loads, its reference is wrong
        assert "disk" not in planset.runbooks


def test_a_misspelt_runbook_key_leaves_the_other_documents_loaded(tmp_path: Path) -> None:
    text = join_docs(plan_doc("before"), RUNBOOK.replace("description: clean", "descripton: clean"))
    planset, _, _ = load(tmp_path, CONTACT, text)
    (error,) = planset.errors
    assert "unknown key 'descripton' in runbook" in error and "did you mean" in error
    assert [p.name for p in planset.plans] == ["before"]


def test_the_shipped_runbooks_load_and_every_plan_names_one() -> None:
    planset = load_plans(SHIPPED_PLANS)
    assert planset.errors == []
    names = {p.runbook for p in planset.plans if p.runbook is not None}
    assert names == set(planset.runbooks)
    kinds = {step.kind for book in planset.runbooks.values() for step in book.steps}
    assert kinds == set(StepKind)  # the examples show every kind of step


def test_parameters_come_from_the_alert_or_are_given(tmp_path: Path) -> None:
    planset, _, _ = load(tmp_path, CONTACT, RUNBOOK)
    book = planset.runbooks["disk"]
    alert = make_alert("DiskFull", mountpoint="/var", instance="db-1")
    assert resolve_parameters(book, {}, alert) == {"path": "/var", "host": "db-1"}
    assert resolve_parameters(book, {"path": "/srv"}, alert)["path"] == "/srv"
    # an optional parameter without a label has no value (a step using it is refused)
    assert resolve_parameters(book, {}, make_alert("DiskFull", mountpoint="/v"))["host"] is None
    with pytest.raises(ParametersRefused, match="needs a value for 'path'"):
        resolve_parameters(book, {}, make_alert("DiskFull"))
    with pytest.raises(ParametersRefused, match="has no parameter 'pth'"):
        resolve_parameters(book, {"pth": "/"}, alert)
