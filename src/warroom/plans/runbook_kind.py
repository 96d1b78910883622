"""The `runbook` plan kind, declared (issue 11, item 1).

Each step is a variant picked by its `kind`, so a misspelt kind is reported at
its place with a did-you-mean, and every kind's own keys are checked and shown
to editors. What needs the whole runbook (step names that refer to other steps,
templates that name parameters) is `runbook_check.py`; contacts a `notify`
names are checked across files with the engagement references.
"""

from __future__ import annotations

import re
from typing import Any

from warroom.model.argv import TemplateSyntax, parse
from warroom.model.runbook_steps import (
    ALERTS_RESOLVED,
    Approve,
    Branch,
    Choice,
    Command,
    FailureAction,
    Http,
    Manual,
    Notify,
    Parameter,
    Runbook,
    Step,
    StepKind,
    Wait,
)
from warroom.plans.engagement_kinds import NAME, NAME_DOC
from warroom.plans.templates import TemplateError, parse_template
from warroom.schema.types import (
    Duration,
    Either,
    Enum,
    Field,
    Int,
    Invalid,
    ListOf,
    Plain,
    Record,
    Struct,
    Text,
    Variant,
)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STEP_TEMPLATE_DOC = " (a template: {params.NAME})"
NOTIFY_KINDS = ("contact", "schedule")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def step_template(text: str) -> str:
    """Kept as written (the frozen copy stores text); refused now if it can never render."""
    try:
        parse(text)
    except TemplateSyntax as exc:
        raise Invalid(str(exc), offset=exc.position) from exc
    return text


def alert_template(text: str) -> str:
    try:
        parse_template(text)
    except TemplateError as exc:
        raise Invalid(str(exc), offset=exc.position) from exc
    return text


def identifier(text: str) -> str:
    if not _IDENTIFIER.match(text):
        raise Invalid(f"parameter name {text!r}: letters, digits and '_' ({{params.NAME}})")
    return text


def env_name(text: str) -> str:
    if not _ENV_NAME.match(text):
        raise Invalid(f"environment variable {text!r}: letters, digits and '_'")
    return text


def failure_action(text: str) -> tuple[FailureAction, str | None]:
    if text in (FailureAction.ABORT, FailureAction.CONTINUE):
        return FailureAction(text), None
    word, sep, target = text.partition(":")
    if word == "step" and sep and target:
        return FailureAction.GOTO, target
    raise Invalid(f"on_failure {text!r}: abort, continue or step:NAME")


def notify_target(text: str) -> str:
    kind, sep, name = text.partition(":")
    if not sep or kind not in NOTIFY_KINDS or not name:
        raise Invalid(f"notify to {text!r}: write contact:NAME or schedule:NAME")
    return text


def regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise Invalid(f"regular expression: {exc.msg}", offset=exc.pos) from exc
    return text


STEP_TEMPLATE = Text(convert=step_template)
BOOL = Plain((bool,))


def _common() -> tuple[Field, ...]:
    return (
        Field(
            "name", NAME, "unique in the runbook; branches and on_failure name it", required=True
        ),
        Field(
            "on_failure",
            Text(convert=failure_action, pattern=r"^(abort|continue|step:[a-z0-9._-]+)$"),
            "after the last attempt fails: abort the run, continue, or step:NAME (a later step)",
            default="abort",
        ),
        Field("max_attempts", Int(minimum=1), "tries before the step fails", default=1),
        Field("timeout", Duration(), "how long one attempt may take (command 10m, http 30s)"),
        Field("critical", BOOL, "a failure fails the run (default: unless on_failure: continue)"),
        Field(
            "idempotent",
            BOOL,
            "safe to run again: retried on its own if a crash left its outcome unknown",
            default=False,
        ),
    )


def _kind_field(word: str, doc: str) -> Field:
    return Field("kind", Enum((word,), subject="step kind"), doc, required=True)


def _build(kind: StepKind, spec_of: Any) -> Any:
    def build(record: Record) -> Step:
        action, target = record["on_failure"]
        critical = record.get("critical", action is not FailureAction.CONTINUE)
        return Step(
            name=record["name"],
            kind=kind,
            spec=spec_of(record),
            on_failure=action,
            goto=target,
            max_attempts=record["max_attempts"],
            timeout=record.get("timeout"),
            critical=critical,
            idempotent=record["idempotent"],
        )

    return build


