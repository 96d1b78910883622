"""What a declaration by hand starts from: the worst chosen alert, the plan that
matches it, and the title and impact a responder is offered.

The Alerts tab decided this itself (and `warroom declare` a second way); the
rule lives here so the console, the CLI and, later, a runbook's "declare" agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from warroom.model import Alert, Impact, Severity
from warroom.model.value import Value
from warroom.plans.plan import PlanIndex, Proposal, ResponsePlan, propose, render_links

# with no plan to say otherwise, how bad an alert's severity makes the incident
IMPACT_OF_SEVERITY = {
    Severity.CRITICAL: Impact.HIGH,
    Severity.ERROR: Impact.MEDIUM,
    Severity.WARNING: Impact.LOW,
    Severity.INFO: Impact.NO_IMPACT,
    Severity.NONE: Impact.NO_IMPACT,
}


def worst_of(alerts: Sequence[Alert]) -> Alert:
    return min(alerts, key=lambda a: a.severity.rank)


class Draft(Value, frozen=True):
    """The dialog's starting values: a title, an impact, the matching plan's name."""

    title: str
    impact: Impact
    plan: str


def draft(alerts: Sequence[Alert], index: PlanIndex) -> Draft:
    """From the worst alert: its plan's title and impact if one matches; else its
    summary (one alert) or `Name (N alerts)`, and the impact its severity suggests."""
    worst = worst_of(alerts)
    matched = index.match(worst)
    if matched is not None:
        proposal = propose(matched, worst)
        return Draft(proposal.title, proposal.impact, matched.name)
    if len(alerts) == 1:
        title = worst.summary or worst.name
    else:
        name, _ = Counter(a.name for a in alerts).most_common(1)[0]
        title = f"{name} ({len(alerts)} alerts)"
    return Draft(title, IMPACT_OF_SEVERITY[worst.severity], "")


class Declaration(Value, frozen=True):
    """What declaring under `plan` (or ad hoc) records besides the title and impact."""

    summary: str
    plan: str | None
    dedupe_key: str | None
    links: list[dict[str, str]]


def declaration(plan: ResponsePlan | None, alerts: Sequence[Alert]) -> Declaration:
    """The summary, dedupe key and links a declaration records: the plan's, rendered
    from the worst alert, so alerts of that plan firing later join the incident."""
    worst = worst_of(alerts) if alerts else None
    proposal: Proposal | None = propose(plan, worst) if plan and worst else None
    if proposal is not None and plan is not None and worst is not None:
        return Declaration(
            proposal.summary, plan.name, proposal.dedupe_key, render_links(plan, worst)
        )
    return Declaration(worst.summary if worst else "", plan.name if plan else None, None, [])
