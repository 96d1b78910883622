"""Response plans: which alerts they take, and the incident they make of them.

A plan is what the practice "every alert has a process" asks for: a match, an
incident template (title, impact, dedupe key), who is engaged, which runbook to
run, and when the incident resolves.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from warroom.model import Alert, Impact
from warroom.model.matchers import Matcher
from warroom.model.value import Value, field
from warroom.plans.templates import Template
from warroom.yamlnodes import Where


class ResolvePolicy(StrEnum):
    WHEN_ALL_ALERTS_RESOLVE = "when-all-alerts-resolve"
    MANUAL = "manual"


class ImpactRule(Value, frozen=True):
    """A fixed impact, or one read from a label (`{label: severity, critical: 2}`)."""

    fixed: Impact | None = None
    label: str = ""
    by_value: dict[str, Impact] = field(default_factory=dict)
    default: Impact = Impact.MEDIUM

    def for_alert(self, alert: Alert) -> Impact:
        if self.fixed is not None:
            return self.fixed
        return self.by_value.get(alert.labels.get(self.label, ""), self.default)


class Link(Value, frozen=True):
    title: Template
    url: Template


class PlanMetric(Value, frozen=True):
    """A series the plan says to draw for its incidents: PromQL (label values filled
    in escaped for a double-quoted string literal) or one CloudWatch metric."""

    title: str
    promql: Template | None = None
    namespace: str = ""
    metric: str = ""
    dimensions: tuple[tuple[str, Template], ...] = ()
    stat: str = "Average"
    period: timedelta = timedelta(minutes=5)
    source: str | None = None  # which configured source asks; default: the first that can


def promql_string(value: str) -> str:
    """`value` made safe inside a double-quoted PromQL string: a label value of
    `a"} or vector(1) #` stays one value, never more query."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(c if c >= " " and c != "\x7f" else f"\\x{ord(c):02x}" for c in out)


class ResponsePlan(Value, frozen=True):
    name: str
    where: Where
    title: Template
    dedupe: Template
    impact: ImpactRule
    name_where: Where
    display_name: str = ""
    source: str | None = None
    matchers: tuple[Matcher, ...] = ()
    summary: Template | None = None
    engagements: tuple[str, ...] = ()
    runbook: str | None = None
    runbook_start: str = "manual"  # auto: started when the incident is declared
    links: tuple[Link, ...] = ()
    metrics: tuple[PlanMetric, ...] = ()
    declare_after: timedelta = timedelta(0)
    resolve: ResolvePolicy = ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE
    reopen_within: timedelta = timedelta(0)

    def matches(self, alert: Alert) -> bool:
        if self.source is not None and alert.source != self.source:
            return False
        return all(m.matches(alert.labels) for m in self.matchers)

    @property
    def alertnames(self) -> tuple[str, ...] | None:
        """The alertnames this plan can match, when its matchers pin them down."""
        for m in self.matchers:
            if m.name == "alertname" and m.op.value == "=":
                return (m.value,)
        return None


class Proposal(Value, frozen=True):
    """What a plan would make of an alert: for triage, `simulate` and the screen."""

    plan: ResponsePlan
    title: str
    summary: str
    impact: Impact
    dedupe_key: str


def propose(plan: ResponsePlan, alert: Alert) -> Proposal:
    return Proposal(
        plan=plan,
        title=plan.title.render(alert, plan.name),
        summary=plan.summary.render(alert, plan.name) if plan.summary else alert.summary,
        impact=plan.impact.for_alert(alert),
        dedupe_key=plan.dedupe.render(alert, plan.name),
    )


def render_links(plan: ResponsePlan, alert: Alert) -> list[dict[str, str]]:
    """The plan's links filled in from the alert that declared the incident.

    Kept with the incident when it is declared: rendered later, from whatever
    alert is left, they lost their values once the alert moved away.
    """
    return [
        {"title": link.title.render(alert, plan.name), "url": link.url.render(alert, plan.name)}
        for link in plan.links
    ]


class PlanIndex:
    """First matching plan, in plan order, without trying every plan on every alert.

    Plans that pin `alertname=` are looked up by the alert's name; the rest are
    tried in order. With 200 plans and 10,000 alerts this is the difference
    between two million matcher runs and a few per alert.
    """

    def __init__(self, plans: list[ResponsePlan]) -> None:
        self.plans = plans
        self._by_name: dict[str, list[int]] = {}
        self._general: list[int] = []
        for position, plan in enumerate(plans):
            names = plan.alertnames
            if names is None:
                self._general.append(position)
            else:
                for name in names:
                    self._by_name.setdefault(name, []).append(position)

    def match(self, alert: Alert) -> ResponsePlan | None:
        named = self._by_name.get(alert.labels.get("alertname", ""), [])
        for position in sorted(named + self._general) if named else self._general:
            plan = self.plans[position]
            if plan.matches(alert):
                return plan
        return None

    def by_name(self, name: str) -> ResponsePlan | None:
        return next((p for p in self.plans if p.name == name), None)
