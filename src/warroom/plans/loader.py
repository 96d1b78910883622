"""Loading `plans/`: every YAML document, validated like code.

Files are read in sorted path order and documents in file order; that order is
the order plans are tried in (first match wins), so it is stable and visible in
`warroom check`. A bad document is reported as `file:line:col: message` and
skipped; the rest still load, so one typo never takes the console down.

Kinds: `response-plan` now; `runbook`, `escalation-plan`, `contact` and
`schedule` are recognised and reserved for the issues that bring them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from warroom.model import Impact
from warroom.model.clock import parse_duration
from warroom.model.matchers import Matcher, MatcherError, parse_matchers
from warroom.plans.plan import ImpactRule, Link, ResolvePolicy, ResponsePlan
from warroom.plans.templates import Template, TemplateError, parse_template
from warroom.yamlnodes import (
    LocatedError,
    Where,
    compose_documents_partial,
    describe,
    inside,
    mapping_items,
    scalar_value,
    where,
)

T = TypeVar("T")
# what a part of a plan that has a mistake stands for: nothing (never mutated)
_NO_KEYS: dict[str, yaml.Node] = {}
_NO_NODES: list[yaml.Node] = []
_NO_ITEMS: list[tuple[str, yaml.Node, yaml.Node]] = []
RESERVED_KINDS = ("runbook", "escalation-plan", "contact", "schedule")
_PLAN_KEYS = (
    "kind",
    "name",
    "display_name",
    "description",
    "match",
    "incident",
    "engagements",
    "runbook",
    "links",
    "declare",
    "resolve",
    "reopen_within",
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass
class PlanSet:
    plans: list[ResponsePlan] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    rejected: list[Path] = field(default_factory=list)  # files with at least one error


def plan_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_plans(directory: Path | None, sources: set[str] | None = None) -> PlanSet:
    """Everything under `directory`; never raises for what is in the files."""
    result = PlanSet()
    if directory is None:
        return result
    if not directory.is_dir():
        result.errors.append(f"{directory}: plans directory not found")
        return result
    seen: dict[str, Where] = {}
    for path in plan_files(directory):
        result.files.append(path)
        before = len(result.errors)
        _load_file(path, result, seen, sources)
        if len(result.errors) > before:
            result.rejected.append(path)
    result.warnings += overlaps(result.plans)
    return result


def _load_file(
    path: Path, result: PlanSet, seen: dict[str, Where], sources: set[str] | None
) -> None:
    name = str(path)
    try:
        documents, syntax_error = compose_documents_partial(path)
    except OSError as exc:
        result.errors.append(f"{name}:1: cannot read: {exc.strerror}")
        return
    for document in documents:
        try:
            kind = _kind(name, document)
            if kind in RESERVED_KINDS:
                result.warnings.append(
                    f"{where(name, document, True)}: kind {kind!r} is not supported yet; skipped"
                )
                continue
            plan = _response_plan(name, document, sources)
        except PlanErrors as exc:
            result.errors += [str(e) for e in exc.errors]
            continue
        except LocatedError as exc:
            result.errors.append(str(exc))
            continue
        if plan.name in seen:
            result.errors.append(
                f"{plan.name_where}: duplicate plan name {plan.name!r} (first at {seen[plan.name]})"
            )
            continue
        seen[plan.name] = plan.name_where
        result.plans.append(plan)
    if syntax_error is not None:  # the documents before it still count
        result.errors.append(str(syntax_error))


def _kind(name: str, document: yaml.Node) -> str:
    items = {k: v for k, _, v in mapping_items(name, document)}
    if "kind" not in items:
        raise LocatedError(where(name, document, True), "document needs a 'kind'")
    kind = _str(name, items["kind"])
    if kind != "response-plan" and kind not in RESERVED_KINDS:
        known = ", ".join(("response-plan", *RESERVED_KINDS))
        raise LocatedError(
            where(name, items["kind"], True), f"unknown kind {kind!r} (known: {known})"
        )
    return kind


class PlanErrors(Exception):
    """Every mistake of one document: a responder fixes them in one pass, not one per run."""

    def __init__(self, errors: list[LocatedError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class _Collect:
    """Runs each part of a plan, keeping its mistake and going on to the next part."""

    def __init__(self) -> None:
        self.errors: list[LocatedError] = []

    def add(self, at: Where, message: str) -> None:
        self.errors.append(LocatedError(at, message))

    def get(self, part: Callable[[], T], default: T) -> T:
        try:
            return part()
        except PlanErrors as exc:
            self.errors += exc.errors
        except LocatedError as exc:
            self.errors.append(exc)
        return default


def _response_plan(name: str, document: yaml.Node, sources: set[str] | None) -> ResponsePlan:
    found = _Collect()
    items = _keys(name, document, _PLAN_KEYS, "response-plan", found)
    at_document = where(name, document, True)
    plan_name = ""
    if "name" not in items:
        found.add(at_document, "a response plan needs a 'name'")
    else:
        plan_name = found.get(lambda: _plan_name(name, items["name"]), "")
    if "incident" not in items:
        found.add(at_document, "a response plan needs 'incident'")
    source: str | None = None
    matchers: tuple[Matcher, ...] = ()
    match_ok = True
    if "match" in items:
        before = len(found.errors)
        match = found.get(
            lambda: _keys(name, items["match"], ("source", "alerts"), "match", found), _NO_KEYS
        )
        if "source" in match:
            source = found.get(lambda: _source(name, match["source"], sources), None)
        if "alerts" in match:
            matchers = found.get(lambda: _matchers(name, match["alerts"]), ())
        match_ok = len(found.errors) == before
    if match_ok and not matchers and source is None:
        found.add(at_document, "a plan needs 'match' (a source, alert matchers or both)")
    incident: dict[str, yaml.Node] = {}
    if "incident" in items:
        incident = found.get(
            lambda: _keys(
                name, items["incident"], ("title", "summary", "impact", "dedupe"), "incident", found
            ),
            {},
        )
        if "title" not in incident and isinstance(items["incident"], yaml.MappingNode):
            found.add(where(name, items["incident"], True), "incident needs a 'title'")
    title = (
        found.get(lambda: _template(name, incident["title"]), None) if "title" in incident else None
    )
    summary = (
        found.get(lambda: _template(name, incident["summary"]), None)
        if "summary" in incident
        else None
    )
    dedupe = (
        found.get(lambda: _template(name, incident["dedupe"]), None)
        if "dedupe" in incident
        else parse_template("{plan}")
    )
    impact = (
        found.get(lambda: _impact(name, incident["impact"]), ImpactRule(Impact.MEDIUM))
        if "impact" in incident
        else ImpactRule(Impact.MEDIUM)
    )
    links = tuple(
        link
        for node in found.get(lambda: _seq(name, items.get("links")), _NO_NODES)
        if (link := found.get(lambda node=node: _link(name, node), None)) is not None  # type: ignore[misc]
    )
    declare_after = timedelta(0)
    if "declare" in items:
        declare = found.get(
            lambda: _keys(name, items["declare"], ("after",), "declare", found), _NO_KEYS
        )
        if "after" in declare:
            declare_after = found.get(lambda: _duration(name, declare["after"]), timedelta(0))
    resolve = ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE
    if "resolve" in items:
        resolve = found.get(lambda: _resolve(name, items["resolve"]), resolve)
    reopen = (
        found.get(lambda: _duration(name, items["reopen_within"]), timedelta(0))
        if "reopen_within" in items
        else timedelta(0)
    )
    display_name = (
        found.get(lambda: _str(name, items["display_name"]), plan_name)
        if "display_name" in items
        else plan_name
    )
    engagements = tuple(
        text
        for node in found.get(lambda: _seq(name, items.get("engagements")), _NO_NODES)
        if (text := found.get(lambda node=node: _str(name, node), None)) is not None  # type: ignore[misc]
    )
    runbook = found.get(lambda: _str(name, items["runbook"]), None) if "runbook" in items else None
    if found.errors:
        raise PlanErrors(sorted(found.errors, key=lambda e: (e.where.line, e.where.column)))
    assert title is not None and dedupe is not None
    return ResponsePlan(
        name=plan_name,
        where=at_document,
        name_where=where(name, items["name"], True),
        title=title,
        dedupe=dedupe,
        impact=impact,
        display_name=display_name,
        source=source,
        matchers=matchers,
        summary=summary,
        engagements=engagements,
        runbook=runbook,
        links=links,
        declare_after=declare_after,
        resolve=resolve,
        reopen_within=reopen,
    )


def _plan_name(name: str, node: yaml.Node) -> str:
    plan_name = _str(name, node)
    if not plan_name or not set(plan_name) <= _NAME_CHARS:
        raise LocatedError(
            where(name, node, True),
            f"plan name {plan_name!r}: use lower-case letters, digits, '-', '_' or '.'",
        )
    return plan_name


def _source(name: str, node: yaml.Node, sources: set[str] | None) -> str:
    source = _str(name, node)
    if sources is not None and source not in sources:
        raise LocatedError(
            where(name, node, True),
            f"no source named {source!r} in the config"
            f" (known: {', '.join(sorted(sources)) or 'none'})",
        )
    return source


def _matchers(name: str, node: yaml.Node) -> tuple[Matcher, ...]:
    text = _str(name, node)
    try:
        return tuple(parse_matchers(text))
    except MatcherError as exc:
        message = str(exc).rsplit(" (at character", 1)[0]
        raise LocatedError(inside(name, node, exc.position), message) from exc


def _resolve(name: str, node: yaml.Node) -> ResolvePolicy:
    text = _str(name, node)
    try:
        return ResolvePolicy(text)
    except ValueError as exc:
        known = ", ".join(p.value for p in ResolvePolicy)
        raise LocatedError(where(name, node, True), f"resolve {text!r}: one of {known}") from exc


# -- pieces -------------------------------------------------------------------------------


def _keys(
    name: str,
    node: yaml.Node,
    known: tuple[str, ...],
    what: str,
    found: _Collect | None = None,
) -> dict[str, yaml.Node]:
    """The known keys; each unknown one is a mistake (all of them kept when `found` is given)."""
    items: dict[str, yaml.Node] = {}
    unknown: list[LocatedError] = []
    entries = (
        mapping_items(name, node)
        if found is None
        else found.get(lambda: mapping_items(name, node), _NO_ITEMS)
    )
    for key, key_node, value in entries:
        if key not in known:
            unknown.append(
                LocatedError(
                    where(name, key_node, True),
                    f"unknown key {key!r} in {what} (known: {', '.join(known)})",
                )
            )
            continue
        items[key] = value
    if unknown and found is None:
        raise PlanErrors(unknown)
    if found is not None:
        found.errors += unknown
    return items


def _str(name: str, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise LocatedError(where(name, node, True), f"expected text, got {describe(node)}")
    value = scalar_value(node)
    if value is None:
        raise LocatedError(where(name, node, True), "expected text, got nothing (null)")
    return value if isinstance(value, str) else str(node.value)


def _seq(name: str, node: yaml.Node | None) -> list[yaml.Node]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise LocatedError(where(name, node, True), f"expected a list, got {describe(node)}")
    return list(node.value)


def _template(name: str, node: yaml.Node) -> Template:
    text = _str(name, node)
    try:
        return parse_template(text)
    except TemplateError as exc:
        raise LocatedError(inside(name, node, exc.position), str(exc)) from exc


def _duration(name: str, node: yaml.Node) -> timedelta:
    try:
        return parse_duration(_str(name, node))
    except ValueError as exc:
        raise LocatedError(where(name, node, True), str(exc)) from exc


def _impact_value(name: str, node: yaml.Node) -> Impact:
    value: Any = scalar_value(node) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise LocatedError(
            where(name, node, True),
            f"impact must be 1 to 5 (1 critical … 5 no impact), got {describe(node)}",
        )
    return Impact(value)


def _impact(name: str, node: yaml.Node) -> ImpactRule:
    if isinstance(node, yaml.ScalarNode):
        return ImpactRule(fixed=_impact_value(name, node))
    items = {k: (kn, v) for k, kn, v in mapping_items(name, node)}
    if "label" not in items:
        raise LocatedError(
            where(name, node, True), "an impact map needs 'label' (e.g. label: severity)"
        )
    label = _str(name, items.pop("label")[1])
    default = _impact_value(name, items.pop("default")[1]) if "default" in items else Impact.MEDIUM
    by_value = {key: _impact_value(name, value) for key, (_, value) in items.items()}
    if not by_value:
        raise LocatedError(where(name, node, True), f"map values of {label!r} to impacts 1-5")
    return ImpactRule(label=label, by_value=by_value, default=default)


def _link(name: str, node: yaml.Node) -> Link:
    items = _keys(name, node, ("title", "url"), "link")
    for required in ("title", "url"):
        if required not in items:
            raise LocatedError(where(name, node, True), f"a link needs '{required}'")
    return Link(title=_template(name, items["title"]), url=_template(name, items["url"]))


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
