"""The plan kinds, declared: every key a plan document may hold, its type, default and doc.

`loader.py` decodes documents against these with the one walker; `warroom schema
plan` prints them for editors. A new kind (contact, schedule, escalation-plan,
runbook) is one `Struct` here, one entry in `KINDS`, and a build function.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from warroom.model import Impact
from warroom.model.matchers import Matcher, MatcherError, parse_matchers
from warroom.plans.engagement_kinds import CONTACT, ESCALATION_PLAN, SCHEDULE
from warroom.plans.plan import ImpactRule, Link, PlanMetric, ResolvePolicy
from warroom.plans.runbook_kind import PLAN_RUNBOOK, RUNBOOK
from warroom.plans.templates import Template, TemplateError, parse_template
from warroom.schema.types import (
    Duration,
    Either,
    Enum,
    Field,
    Int,
    Invalid,
    ListOf,
    MapOf,
    Record,
    Struct,
    Text,
    Variant,
)

RESERVED_KINDS: tuple[str, ...] = ()  # kinds recognised but not read yet
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
TEMPLATE_DOC = (
    " (a template: {labels.NAME}, {annotations.NAME}, {name}, {source}, {severity}, {plan})"
)


def plan_name(text: str) -> str:
    if not text or not set(text) <= _NAME_CHARS:
        raise Invalid(f"plan name {text!r}: use lower-case letters, digits, '-', '_' or '.'")
    return text


def matchers(text: str) -> tuple[Matcher, ...]:
    try:
        return tuple(parse_matchers(text))
    except MatcherError as exc:
        message = str(exc).rsplit(" (at character", 1)[0]
        raise Invalid(message, offset=exc.position) from exc


def template(text: str) -> Template:
    try:
        return parse_template(text)
    except TemplateError as exc:
        raise Invalid(str(exc), offset=exc.position) from exc


TEMPLATE = Text(convert=template)
IMPACT_LEVEL = Int(
    minimum=1, maximum=5, mismatch="impact must be 1 to 5 (1 critical … 5 no impact), got {got}"
)


def _impact_values(record: Record) -> None:
    if "label" in record and not record.extra and not record.failed:
        raise Invalid(f"map values of {record['label']!r} to impacts 1-5")


def _impact_map(record: Record) -> ImpactRule:
    return ImpactRule(
        label=record["label"],
        by_value={value: Impact(level) for value, level in record.extra.items()},
        default=Impact(record["default"]),
    )


def _impact_rule(value: Any) -> ImpactRule:
    return value if isinstance(value, ImpactRule) else ImpactRule(fixed=Impact(value))


IMPACT_MAP = Struct(
    fields=(
        Field(
            "label",
            Text(),
            "the alert label whose value picks the impact (e.g. severity)",
            required=True,
            missing="an impact map needs 'label' (e.g. label: severity)",
        ),
        Field("default", IMPACT_LEVEL, "the impact for a value not listed", default=3),
    ),
    noun="an impact map",
    extra=IMPACT_LEVEL,
    extra_doc="the impact (1-5) for alerts whose label has this value",
    checks=(_impact_values,),
    build=_impact_map,
)

MATCH = Struct(
    fields=(
        Field("source", Text(), "only alerts of this configured source"),
        Field(
            "alerts",
            Text(convert=matchers),
            'Alertmanager matchers the alert\'s labels must meet, e.g. alertname=~"Disk.*"',
        ),
    ),
    noun="match",
    context=" in match",
    doc="which alerts the plan takes: a source, alert matchers or both",
)

INCIDENT = Struct(
    fields=(
        Field(
            "title",
            TEMPLATE,
            "the incident's title" + TEMPLATE_DOC,
            required=True,
            missing="incident needs a 'title'",
        ),
        Field("summary", TEMPLATE, "the incident's summary (default: the alert's)" + TEMPLATE_DOC),
        Field(
            "impact",
            Either(IMPACT_LEVEL, IMPACT_MAP),
            "1 critical … 5 no impact, or a map from a label's values to impacts",
            default=3,
            check=_impact_rule,
        ),
        Field(
            "dedupe",
            TEMPLATE,
            "alerts with the same key join one open incident" + TEMPLATE_DOC,
            default="{plan}",
        ),
    ),
    noun="incident",
    context=" in incident",
    doc="the incident the plan declares",
)

LINK = Struct(
    fields=(
        Field(
            "title", TEMPLATE, "what the link shows", required=True, missing="a link needs 'title'"
        ),
        Field(
            "url",
            TEMPLATE,
            "where it goes" + TEMPLATE_DOC,
            required=True,
            missing="a link needs 'url'",
        ),
    ),
    noun="a link",
    context=" in link",
    build=lambda record: Link(title=record["title"], url=record["url"]),
)

CLOUDWATCH_METRIC = Struct(
    fields=(
        Field("namespace", Text(), "e.g. AWS/EC2", required=True),
        Field("metric", Text(), "e.g. CPUUtilization", required=True),
        Field(
            "dimensions",
            MapOf(TEMPLATE),
            "name: value" + TEMPLATE_DOC,
            default={},
        ),
        Field("stat", Text(), "Average, Sum, Maximum, p99 ...", default="Average"),
        Field("period", Duration(), "seconds per point, whole minutes", default="5m"),
    ),
    noun="a CloudWatch metric",
    context=" in cloudwatch",
    doc="one CloudWatch metric, read with GetMetricData",
)


def _one_query(record: Record) -> None:
    if record.failed:
        return
    if ("promql" in record) == ("cloudwatch" in record):
        raise Invalid("a metric needs one of 'promql' or 'cloudwatch'")


def _plan_metric(record: Record) -> PlanMetric:
    cloudwatch = record.get("cloudwatch") or {}
    return PlanMetric(
        title=record["title"],
        promql=record.get("promql"),
        namespace=cloudwatch.get("namespace", ""),
        metric=cloudwatch.get("metric", ""),
        dimensions=tuple(sorted((cloudwatch.get("dimensions") or {}).items())),
        stat=cloudwatch.get("stat", "Average"),
        period=cloudwatch.get("period", timedelta(minutes=5)),
        source=record.get("source"),
    )


PLAN_METRIC = Struct(
    fields=(
        Field(
            "title", Text(), "what the chart shows", required=True, missing="a metric needs 'title'"
        ),
        Field(
            "promql",
            TEMPLATE,
            "a PromQL query; write {{ and }} for PromQL's braces; label values filled in"
            " are escaped for a double-quoted string" + TEMPLATE_DOC,
        ),
        Field("cloudwatch", CLOUDWATCH_METRIC, CLOUDWATCH_METRIC.doc),
        Field("source", Text(), "the configured source to ask (default: the first that can)"),
    ),
    noun="a metric",
    context=" in metrics",
    doc="a series drawn on the incident's Metrics tab",
    checks=(_one_query,),
    build=_plan_metric,
)

DECLARE = Struct(
    fields=(
        Field("after", Duration(), "declare only once an alert has fired this long", default="0s"),
    ),
    noun="declare",
    context=" in declare",
)


def _needs_match(record: Record) -> None:
    if "match" in record.failed:
        return
    match = record.get("match") or {}
    if not match.get("alerts") and match.get("source") is None:
        raise Invalid("a plan needs 'match' (a source, alert matchers or both)")


def _kind(word: str, doc: str) -> Field:
    return Field("kind", Enum((word,), subject="kind"), doc, required=True)


RESPONSE_PLAN = Struct(
    fields=(
        _kind("response-plan", "a response plan: which alerts, and the incident made of them"),
        Field(
            "name",
            Text(convert=plan_name, pattern=r"^[a-z0-9._-]+$"),
            "unique; lower-case letters, digits, '-', '_' or '.'",
            required=True,
            missing="a response plan needs a 'name'",
        ),
        Field("display_name", Text(), "the name shown on screen (default: the name)"),
        Field("description", Text(), "what the plan is for, for the people who read it"),
        Field("match", MATCH, MATCH.doc),
        Field(
            "incident",
            INCIDENT,
            INCIDENT.doc,
            required=True,
            missing="a response plan needs 'incident'",
        ),
        Field(
            "engagements",
            ListOf(Text()),
            "who is engaged: escalation-plan:NAME, schedule:NAME or contact:NAME",
            default=[],
        ),
        PLAN_RUNBOOK,
        Field("links", ListOf(LINK), "links kept with the incident (dashboards, logs)", default=[]),
        Field(
            "metrics",
            ListOf(PLAN_METRIC),
            "series drawn on the incident's Metrics tab (PromQL or CloudWatch)",
            default=[],
        ),
        Field("declare", DECLARE, "when to declare (default: at once)"),
        Field(
            "resolve",
            Enum(tuple(p.value for p in ResolvePolicy), subject="resolve", convert=ResolvePolicy),
            "when the incident resolves",
            default=ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE.value,
        ),
        Field(
            "reopen_within",
            Duration(),
            "a re-fire this soon after resolving reopens the incident",
            default="0s",
        ),
    ),
    noun="a response plan",
    context=" in response-plan",
    doc="Every alert has a process: what the alert becomes, who is engaged, which runbook",
    checks=(_needs_match,),
)


def _reserved(word: str) -> Struct:
    return Struct(
        fields=(_kind(word, f"{word}: reserved for what comes next; skipped today"),),
        closed=False,
        doc=f"kind {word!r} is not read yet: warroom skips it with a warning",
    )


KINDS: dict[str, Struct] = {
    "response-plan": RESPONSE_PLAN,
    "runbook": RUNBOOK,
    **{word: _reserved(word) for word in RESERVED_KINDS},
    "escalation-plan": ESCALATION_PLAN,
    "contact": CONTACT,
    "schedule": SCHEDULE,
}

DOCUMENT = Variant(
    tag="kind",
    variants=KINDS,
    fallback=Struct(
        fields=(
            Field(
                "kind",
                Text(),
                "what the document declares",
                required=True,
                missing="document needs a 'kind'",
            ),
        ),
        closed=False,
    ),
    subject="kind",
)
