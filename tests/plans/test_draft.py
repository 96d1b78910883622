"""The declaration draft: one rule for the console's dialog and `warroom declare`."""

from __future__ import annotations

from pathlib import Path

from warroom.model import Impact, Severity
from warroom.plans import PlanIndex, load_plans
from warroom.plans.draft import declaration, draft

from .helpers import make_alert, plan_doc, write


def test_with_no_plan_the_worst_severity_suggests_the_impact_and_the_names_the_title() -> None:
    alerts = [
        make_alert("Slow", level=Severity.WARNING, instance="a"),
        make_alert("Slow", level=Severity.ERROR, instance="b"),
        make_alert("Down", level=Severity.WARNING, instance="c"),
    ]
    start = draft(alerts, PlanIndex([]))
    assert (start.title, start.impact, start.plan) == ("Slow (3 alerts)", Impact.MEDIUM, "")
    one = draft([alerts[2]], PlanIndex([]))
    assert (one.title, one.impact) == ("it is bad", Impact.LOW)


def test_a_matching_plan_proposes_and_its_declaration_records_key_and_links(
    tmp_path: Path,
) -> None:
    write(tmp_path, "disk.yaml", plan_doc("disk", "DiskFull"))
    (plan,) = load_plans(tmp_path).plans
    alerts = [make_alert("DiskFull", level=Severity.CRITICAL, instance="db-1")]
    start = draft(alerts, PlanIndex([plan]))
    assert (start.plan, start.title) == ("disk", "db-1 is unwell")
    chosen = declaration(plan, alerts)
    assert chosen.plan == "disk" and chosen.dedupe_key == "disk"
    adhoc = declaration(None, alerts)
    assert (adhoc.plan, adhoc.dedupe_key, adhoc.links) == (None, None, [])
    assert adhoc.summary == "it is bad"
