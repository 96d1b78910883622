"""Checks across documents: names that refer to other documents, and schedule gaps.

A schedule's members are contacts, an escalation plan's targets are contacts
and schedules, a response plan's engagements are any of the three. Each file
is decoded alone, so these are checked once every file is read, each at the
position of the name that refers (`file:line:col`). A schedule that leaves
hours with nobody on call in the coming 30 days is a warning naming the gap:
the silent drop responders complain of most, found before it happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from warroom.model.contact import Contact
from warroom.model.escalation import EscalationPlan
from warroom.model.oncall import Schedule, gaps
from warroom.model.value import Value
from warroom.yamlnodes import Where

GAP_HORIZON = timedelta(days=30)
REFERENCE_KINDS = ("contact", "schedule", "escalation-plan")
MAX_GAPS_SAID = 3


class Reference(Value, frozen=True):
    """`kind:name` written at `where`; `what` says who refers, for the message."""

    where: Where
    kind: str
    name: str
    what: str


class Engaged(Value, frozen=True):
    contacts: Mapping[str, Contact]
    schedules: Mapping[str, Schedule]
    escalation_plans: Mapping[str, EscalationPlan]

    def names(self, kind: str) -> Mapping[str, object]:
        return {
            "contact": self.contacts,
            "schedule": self.schedules,
            "escalation-plan": self.escalation_plans,
        }[kind]


def parse_engagement(text: str) -> tuple[str, str] | None:
    """`escalation-plan:payments` -> ("escalation-plan", "payments"); None for a bare word."""
    kind, sep, name = text.partition(":")
    if not sep or kind not in REFERENCE_KINDS or not name:
        return None
    return kind, name


def unknown_references(references: list[Reference], engaged: Engaged) -> list[str]:
    errors = []
    for ref in references:
        known = engaged.names(ref.kind)
        if ref.name not in known:
            listed = ", ".join(sorted(known)) or "none declared"
            errors.append(
                f"{ref.where}: {ref.what}: no {ref.kind} named {ref.name!r} (known: {listed})"
            )
    return errors


def coverage_gaps(
    schedules: Mapping[str, Schedule], where: Mapping[str, Where], now: datetime
) -> list[str]:
    warnings = []
    for name, schedule in schedules.items():
        found = gaps(schedule, now, now + GAP_HORIZON)
        if not found:
            continue
        said = "; ".join(f"{_at(a)} to {_at(b)}" for a, b in found[:MAX_GAPS_SAID])
        more = f" and {len(found) - MAX_GAPS_SAID} more" if len(found) > MAX_GAPS_SAID else ""
        warnings.append(
            f"{where[name]}: schedule {name!r} has nobody on call in the next 30 days"
            f" from {said}{more} (UTC): a page then reaches nobody"
        )
    return warnings


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