def _step(
    kind: StepKind, doc: str, fields: tuple[Field, ...], spec_of: Any, checks: tuple[Any, ...] = ()
) -> Struct:
    return Struct(
        fields=(*_common(), _kind_field(kind.value, doc), *fields),
        noun=f"a {kind.value} step",
        context=f" in {kind.value} step",
        doc=doc,
        checks=checks,
        build=_build(kind, spec_of),
    )


def _command_checks(record: Record) -> None:
    argv = record.get("argv")
    if argv is None or "argv" in record.failed:
        return
    if not argv:
        raise Invalid("argv needs at least the program", ("argv",))
    fields = [p for p in parse(argv[0]) if not isinstance(p, str)]
    if fields:
        raise Invalid(
            "the program (argv[0]) must be a literal from the file, never a template",
            ("argv", 0),
            offset=fields[0].position,
        )


def _wait_checks(record: Record) -> None:
    given = [k for k in ("duration", "until") if k in record.written]
    if len(given) != 1 and not record.failed:
        raise Invalid("a wait step needs 'duration' or 'until' (one of them)")


def _choice_checks(record: Record) -> None:
    conditions = ("exit_code", "status", "output_contains", "output_matches")
    if not any(c in record.written for c in conditions) and not record.failed:
        raise Invalid(f"a choice needs a condition ({', '.join(conditions)})")


CHOICE = Struct(
    fields=(
        Field("goto", NAME, "the later step to go to when every condition holds", required=True),
        Field("exit_code", Int(), "the command's exit code is this"),
        Field("status", Int(minimum=100, maximum=599), "the http step's status is this"),
        Field("output_contains", Text(), "the output holds this text"),
        Field("output_matches", Text(convert=regex), "a regular expression found in the output"),
    ),
    noun="a choice",
    context=" in choice",
    checks=(_choice_checks,),
    build=lambda r: Choice(
        goto=r["goto"],
        exit_code=r.get("exit_code"),
        status=r.get("status"),
        output_contains=r.get("output_contains"),
        output_matches=r.get("output_matches"),
    ),
)

STEP_KINDS: dict[str, Struct] = {
    "manual": _step(
        StepKind.MANUAL,
        "a responder does what the instructions say, then confirms",
        (
            Field(
                "instructions",
                STEP_TEMPLATE,
                "what to do, in Markdown" + STEP_TEMPLATE_DOC,
                required=True,
            ),
        ),
        lambda r: Manual(r["instructions"]),
    ),
    "command": _step(
        StepKind.COMMAND,
        "a program run on the bastion as an argv list, never through a shell",
        (
            Field(
                "argv",
                ListOf(STEP_TEMPLATE),
                "the program (a literal) and its arguments, each rendered on its own"
                + STEP_TEMPLATE_DOC,
                required=True,
            ),
            Field("cwd", Text(), "the directory it runs in"),
            Field(
                "env",
                ListOf(Text(convert=env_name)),
                "environment variables passed through to it (no others are)",
                default=[],
            ),
        ),
        lambda r: Command(tuple(r["argv"]), r.get("cwd"), tuple(r["env"])),
        (_command_checks,),
    ),
    "http": _step(
        StepKind.HTTP,
        "one HTTP request; its status decides success",
        (
            Field("url", STEP_TEMPLATE, "where" + STEP_TEMPLATE_DOC, required=True),
            Field("method", Enum(HTTP_METHODS, subject="method"), "the method", default="GET"),
            Field(
                "expect_status",
                ListOf(Int(minimum=100, maximum=599)),
                "the statuses that succeed (default: any 2xx)",
                default=[],
            ),
        ),
        lambda r: Http(r["url"], r["method"], tuple(r["expect_status"])),
    ),
    "approve": _step(
        StepKind.APPROVE,
        "a second responder, not the one who started the run, approves or rejects",
        (Field("message", STEP_TEMPLATE, "what is asked" + STEP_TEMPLATE_DOC),),
        lambda r: Approve(r.get("message", "")),
    ),
    "wait": _step(
        StepKind.WAIT,
        "wait a duration, or until the incident's alerts resolve",
        (
            Field("duration", Duration(), "how long"),
            Field(
                "until",
                Enum((ALERTS_RESOLVED,), subject="until"),
                "alerts-resolved: until every alert of the incident resolves (timeout caps it)",
            ),
        ),
        lambda r: Wait(r.get("duration"), r.get("until")),
        (_wait_checks,),
    ),
    "notify": _step(
        StepKind.NOTIFY,
        "a message through a contact's channels, or to who is on call",
        (
            Field(
                "to", Text(convert=notify_target), "contact:NAME or schedule:NAME", required=True
            ),
            Field("text", STEP_TEMPLATE, "the message" + STEP_TEMPLATE_DOC, required=True),
        ),
        lambda r: Notify(r["to"], r["text"]),
    ),
    "branch": _step(
        StepKind.BRANCH,
        "go to a later step chosen by an earlier step's exit code, status or output",
        (
            Field(
                "on_step",
                NAME,
                "the earlier command or http step whose result decides",
                required=True,
            ),
            Field(
                "choices",
                ListOf(CHOICE),
                "tried in order; the first that holds wins",
                required=True,
            ),
            Field("default", NAME, "when none holds (default: the next step)"),
        ),
        lambda r: Branch(r["on_step"], tuple(r["choices"]), r.get("default")),
    ),
}

