"""Which plan takes an alert (first match in plan order), what it proposes, and overlaps."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from warroom.model import Alert, Impact, Severity
from warroom.model.value import replace
from warroom.plans import PlanIndex, ResponsePlan, load_plans, propose
from warroom.plans.loader import overlaps
from warroom.plans.plan import ImpactRule

from .helpers import SHIPPED_PLANS, make_alert, split_located, write


def plan(name: str, alerts: str = "", source: str = "", extra: str = "") -> str:
    match = ""
    if source:
        match += f"  source: {source}\n"
    if alerts:
        match += f"  alerts: '{alerts}'\n"
    return (
        f"kind: response-plan\nname: {name}\nmatch:\n{match}"
        f"incident:\n  title: '{name}: {{name}}'\n{extra}"
    )


def load(tmp_path: Path, *docs: str, warnings: bool = False) -> list[ResponsePlan]:
    write(tmp_path, "plans.yaml", "---\n".join(docs))
    planset = load_plans(tmp_path)
    assert planset.errors == []
    if not warnings:
        assert planset.warnings == []
    return planset.plans


def matched(index: PlanIndex, alert: Alert) -> str | None:
    found = index.match(alert)
    return found.name if found else None


def linear(plans: list[ResponsePlan], alert: Alert) -> str | None:
    return next((p.name for p in plans if p.matches(alert)), None)


# -- first match wins ----------------------------------------------------------------------


def test_first_match_wins_among_pinned_plans(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("disk-critical", 'alertname="DiskFull", severity="critical"'),
        plan("disk-any", 'alertname="DiskFull"'),
        warnings=True,  # they overlap, and that is the point
    )
    index = PlanIndex(plans)
    assert matched(index, make_alert("DiskFull", severity="critical")) == "disk-critical"
    assert matched(index, make_alert("DiskFull", severity="warning")) == "disk-any"
    assert matched(index, make_alert("DiskFull")) == "disk-any"
    # the other way round, the general one shadows the specific one
    reversed_index = PlanIndex(list(reversed(plans)))
    assert matched(reversed_index, make_alert("DiskFull", severity="critical")) == "disk-any"


def test_general_plan_before_pinned_plans_wins(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("all-critical", 'severity="critical"'),
        plan("disk", 'alertname="DiskFull"'),
        plan("cpu", 'alertname="CpuHigh"'),
    )
    index = PlanIndex(plans)
    assert matched(index, make_alert("DiskFull", severity="critical")) == "all-critical"
    assert matched(index, make_alert("DiskFull", severity="warning")) == "disk"
    assert matched(index, make_alert("CpuHigh", severity="critical")) == "all-critical"
    assert matched(index, make_alert("CpuHigh")) == "cpu"
    assert matched(index, make_alert("Other", severity="critical")) == "all-critical"
    assert matched(index, make_alert("Other")) is None


def test_general_plan_after_pinned_plans_is_the_fallback(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("disk", 'alertname="DiskFull"'),
        plan("all-critical", 'severity="critical"'),
        plan("cpu", 'alertname="CpuHigh"'),
    )
    index = PlanIndex(plans)
    assert matched(index, make_alert("DiskFull", severity="critical")) == "disk"
    assert matched(index, make_alert("CpuHigh", severity="critical")) == "all-critical"
    assert matched(index, make_alert("CpuHigh")) == "cpu"
    assert matched(index, make_alert("Other", severity="critical")) == "all-critical"
    assert matched(index, make_alert("Other", severity="info")) is None


def test_general_plans_interleaved_keep_plan_order(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("g1", 'team="a"'),
        plan("p1", 'alertname="X", team="b"'),
        plan("g2", 'team=~"b|c"'),
        plan("p2", 'alertname="X"'),
        plan("g3", 'env="prod"'),
        warnings=True,
    )
    index = PlanIndex(plans)
    assert matched(index, make_alert("X", team="a")) == "g1"
    assert matched(index, make_alert("X", team="b")) == "p1"
    assert matched(index, make_alert("Y", team="b")) == "g2"
    assert matched(index, make_alert("X", team="c")) == "g2"
    assert matched(index, make_alert("X", team="d", env="prod")) == "p2"
    assert matched(index, make_alert("Y", team="d", env="prod")) == "g3"


def test_alert_without_alertname_label(tmp_path: Path) -> None:
    plans = load(tmp_path, plan("named", 'alertname="X"'), plan("by-job", 'job="node"'))
    index = PlanIndex(plans)
    nameless = make_alert("X", job="node")
    nameless = replace(nameless, labels={"job": "node"})
    assert matched(index, nameless) == "by-job"


def test_index_agrees_with_trying_every_plan_in_order(tmp_path: Path) -> None:
    """The alertname index is an optimisation only: same answer as a linear scan."""
    plans = load(
        tmp_path,
        plan("a", 'alertname="A"'),
        plan("gen-sev", 'severity=~"critical|page"'),
        plan("b-prod", 'alertname="B", env="prod"'),
        plan("a-again", 'alertname="A", env!="dev"'),
        plan("src", source="cw"),
        plan("not-a", 'alertname!="A", env="dev"'),
        plan("re-name", 'alertname=~"B|C"'),
        plan("b", 'alertname="B"'),
        plan("empty-name", 'alertname=""'),
        warnings=True,
    )
    index = PlanIndex(plans)
    names = ["A", "B", "C", "D", ""]
    severities = ["critical", "page", "warning", None]
    envs = ["prod", "dev", None]
    sources = ["prom", "cw"]
    tried = 0
    for name, severity, env, source in itertools.product(names, severities, envs, sources):
        labels = {"alertname": name} if name else {}
        if severity:
            labels["severity"] = severity
        if env:
            labels["env"] = env
        alert = replace(make_alert(), labels=labels, source=source)
        assert matched(index, alert) == linear(plans, alert), labels
        tried += 1
    assert tried == 5 * 4 * 3 * 2


def test_by_name(tmp_path: Path) -> None:
    plans = load(tmp_path, plan("one", 'alertname="A"'), plan("two", 'alertname="B"'))
    index = PlanIndex(plans)
    assert index.by_name("two") is plans[1]
    assert index.by_name("three") is None
    assert PlanIndex([]).match(make_alert()) is None


# -- source and matchers ------------------------------------------------------------------------


def test_source_restriction(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("prom-disk", 'alertname="DiskFull"', source="prom"),
        plan("any-cw", source="cw"),
        plan("disk", 'alertname="DiskFull"'),
        warnings=True,
    )
    index = PlanIndex(plans)
    assert matched(index, make_alert("DiskFull", source="prom")) == "prom-disk"
    assert matched(index, make_alert("DiskFull", source="cw")) == "any-cw"
    assert matched(index, make_alert("Anything", source="cw")) == "any-cw"
    assert matched(index, make_alert("DiskFull", source="other")) == "disk"
    assert matched(index, make_alert("Anything", source="other")) is None


@pytest.mark.parametrize(
    ("matcher", "alertname", "matches"),
    [
        ('alertname=~"Disk"', "Disk", True),
        ('alertname=~"Disk"', "DiskFull", False),  # anchored at the end
        ('alertname=~"Full"', "DiskFull", False),  # anchored at the start
        ('alertname=~"Disk.*"', "DiskFull", True),
        ('alertname=~".*Full"', "DiskFull", True),
        ('alertname=~"DiskFull|Cpu"', "DiskFull", True),
        ('alertname=~"DiskFull|Cpu"', "CpuHigh", False),  # the whole alternation is anchored
        ('alertname=~"DiskFull|Cpu"', "XDiskFull", False),
        ('alertname!~"Disk"', "DiskFull", True),
        ('alertname!~"Disk.*"', "DiskFull", False),
        ('alertname="Disk"', "DiskFull", False),
        ('alertname!="Disk"', "DiskFull", True),
        ('alertname=~"Disk\\\\.Full"', "Disk.Full", True),
        ('alertname=~"Disk\\\\.Full"', "DiskXFull", False),
    ],
)
def test_regex_anchoring(tmp_path: Path, matcher: str, alertname: str, matches: bool) -> None:
    (only,) = load(tmp_path, plan("p", matcher))
    assert only.matches(make_alert(alertname)) is matches
    assert (matched(PlanIndex([only]), make_alert(alertname)) == "p") is matches


@pytest.mark.parametrize(
    ("matcher", "matches_without_label"),
    [
        ('severity=""', True),
        ('severity!="critical"', True),
        ('severity=~"critical|"', True),
        ('severity="critical"', False),
        ('severity=~".+"', False),
        ('severity!~""', False),
    ],
)
def test_missing_label_is_the_empty_string(
    tmp_path: Path, matcher: str, matches_without_label: bool
) -> None:
    (only,) = load(tmp_path, plan("p", f'alertname="A", {matcher}'))
    assert only.matches(make_alert("A")) is matches_without_label


def test_case_insensitive_flag_as_in_alertmanager(tmp_path: Path) -> None:
    (only,) = load(tmp_path, plan("p", 'alertname=~"(?i)disk.*"'))
    assert only.matches(make_alert("DiskFull"))
    assert only.matches(make_alert("diskfull"))
    assert not only.matches(make_alert("NotDisk"))


# -- impact and proposals -------------------------------------------------------------------------


def test_impact_from_a_label_with_default(tmp_path: Path) -> None:
    extra = "  impact: {label: severity, critical: 1, warning: 4, default: 2}\n"
    (only,) = load(tmp_path, plan("p", 'alertname="A"') + extra)
    rule = only.impact
    assert rule.for_alert(make_alert("A", severity="critical")) is Impact.CRITICAL
    assert rule.for_alert(make_alert("A", severity="warning")) is Impact.LOW
    assert rule.for_alert(make_alert("A", severity="info")) is Impact.HIGH  # default
    assert rule.for_alert(make_alert("A")) is Impact.HIGH  # label missing: default
    # the label is read, not the alert's normalised severity
    assert (
        rule.for_alert(make_alert("A", level=Severity.CRITICAL, severity="warning")) is Impact.LOW
    )


def test_impact_map_keys_are_read_as_written(tmp_path: Path) -> None:
    extra = "  impact: {label: priority, 1: 1, P2: 2, yes: 5}\n"
    (only,) = load(tmp_path, plan("p", 'alertname="A"') + extra)
    assert only.impact.by_value == {
        "1": Impact.CRITICAL,
        "P2": Impact.HIGH,
        "yes": Impact.NO_IMPACT,
    }
    assert only.impact.for_alert(make_alert("A", priority="1")) is Impact.CRITICAL
    assert only.impact.for_alert(make_alert("A", priority="yes")) is Impact.NO_IMPACT
    assert only.impact.for_alert(make_alert("A", priority="P9")) is Impact.MEDIUM


def test_impact_rule_defaults() -> None:
    assert ImpactRule().for_alert(make_alert()) is Impact.MEDIUM
    assert ImpactRule(fixed=Impact.LOW).for_alert(make_alert(severity="critical")) is Impact.LOW
    rule = ImpactRule(label="severity", by_value={"critical": Impact.HIGH})
    assert rule.for_alert(make_alert(severity="critical")) is Impact.HIGH
    assert rule.for_alert(make_alert()) is Impact.MEDIUM


def test_propose(tmp_path: Path) -> None:
    extra = (
        '  summary: "{annotations.summary} on {labels.instance}"\n'
        "  impact: {label: severity, critical: 2, warning: 4}\n"
        '  dedupe: "disk/{labels.cluster}/{plan}"\n'
    )
    (only,) = load(tmp_path, plan("disk", 'alertname="DiskFull"') + extra)
    alert = make_alert("DiskFull", severity="critical", cluster="eu-1", instance="db-3")
    proposal = propose(only, alert)
    assert proposal.plan is only
    assert proposal.title == "disk: DiskFull"
    assert proposal.summary == "it is bad on db-3"
    assert proposal.impact is Impact.HIGH
    assert proposal.dedupe_key == "disk/eu-1/disk"


def test_propose_without_summary_uses_the_alerts_own(tmp_path: Path) -> None:
    (only,) = load(tmp_path, plan("p", 'alertname="A"'))
    proposal = propose(only, make_alert("A", annotations={"description": "from the source"}))
    assert proposal.summary == "from the source"
    assert proposal.dedupe_key == "p"  # default dedupe is the plan name
    assert proposal.impact is Impact.MEDIUM


def test_propose_with_missing_labels_shows_placeholders(tmp_path: Path) -> None:
    extra = '  dedupe: "k/{labels.cluster}"\n  summary: "{annotations.nope}"\n'
    (only,) = load(tmp_path, plan("p", 'alertname="A"') + extra)
    proposal = propose(only, make_alert("A"))
    assert proposal.dedupe_key == "k/‹labels.cluster?›"
    assert proposal.summary == "‹annotations.nope?›"


@pytest.mark.parametrize(
    ("labels", "source", "plan_name", "impact"),
    [
        ({"alertname": "DiskFull", "severity": "critical"}, "prom", "disk-full", Impact.MEDIUM),
        ({"alertname": "DiskAlmostFull", "severity": "warning"}, "prom", "disk-full", Impact.LOW),
        ({"alertname": "DiskFull", "severity": "info"}, "prom", None, None),
        ({"alertname": "TargetDown"}, "prom", "target-down", Impact.LOW),
        ({"alertname": "HighErrorRate", "severity": "critical"}, "prom", "high-error-rate", 2),
        ({"alertname": "ErrorBudgetBurn", "severity": "page"}, "prom", None, None),
        ({"alertname": "QueueBacklogGrowing"}, "prom", "queue-backlog", Impact.MEDIUM),
        ({"alertname": "LatencySLOBurn"}, "prom", "latency-slo", Impact.MEDIUM),
        ({"alertname": "Billing", "alarm_type": "metric"}, "aws", "cloudwatch-alarm", 3),
        ({"alertname": "Billing", "alarm_type": "composite"}, "aws", "cloudwatch-alarm", 3),
        ({"alertname": "Billing", "alarm_type": "other"}, "aws", None, None),
        ({"alertname": "Unknown"}, "prom", None, None),
    ],
)
def test_shipped_plans_match(
    labels: dict[str, str], source: str, plan_name: str | None, impact: int | None
) -> None:
    plans = load_plans(SHIPPED_PLANS).plans
    alert = replace(make_alert(), labels=labels, source=source)
    found = PlanIndex(plans).match(alert)
    assert (found.name if found else None) == plan_name == linear(plans, alert)
    if found is not None:
        assert propose(found, alert).impact == impact


# -- overlaps ------------------------------------------------------------------------------------


def test_two_plans_pinning_the_same_alertname_warn_naming_both(tmp_path: Path) -> None:
    text = "---\n".join(
        [
            plan("first", 'alertname="DiskFull"'),
            plan("second", 'alertname="DiskFull", severity="critical"'),
        ]
    )
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert planset.errors == []
    assert planset.rejected == []
    assert [p.name for p in planset.plans] == ["first", "second"]
    (warning,) = planset.warnings
    where_path, line, column, message = split_located(warning)
    assert (where_path, line, column) == (str(path), plan("first", "x").count("\n") + 2, 1)
    assert (
        message
        == f"plan 'second' overlaps 'first' ({path}:1:1); 'first' wins for alerts both match"
    )


def test_overlap_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", plan("a", 'alertname=~"DiskFull|DiskAlmostFull"'))
    b = write(tmp_path, "b.yaml", plan("b", 'alertname="DiskAlmostFull"'))
    planset = load_plans(tmp_path)
    assert planset.warnings == [
        f"{b}:1:1: plan 'b' overlaps 'a' ({a}:1:1); 'a' wins for alerts both match"
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param('alertname="A"', 'alertname="A"', id="same-name"),
        pytest.param('alertname="A"', 'alertname=~"A|B"', id="eq-in-alternation"),
        pytest.param('alertname=~"A|B"', 'alertname=~"B|C"', id="alternations-share-B"),
        pytest.param('alertname="A", env="prod"', 'alertname="A"', id="narrower-first"),
        pytest.param('alertname="A", env=~"prod|stage"', 'alertname="A", env="stage"', id="env"),
        pytest.param('alertname="A", env=~"prod.*"', 'alertname="A", env="prod-eu"', id="regex"),
        pytest.param('alertname="A", env!="dev"', 'alertname="A", env="prod"', id="not-equal"),
        pytest.param('job="node"', 'job="node", env="prod"', id="both-unpinned"),
    ],
)
def test_overlapping_pairs_warn(tmp_path: Path, first: str, second: str) -> None:
    plans = load(tmp_path, plan("one", first), plan("two", second), warnings=True)
    (warning,) = overlaps(plans)
    assert "plan 'two' overlaps 'one'" in warning


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param('alertname="A"', 'alertname="B"', id="different-names"),
        pytest.param('alertname=~"A|B"', 'alertname=~"C|D"', id="disjoint-alternations"),
        pytest.param(
            'alertname=~"DiskFull|DiskAlmostFull"',
            'alertname=~"HighErrorRate|ErrorBudgetBurn"',
            id="disjoint-shipped-style",
        ),
        pytest.param('alertname="A"', 'alertname=~"B|C"', id="eq-outside-alternation"),
        pytest.param('alertname="A", env="prod"', 'alertname="A", env="dev"', id="env-differs"),
        pytest.param('alertname="A", env="prod"', 'alertname="A", env!="prod"', id="env-refused"),
        pytest.param('alertname="A", env="prod"', 'alertname="A", env=~"stag.*"', id="env-regex"),
        pytest.param('alertname="A"', 'job="node"', id="pinned-vs-unpinned"),
        pytest.param('severity="critical"', 'alertname="A"', id="unpinned-vs-pinned"),
        pytest.param(
            'alarm_type=~"metric|composite"', 'alertname="TargetDown"', id="shipped-cloudwatch"
        ),
    ],
)
def test_disjoint_or_unrelated_pairs_do_not_warn(tmp_path: Path, first: str, second: str) -> None:
    plans = load(tmp_path, plan("one", first), plan("two", second))
    assert overlaps(plans) == []


def test_plans_for_different_sources_do_not_overlap(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("one", 'alertname="A"', source="prom"),
        plan("two", 'alertname="A"', source="cw"),
    )
    assert overlaps(plans) == []
    # one without a source can meet either
    plans = load(
        tmp_path,
        plan("one", 'alertname="A"', source="prom"),
        plan("two", 'alertname="A"'),
        warnings=True,
    )
    assert len(overlaps(plans)) == 1


def test_overlap_warnings_for_three_plans_name_each_pair(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("one", 'alertname="A"'),
        plan("two", 'alertname="A"'),
        plan("three", 'alertname=~"A|B"'),
        warnings=True,
    )
    pairs = [w.split(": ", 1)[1].split(" (")[0] for w in overlaps(plans)]
    assert pairs == [
        "plan 'two' overlaps 'one'",
        "plan 'three' overlaps 'one'",
        "plan 'three' overlaps 'two'",
    ]


def test_regex_dot_is_not_a_literal_dot(tmp_path: Path) -> None:
    plans = load(
        tmp_path,
        plan("dotted", 'alertname=~"Disk.Full"'),
        plan("plain", 'alertname="DiskXFull"'),
        warnings=True,
    )
    alert = make_alert("DiskXFull")
    assert all(p.matches(alert) for p in plans)  # one alert really matches both
    assert len(overlaps(plans)) == 1
