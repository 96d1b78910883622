"""Loading `plans/`: every YAML document, validated like code.

Files are read in sorted path order and documents in file order; that order is
the order plans are tried in (first match wins), so it is stable and visible in
`warroom check`. A bad document is reported as `file:line:col: message` and
skipped; the rest still load, so one typo never takes the console down.

What each kind holds is declared in `kinds.py` and decoded by the one schema
walker; this module only reads files, builds plans and compares them.
Kinds: `response-plan`, `contact`, `schedule`, `escalation-plan` and `runbook`.
Names that refer across documents (engagements, a plan's runbook, a runbook's
notify) are checked once every file is read (`engagement_check.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from warroom.model.clock import utcnow
from warroom.model.contact import Contact
from warroom.model.escalation import EscalationPlan
from warroom.model.oncall import Schedule
from warroom.model.runbook_steps import Notify, Runbook
from warroom.plans.engagement_check import (
    Engaged,
    Reference,
    coverage_gaps,
    parse_engagement,
    unknown_references,
)
from warroom.plans.engagement_kinds import contact, escalation_plan, schedule
from warroom.plans.kinds import DOCUMENT, RESERVED_KINDS
from warroom.plans.plan import ResponsePlan
from warroom.plans.runbook_check import runbook_problems
from warroom.plans.runbook_kind import runbook
from warroom.schema.types import Record
from warroom.schema.walk import Walk
from warroom.yamlnodes import Where, compose_documents_partial, where


@dataclass
class PlanSet:
    plans: list[ResponsePlan] = field(default_factory=list)
    contacts: dict[str, Contact] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    escalation_plans: dict[str, EscalationPlan] = field(default_factory=dict)
    runbooks: dict[str, Runbook] = field(default_factory=dict)
    # where each contact's channel is written, (contact, channel) -> place: the notify
    # layer checks a channel's options and reports its mistakes there
    channel_where: dict[tuple[str, str], Where] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    rejected: list[Path] = field(default_factory=list)  # files with at least one error


def plan_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_plans(
    directory: Path | None, sources: set[str] | None = None, now: datetime | None = None
) -> PlanSet:
    """Everything under `directory`; never raises for what is in the files. `now`
    starts the 30 days that schedules are checked for gaps over."""
    result = PlanSet()
    if directory is None:
        return result
    if not directory.is_dir():
        result.errors.append(f"{directory}: plans directory not found")
        return result
    loading = _Loading()
    for path in plan_files(directory):
        result.files.append(path)
        before = len(result.errors)
        _load_file(path, result, loading, sources)
        if len(result.errors) > before:
            result.rejected.append(path)
    engaged = Engaged(result.contacts, result.schedules, result.escalation_plans)
    for error in [
        *unknown_references(loading.references, engaged),
        *_unknown_runbooks(loading, result.runbooks),
    ]:
        result.errors.append(error)
        rejected = Path(error.split(":", 1)[0])
        if rejected not in result.rejected:
            result.rejected.append(rejected)
    result.warnings += overlaps(result.plans)
    schedule_where = {
        name: where for (kind, name), where in loading.seen.items() if kind == "schedule"
    }
    result.warnings += coverage_gaps(result.schedules, schedule_where, now or utcnow())
    return result


@dataclass
class _Loading:
    seen: dict[tuple[str, str], Where] = field(default_factory=dict)  # (kind, name)
    references: list[Reference] = field(default_factory=list)
    runbooks: list[tuple[Where, str, str]] = field(default_factory=list)  # (at, runbook, plan)


def _unknown_runbooks(loading: _Loading, runbooks: dict[str, Runbook]) -> list[str]:
    listed = ", ".join(sorted(runbooks)) or "none declared"
    return [
        f"{at}: plan {plan!r}: no runbook named {name!r} (known: {listed})"
        for at, name, plan in loading.runbooks
        if name not in runbooks
    ]


def _load_file(path: Path, result: PlanSet, loading: _Loading, sources: set[str] | None) -> None:
    name = str(path)
    try:
        documents, syntax_error = compose_documents_partial(path)
    except OSError as exc:
        result.errors.append(f"{name}:1: cannot read: {exc.strerror}")
        return
    for document in documents:
        kind = _written_kind(document)
        if kind in RESERVED_KINDS:
            result.warnings.append(
                f"{where(name, document, True)}: kind {kind!r} is not supported yet; skipped"
            )
            continue
        walk = Walk(name)
        record = walk.decode(document, DOCUMENT)
        if isinstance(record, Record):
            _check_source(walk, record, sources)
            if record.get("kind") == "runbook" and not walk.findings:
                for problem in runbook_problems(runbook(record)):
                    walk.invalid(document, problem.at, None, problem)
        errors = walk.errors()
        if errors or not isinstance(record, Record):
            result.errors += [str(e) for e in errors]
            continue
        _add(walk, record, result, loading)
    if syntax_error is not None:  # the documents before it still count
        result.errors.append(str(syntax_error))


def _add(walk: Walk, record: Record, result: PlanSet, loading: _Loading) -> None:
    """A document without mistakes: build it, refuse a second of the same name, and
    keep the names it refers to for the check across files."""
    kind, name = record["kind"], record["name"]
    name_where = walk.at[("name",)]
    if (kind, name) in loading.seen:
        noun = "plan" if kind == "response-plan" else kind
        result.errors.append(
            f"{name_where}: duplicate {noun} name {name!r} (first at {loading.seen[(kind, name)]})"
        )
        return
    references = []
    if kind == "response-plan":
        plan = _response_plan(walk, record)
        result.plans.append(plan)
        for i, text in enumerate(plan.engagements):
            parsed = parse_engagement(text)
            at = walk.at[("engagements", i)]
            if parsed is None:
                result.warnings.append(
                    f"{at}: engagement {text!r} names nobody warroom can page"
                    " (write escalation-plan:NAME, schedule:NAME or contact:NAME)"
                )
            else:
                references.append(Reference(at, *parsed, f"plan {name!r} engages"))
        if plan.runbook is not None:
            at = walk.at.get(("runbook", "name")) or walk.at[("runbook",)]
            loading.runbooks.append((at, plan.runbook, name))
    elif kind == "runbook":
        result.runbooks[name] = book = runbook(record)
        for i, step in enumerate(book.steps):
            if isinstance(step.spec, Notify):
                ref_kind, _, ref_name = step.spec.to.partition(":")
                at = walk.at[("steps", i, "to")]
                what = f"runbook {name!r} step {step.name!r} notifies"
                references.append(Reference(at, ref_kind, ref_name, what))
    elif kind == "contact":
        result.contacts[name] = contact(record)
        for i, channel in enumerate(result.contacts[name].channels):
            result.channel_where[(name, channel.name)] = walk.at[("channels", i)]
    elif kind == "schedule":
        result.schedules[name] = schedule(record)
        for i, rotation in enumerate(record["rotations"]):
            for j, member in enumerate(rotation["members"]):
                at = walk.at[("rotations", i, "members", j)]
                references.append(Reference(at, "contact", member, f"schedule {name!r}"))
        for i, override in enumerate(record["overrides"]):
            if "with" in override:
                at = walk.at[("overrides", i, "with")]
                references.append(Reference(at, "contact", override["with"], "override"))
    elif kind == "escalation-plan":
        plan_value = escalation_plan(record)
        result.escalation_plans[name] = plan_value
        for i, stage in enumerate(plan_value.stages):
            for j, target in enumerate(stage.targets):
                at = walk.at[("stages", i, "targets", j)]
                what = f"stage {i + 1} of {name!r}"
                references.append(Reference(at, target.kind.value, target.name, what))
    loading.seen[(kind, name)] = name_where
    loading.references += references


def _written_kind(document: yaml.Node) -> str | None:
    """The kind as written, to skip a reserved kind before anything is checked."""
    if not isinstance(document, yaml.MappingNode):
        return None
    for key, value in document.value:
        if getattr(key, "value", None) == "kind" and isinstance(value, yaml.ScalarNode):
            return str(value.value)
    return None


def _check_source(walk: Walk, record: Record, sources: set[str] | None) -> None:
    """`match.source` names a configured source (known only with a config)."""
    match = record.get("match")
    source = match.get("source") if isinstance(match, Record) else None
    if sources is None or source is None or source in sources:
        return
    walk.report(
        ("match", "source"),
        f"no source named {source!r} in the config (known: {', '.join(sorted(sources)) or 'none'})",
    )


def _response_plan(walk: Walk, record: Record) -> ResponsePlan:
    """The plan from a document the walker found no mistake in."""
    match = record.get("match") or {}
    incident = record["incident"]
    declare = record.get("declare") or {}
    return ResponsePlan(
        name=record["name"],
        where=walk.at[()],
        name_where=walk.at[("name",)],
        title=incident["title"],
        dedupe=incident["dedupe"],
        impact=incident["impact"],
        display_name=record.get("display_name", record["name"]),
        source=match.get("source"),
        matchers=match.get("alerts", ()),
        summary=incident.get("summary"),
        engagements=tuple(record["engagements"]),
        runbook=record["runbook"][0] if "runbook" in record else None,
        runbook_start=record["runbook"][1] if "runbook" in record else "manual",
        links=tuple(record["links"]),
        metrics=tuple(record["metrics"]),
        declare_after=declare.get("after", timedelta(0)),
        resolve=record["resolve"],
        reopen_within=record["reopen_within"],
    )


# -- overlaps -------------------------------------------------------------------------------


def overlaps(plans: list[ResponsePlan]) -> list[str]:
    """Pairs of plans that could both match one alert: the first one wins, say so."""
    warnings = []
    for i, first in enumerate(plans):
        for second in plans[i + 1 :]:
            if _may_overlap(first, second):
                warnings.append(
                    f"{second.where}: plan {second.name!r} overlaps {first.name!r}"
                    f" ({first.where}); {first.name!r} wins for alerts both match"
                )
    return warnings


def _may_overlap(a: ResponsePlan, b: ResponsePlan) -> bool:
    """Could one alert meant for either plan match both?

    Label by label, each plan allows a finite set of values (`=`, or a regex
    that is an alternation of literals) or an open one. Two finite sets that do
    not intersect, or a finite set the other plan's matcher refuses entirely,
    make the plans disjoint. A plan that names its alerts (`alertname=` or
    `=~`) and one that does not are about different things and are not reported.
    """
    if a.source is not None and b.source is not None and a.source != b.source:
        return False
    if _pins_alertname(a) != _pins_alertname(b):
        return False
    for label in {m.name for m in a.matchers} & {m.name for m in b.matchers}:
        left, right = _values(a, label), _values(b, label)
        if left is not None and right is not None and not left & right:
            return False
        for finite, other in ((left, b), (right, a)):
            if finite is not None and not any(
                all(m.matches({label: v}) for m in other.matchers if m.name == label)
                for v in finite
            ):
                return False
    return True


# an alternative that can only match itself: letters, digits, - _ : / space and
# escaped dots (an unescaped '.' matches any character, so it is not a literal)
_LITERAL = re.compile(r"(?:[A-Za-z0-9_\-:/ ]|\\\.)+")


def _pins_alertname(plan: ResponsePlan) -> bool:
    """The plan is about particular alerts (`alertname=` or `alertname=~`)."""
    return any(m.name == "alertname" and m.op.value in ("=", "=~") for m in plan.matchers)


def _values(plan: ResponsePlan, label: str) -> set[str] | None:
    """The finite set of values `plan` allows for `label`, or None when open."""
    allowed: set[str] | None = None
    for m in plan.matchers:
        if m.name != label:
            continue
        if m.op.value == "=":
            found = {m.value}
        elif m.op.value == "=~" and all(_LITERAL.fullmatch(p) for p in m.value.split("|")):
            found = {p.replace("\\.", ".") for p in m.value.split("|")}
        else:
            continue
        allowed = found if allowed is None else allowed & found
    return allowed