STEP = Variant(
    tag="kind",
    variants=STEP_KINDS,
    fallback=Struct(
        fields=(*_common(), Field("kind", Text(), "what the step does", required=True)),
        noun="a step",
        closed=False,
    ),
    subject="step kind",
)

PARAMETER = Struct(
    fields=(
        Field(
            "name",
            Text(convert=identifier, pattern=_IDENTIFIER.pattern),
            "steps write {params.NAME}",
            required=True,
        ),
        Field("description", Text(), "what it is, for the responder who starts the run"),
        Field(
            "default",
            Text(convert=alert_template),
            'from the alert that started it, e.g. "{labels.instance}"'
            " (a template over the alert's fields, as in titles)",
        ),
        Field("required", BOOL, "a run cannot start without a value", default=True),
    ),
    noun="a parameter",
    context=" in parameter",
    build=lambda r: Parameter(r["name"], r.get("description", ""), r.get("default"), r["required"]),
)


def _runbook_checks(record: Record) -> None:
    if record.get("steps") == [] and "steps" not in record.failed:
        raise Invalid("a runbook needs at least one step", ("steps",))


RUNBOOK = Struct(
    fields=(
        Field(
            "kind",
            Enum(("runbook",), subject="kind"),
            "steps responders follow, run on the bastion",
            required=True,
        ),
        Field("name", NAME, NAME_DOC + "; response plans name it in runbook:", required=True),
        Field("description", Text(), "what it is for"),
        Field(
            "parameters",
            ListOf(PARAMETER),
            "values its steps use, from the alert or given at start",
            default=[],
        ),
        Field(
            "steps",
            ListOf(STEP),
            "done in order; branches and on_failure jump forward",
            required=True,
        ),
    ),
    noun="a runbook",
    context=" in runbook",
    doc="A runbook: parameters and steps, run where the responder stands, never through a shell",
    checks=(_runbook_checks,),
)


def runbook(record: Record) -> Runbook:
    return Runbook(
        name=record["name"],
        steps=tuple(record["steps"]),
        description=record.get("description", ""),
        parameters=tuple(record["parameters"]),
    )


# -- a response plan's `runbook:` -----------------------------------------------------------

RUNBOOK_START = ("manual", "auto")


def _plan_runbook(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        return value, "manual"
    return value["name"], value["start"]


PLAN_RUNBOOK = Field(
    "runbook",
    Either(
        Text(),
        Struct(
            fields=(
                Field("name", Text(), "the runbook's name", required=True),
                Field(
                    "start",
                    Enum(RUNBOOK_START, subject="start"),
                    "auto: started when the incident is declared; manual: by a responder",
                    default="manual",
                ),
            ),
            noun="runbook",
            context=" in runbook",
        ),
    ),
    "the runbook responders follow: its name, or {name: NAME, start: auto|manual}",
    check=_plan_runbook,
)
