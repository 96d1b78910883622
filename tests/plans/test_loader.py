"""Loading `plans/`: every malformed plan is `FILE:LINE:COL: message`, the rest still load."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from warroom.model import Impact
from warroom.plans import PlanSet, ResolvePolicy, load_plans

from .helpers import SHIPPED_PLANS, join_docs, locate, make_alert, plan_doc, split_located, write

BEFORE = plan_doc("before", "Before")
AFTER = plan_doc("after", "After")
DOC = object()  # "the start of the malformed document": its first key, column 1


def only_error(planset: PlanSet, path: Path) -> tuple[int, int, str]:
    assert len(planset.errors) == 1, planset.errors
    where_path, line, column, message = split_located(planset.errors[0])
    assert where_path == str(path)
    return line, column, message


def names(planset: PlanSet) -> list[str]:
    return [p.name for p in planset.plans]


# -- the shipped plans ------------------------------------------------------------------------


def test_shipped_plans_load_without_errors_or_warnings() -> None:
    planset = load_plans(SHIPPED_PLANS)
    assert planset.errors == []
    assert planset.warnings == []
    assert planset.rejected == []
    assert [p.name for p in planset.files] == [
        "availability.yaml",
        "capacity.yaml",
        "cloudwatch.yaml",
        "engagement.yaml",
        "latency.yaml",
        "runbooks.yaml",
    ]
    # every plan's runbook is declared (an undeclared one is an error)
    assert {p.runbook for p in planset.plans} - {None} <= set(planset.runbooks)
    assert names(planset) == [
        "target-down",
        "high-error-rate",
        "disk-full",
        "queue-backlog",
        "cloudwatch-alarm",
        "latency-slo",
    ]


def test_shipped_plans_load_with_any_sources() -> None:
    """No shipped plan pins match.source, so they load against any config."""
    planset = load_plans(SHIPPED_PLANS, {"demo"})
    assert (planset.errors, planset.warnings) == ([], [])
    assert len(planset.plans) == 6


def test_shipped_plan_fields_are_parsed() -> None:
    plans = {p.name: p for p in load_plans(SHIPPED_PLANS).plans}
    target = plans["target-down"]
    assert str(target.where) == f"{SHIPPED_PLANS / 'availability.yaml'}:4:1"
    assert target.display_name == "Scrape target down"
    assert [str(m) for m in target.matchers] == ['alertname="TargetDown"']
    assert target.impact.fixed is Impact.LOW
    assert target.declare_after == timedelta(minutes=2)
    assert target.reopen_within == timedelta(minutes=30)
    assert target.resolve is ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE
    assert target.engagements == ("escalation-plan:platform-critical",)
    assert target.runbook == "target-down"
    assert [link.title.text for link in target.links] == ["Targets"]

    errors = plans["high-error-rate"]
    assert str(errors.where) == f"{SHIPPED_PLANS / 'availability.yaml'}:23:1"
    assert errors.resolve is ResolvePolicy.MANUAL
    assert errors.impact.label == "severity"
    assert errors.impact.by_value == {"critical": Impact.HIGH, "warning": Impact.MEDIUM}
    assert errors.declare_after == timedelta(0)

    disk = plans["disk-full"]
    assert disk.impact.by_value == {"critical": Impact.MEDIUM, "warning": Impact.LOW}
    assert disk.impact.default is Impact.MEDIUM
    assert disk.reopen_within == timedelta(hours=1)
    alert = make_alert("DiskFull", cluster="eu-1", instance="db-3:9100")
    assert disk.title.render(alert, disk.name) == "Disk filling on eu-1"
    assert disk.dedupe.render(alert, disk.name) == "disk-full/eu-1"
    assert disk.links[0].url.render(alert, disk.name) == (
        "https://grafana.example/d/disk?var-host=db-3:9100"
    )
    assert plans["latency-slo"].declare_after == timedelta(minutes=5)
    assert plans["queue-backlog"].links == ()


# -- malformed documents: exact position, neighbours still load ------------------------------

# (malformed document, where the error must point, message fragment)
# The position is a needle in the file text (plus a shift); DOC is the document's start.
CASES = [
    # kind and structure
    pytest.param(
        "name: nokind\nmatch:\n  alerts: 'a=\"b\"'\nincident: {title: t}\n",
        DOC,
        0,
        "document needs a 'kind'",
        id="missing-kind",
    ),
    pytest.param(
        "kind: response-plans\nname: k\n",
        "response-plans",
        0,
        "unknown kind 'response-plans' (known: response-plan, runbook,",
        id="unknown-kind",
    ),
    pytest.param(
        "kind: [response-plan]\nname: k\n",
        "[response-plan]",
        0,
        "expected text, got a list",
        id="kind-not-text",
    ),
    pytest.param(
        plan_doc("typo", extra="colour: red\n"),
        "colour",
        0,
        "unknown key 'colour' in response-plan (known: kind, name,",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "- kind: response-plan\n  name: listed\n",
        DOC,
        0,
        "expected a mapping, got a list",
        id="document-is-a-list",
    ),
    pytest.param("just some text\n", DOC, 0, "expected a mapping", id="document-is-text"),
    pytest.param(
        plan_doc("twice").replace("name: twice\n", "name: twice\nname: again\n"),
        "name: again",
        0,
        "duplicate key 'name'",
        id="duplicate-key",
    ),
    # name
    pytest.param(
        "kind: response-plan\nmatch:\n  alerts: 'a=\"b\"'\nincident: {title: t}\n",
        DOC,
        0,
        "a response plan needs a 'name'",
        id="missing-name",
    ),
    pytest.param(
        plan_doc("Disk_Full", "Upper"),
        "Disk_Full",
        0,
        "plan name 'Disk_Full': use lower-case letters, digits, '-', '_' or '.'",
        id="name-upper-case",
    ),
    pytest.param(
        plan_doc("disk full", "Spaced"),
        "disk full",
        0,
        "plan name 'disk full'",
        id="name-with-space",
    ),
    pytest.param(
        plan_doc("x").replace("name: x\n", "name:\n"),
        "name:\n",
        5,  # a null value is placed right after the colon
        "expected text, got nothing (null)",
        id="name-null",
    ),
    pytest.param(
        plan_doc("x").replace("name: x\n", "name: [a, b]\n"),
        "[a, b]",
        0,
        "expected text, got a list",
        id="name-list",
    ),
    # incident and match presence
    pytest.param(
        "kind: response-plan\nname: noincident\nmatch:\n  alerts: 'a=\"b\"'\n",
        DOC,
        0,
        "a response plan needs 'incident'",
        id="missing-incident",
    ),
    pytest.param(
        "kind: response-plan\nname: nomatch\nincident:\n  title: t\n",
        DOC,
        0,
        "a plan needs 'match' (a source, alert matchers or both)",
        id="missing-match",
    ),
    pytest.param(
        "kind: response-plan\nname: emptymatch\nmatch:\n  alerts: ''\nincident: {title: t}\n",
        DOC,
        0,
        "a plan needs 'match'",
        id="empty-matchers",
    ),
    pytest.param(
        'kind: response-plan\nname: m\nmatch: alertname="A"\nincident: {title: t}\n',
        'alertname="A"',
        0,
        "expected a mapping",
        id="match-is-text",
    ),
    pytest.param(
        "kind: response-plan\nname: m\nmatch:\n  alert: 'a=\"b\"'\nincident: {title: t}\n",
        "alert:",
        0,
        "unknown key 'alert' in match (known: source, alerts)",
        id="match-unknown-key",
    ),
    pytest.param(
        'kind: response-plan\nname: m\nmatch:\n  alerts: {alertname="A"}\nincident: {title: t}\n',
        '{alertname="A"}',
        0,
        "expected text, got a mapping",
        id="alerts-braces-unquoted-is-a-yaml-mapping",
    ),
    pytest.param(
        "kind: response-plan\nname: i\nmatch:\n  alerts: 'a=\"b\"'\nincident:\n  impact: 2\n",
        "impact: 2",
        0,
        "incident needs a 'title'",
        id="missing-title",
    ),
    pytest.param(
        "kind: response-plan\nname: i\nmatch:\n  alerts: 'a=\"b\"'\nincident: Disk is full\n",
        "Disk is full",
        0,
        "expected a mapping",
        id="incident-is-text",
    ),
    pytest.param(
        plan_doc("i", extra="  severity: high\n"),
        "severity: high",
        0,
        "unknown key 'severity' in incident (known: title, summary, impact, dedupe)",
        id="incident-unknown-key",
    ),
    pytest.param(
        plan_doc("i").replace('  title: "{labels.instance} is unwell"\n', "  title: [a]\n"),
        "[a]",
        0,
        "expected text, got a list",
        id="title-list",
    ),
    # matchers: the column is the offending character inside the (quoted) string
    pytest.param(
        "kind: response-plan\nname: m\nmatch:\n"
        '  alerts: \'alertname="A", severity~"critical"\'\nincident: {title: t}\n',
        '~"critical"',
        0,
        "expected one of = != =~ !~ after 'severity'",
        id="matcher-bad-operator-single-quoted",
    ),
    pytest.param(
        'kind: response-plan\nname: m\nmatch:\n  alerts: "alertname=A, sev~x"\n'
        "incident: {title: t}\n",
        "~x",
        0,
        "expected one of = != =~ !~ after 'sev'",
        id="matcher-bad-operator-double-quoted",
    ),
    pytest.param(
        'kind: response-plan\nname: m\nmatch:\n  alerts: alertname="A" severity="x"\n'
        "incident: {title: t}\n",
        'severity="x"',
        0,
        "expected ',' between matchers",
        id="matcher-missing-comma-plain-scalar",
    ),
    pytest.param(
        "kind: response-plan\nname: m\nmatch:\n  alerts: '=\"A\"'\nincident: {title: t}\n",
        '="A"',
        0,
        "expected a label name",
        id="matcher-no-label-name",
    ),
    pytest.param(
        "kind: response-plan\nname: m\nmatch:\n  alerts: 'alertname=\"A'\nincident: {title: t}\n",
        "\"A'",
        0,
        "unterminated quoted value",
        id="matcher-unterminated-value",
    ),
    pytest.param(
        "kind: response-plan\nname: m\nmatch:\n  alerts: '{alertname=\"A\"'\n"
        "incident: {title: t}\n",
        "'{alertname=\"A\"'",
        len('\'{alertname="A"'),  # the end of the text: the closing quote
        "missing closing '}'",
        id="matcher-missing-closing-brace",
    ),
    # templates: the column is the field (after '{') or the stray brace
    pytest.param(
        plan_doc("t").replace("{labels.instance} is unwell", "{labels.instance} {lables.job}"),
        "lables.job",
        0,
        "unknown template field {lables.job} (known: labels.NAME, annotations.NAME,",
        id="title-unknown-field-double-quoted",
    ),
    pytest.param(
        plan_doc("t", extra="  summary: Disk {bogus} full\n"),
        "bogus",
        0,
        "unknown template field {bogus}",
        id="summary-unknown-field-plain",
    ),
    pytest.param(
        plan_doc("t", extra="  dedupe: 'x/{nme}'\n"),
        "nme}",
        0,
        "unknown template field {nme}",
        id="dedupe-unknown-field-single-quoted",
    ),
    pytest.param(
        plan_doc("t").replace("{labels.instance} is unwell", "oops {labels.x"),
        "{labels.x",
        0,
        "'{' without a closing '}'",
        id="title-unclosed-brace",
    ),
    pytest.param(
        plan_doc("t").replace("{labels.instance} is unwell", "{name.upper()}"),
        "name.upper()",
        0,
        "unknown template field {name.upper()}",
        id="title-method-call-is-not-code",
    ),
    pytest.param(
        plan_doc("t", extra='links:\n  - title: Dash\n    url: "https://x/}"\n'),
        '}"',
        0,
        "single '}' (write '}}' for a literal brace)",
        id="link-url-single-close-brace",
    ),
    pytest.param(
        plan_doc("t", extra='links:\n  - title: "{x}"\n    url: https://x/\n'),
        "x}",
        0,
        "unknown template field {x}",
        id="link-title-unknown-field",
    ),
    # impact
    pytest.param(
        plan_doc("p", extra="  impact: 0\n"),
        "impact: 0",
        8,
        "impact must be 1 to 5 (1 critical … 5 no impact), got int '0'",
        id="impact-zero",
    ),
    pytest.param(
        plan_doc("p", extra="  impact: 6\n"), "impact: 6", 8, "got int '6'", id="impact-six"
    ),
    pytest.param(
        plan_doc("p", extra='  impact: "3"\n'), '"3"', 0, "got str '3'", id="impact-quoted"
    ),
    pytest.param(
        plan_doc("p", extra="  impact: true\n"), "true", 0, "got bool 'true'", id="impact-bool"
    ),
    pytest.param(
        plan_doc("p", extra="  impact: 2.5\n"), "2.5", 0, "got float '2.5'", id="impact-float"
    ),
    pytest.param(
        plan_doc("p", extra="  impact: high\n"), "high", 0, "got str 'high'", id="impact-word"
    ),
    pytest.param(
        plan_doc("p", extra="  impact: {critical: 2}\n"),
        "{critical: 2}",
        0,
        "an impact map needs 'label' (e.g. label: severity)",
        id="impact-map-without-label",
    ),
    pytest.param(
        plan_doc("p", extra="  impact: {label: severity, critical: 9}\n"),
        "9}",
        0,
        "impact must be 1 to 5",
        id="impact-map-value-out-of-range",
    ),
    pytest.param(
        plan_doc("p", extra="  impact: {label: severity, critical: 2, default: 0}\n"),
        "0}",
        0,
        "impact must be 1 to 5",
        id="impact-map-default-out-of-range",
    ),
    pytest.param(
        plan_doc("p", extra="  impact: {label: severity, default: 3}\n"),
        "{label: severity, default",
        0,
        "map values of 'severity' to impacts 1-5",
        id="impact-map-without-values",
    ),
    pytest.param(
        plan_doc("p", extra="  impact: {label: [severity], critical: 2}\n"),
        "[severity]",
        0,
        "expected text, got a list",
        id="impact-map-label-not-text",
    ),
    pytest.param(
        plan_doc("p", extra="  impact: [1]\n"),
        "[1]",
        0,
        "list",
        id="impact-list",
    ),
    # durations and resolve
    pytest.param(
        plan_doc("d", extra="declare: {after: 2 minutes}\n"),
        "2 minutes",
        0,
        "not a duration: '2 minutes' (use e.g. 15s, 1m30s, 500ms, 2h)",
        id="declare-after-words",
    ),
    pytest.param(
        plan_doc("d", extra="reopen_within: 5\n"),
        "5\n",
        0,
        "not a duration: '5'",
        id="reopen-without-unit",
    ),
    pytest.param(
        plan_doc("d", extra="reopen_within: -1m\n"),
        "-1m",
        0,
        "not a duration: '-1m'",
        id="reopen-negative",
    ),
    pytest.param(
        plan_doc("d", extra="declare:\n  after: 2m\n  for: 1m\n"),
        "for: 1m",
        0,
        "unknown key 'for' in declare (known: after)",
        id="declare-unknown-key",
    ),
    pytest.param(
        plan_doc("d", extra="declare: 2m\n"),
        "2m",
        0,
        "expected a mapping",
        id="declare-not-a-map",
    ),
    pytest.param(
        plan_doc("r", extra="resolve: auto\n"),
        "auto",
        0,
        "resolve 'auto': one of when-all-alerts-resolve, manual",
        id="resolve-unknown",
    ),
    pytest.param(
        plan_doc("r", extra="resolve: [manual]\n"),
        "[manual]",
        0,
        "expected text, got a list",
        id="resolve-list",
    ),
    # engagements, runbook, links, display_name
    pytest.param(
        plan_doc("e", extra="engagements: platform\n"),
        "platform",
        0,
        "expected a list, got str 'platform'",
        id="engagements-not-a-list",
    ),
    pytest.param(
        plan_doc("e", extra="engagements: [{team: x}]\n"),
        "{team: x}",
        0,
        "expected text, got a mapping",
        id="engagement-not-text",
    ),
    pytest.param(
        plan_doc("e", extra="runbook: [x]\n"),
        "[x]",
        0,
        "expected text, got a list",
        id="runbook-not-text",
    ),
    pytest.param(
        plan_doc("e", extra="runbook: {name: x, start: sometimes}\n"),
        "sometimes",
        0,
        "start 'sometimes': one of manual, auto",
        id="runbook-start-unknown",
    ),
    pytest.param(
        plan_doc("e", extra="display_name: [x]\n"),
        "[x]",
        0,
        "expected text, got a list",
        id="display-name-not-text",
    ),
    pytest.param(
        plan_doc("l", extra="links: {title: x, url: y}\n"),
        "{title: x",
        0,
        "expected a list, got a mapping",
        id="links-not-a-list",
    ),
    pytest.param(
        plan_doc("l", extra="links:\n  - title: Dash\n"),
        "title: Dash",
        0,
        "a link needs 'url'",
        id="link-without-url",
    ),
    pytest.param(
        plan_doc("l", extra="links:\n  - title: Dash\n    href: https://x/\n"),
        "href",
        0,
        "unknown key 'href' in link (known: title, url)",
        id="link-unknown-key",
    ),
    pytest.param(
        plan_doc("l", extra="links: [dashboard]\n"),
        "dashboard",
        0,
        "expected a mapping",
        id="link-not-a-map",
    ),
]


def _load_between(tmp_path: Path, bad: str) -> tuple[Path, str, PlanSet]:
    text = join_docs(BEFORE, bad, AFTER)
    path = write(tmp_path, "plans.yaml", text)
    return path, text, load_plans(tmp_path, {"prom"})


def _expected(text: str, needle: object, shift: int) -> tuple[int, int]:
    start = BEFORE + "---\n"
    assert text.startswith(start)
    if needle is DOC:
        return start.count("\n") + 1, 1  # the first line of the malformed document
    assert isinstance(needle, str)
    return locate(text, needle, after=start, shift=shift)


@pytest.mark.parametrize(("bad", "needle", "shift", "fragment"), CASES)
def test_malformed_document_is_reported_at_its_line_and_column(
    tmp_path: Path, bad: str, needle: object, shift: int, fragment: str
) -> None:
    path, text, planset = _load_between(tmp_path, bad)
    line, column, message = only_error(planset, path)
    assert (line, column) == _expected(text, needle, shift), message
    assert fragment in message


@pytest.mark.parametrize(
    ("bad", "needle", "shift", "fragment"),
    [pytest.param(*case.values, id=case.id) for case in CASES],  # without the xfail marks
)
def test_malformed_document_leaves_the_others_loaded(
    tmp_path: Path, bad: str, needle: object, shift: int, fragment: str
) -> None:
    path, _, planset = _load_between(tmp_path, bad)
    assert len(planset.errors) == 1, planset.errors
    assert planset.errors[0].startswith(f"{path}:")
    assert fragment in planset.errors[0]
    assert names(planset) == ["before", "after"]
    assert planset.files == [path]
    assert planset.rejected == [path]


def test_error_prefix_written_out_by_hand(tmp_path: Path) -> None:
    """One case with the position counted by hand, so `locate` itself is checked."""
    text = (
        "kind: response-plan\n"  # 1
        "name: hand\n"  # 2
        "match:\n"  # 3
        "  alerts: 'alertname=\"A\", sev!x'\n"  # 4: ' at col 11, a at 12, ! at 12+18=30
        "incident:\n"  # 5
        '  title: "x {oops}"\n'  # 6: " at col 10, o at 10+1+3=14
    )
    path = write(tmp_path, "hand.yaml", text)
    planset = load_plans(tmp_path)
    # every mistake of the document, not only the first
    assert planset.errors == [
        f"{path}:4:30: expected one of = != =~ !~ after 'sev'",
        f"{path}:6:14: unknown template field {{oops}} (known: labels.NAME, annotations.NAME,"
        " name, source, severity, fingerprint, plan)",
    ]
    write(tmp_path, "hand.yaml", text.replace("sev!x", "sev!=x"))
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    assert planset.errors[0].startswith(f"{path}:6:14: unknown template field {{oops}}")


def test_bad_regex_is_reported_and_skipped(tmp_path: Path) -> None:
    bad = plan_doc("re").replace("'alertname=\"Re\"'", "'alertname=~\"Disk(\"'")
    path, text, planset = _load_between(tmp_path, bad)
    line, _, message = only_error(planset, path)
    assert line == locate(text, "Disk(")[0]
    assert message.startswith("bad regex 'Disk(': missing ), unterminated subpattern")
    assert names(planset) == ["before", "after"]


def test_bad_regex_column_points_inside_the_regex(tmp_path: Path) -> None:
    bad = plan_doc("re").replace("'alertname=\"Re\"'", "'alertname=~\"Disk(\"'")
    path, text, planset = _load_between(tmp_path, bad)
    _, column, _ = only_error(planset, path)
    first = locate(text, '"Disk("')[1]  # the value's opening quote
    last = first + len('"Disk("') - 1  # its closing quote
    assert first <= column <= last


@pytest.mark.parametrize(
    "alerts",
    [
        pytest.param('"alertname=\\"A\\", sev~x"', id="double-quoted-escapes"),
        pytest.param("'alertname=''A'', sev~x'", id="single-quoted-escapes"),
    ],
)
def test_matcher_column_after_escapes(tmp_path: Path, alerts: str) -> None:
    bad = f"kind: response-plan\nname: esc\nmatch:\n  alerts: {alerts}\nincident: {{title: t}}\n"
    path, text, planset = _load_between(tmp_path, bad)
    line, column, message = only_error(planset, path)
    assert "after 'sev'" in message
    assert (line, column) == locate(text, "~x")


def test_matcher_error_in_a_block_scalar_is_on_its_own_line(tmp_path: Path) -> None:
    bad = (
        "kind: response-plan\nname: block\nmatch:\n  alerts: >-\n"
        '    alertname="A",\n    sev~x\nincident: {title: t}\n'
    )
    path, text, planset = _load_between(tmp_path, bad)
    line, column, message = only_error(planset, path)
    assert "after 'sev'" in message
    assert (line, column) == locate(text, "~x")


def test_matcher_block_scalar_error_is_still_reported(tmp_path: Path) -> None:
    bad = (
        "kind: response-plan\nname: block\nmatch:\n  alerts: >-\n"
        '    alertname="A",\n    sev~x\nincident: {title: t}\n'
    )
    path, _, planset = _load_between(tmp_path, bad)
    assert len(planset.errors) == 1
    assert "expected one of = != =~ !~ after 'sev'" in planset.errors[0]
    assert names(planset) == ["before", "after"]
    assert planset.rejected == [path]


def test_several_bad_documents_are_each_reported(tmp_path: Path) -> None:
    text = join_docs(
        plan_doc("one", extra="  impact: 9\n"),
        plan_doc("good"),
        plan_doc("two", extra="resolve: later\n"),
        plan_doc("three").replace("{labels.instance}", "{label.instance}"),
    )
    path = write(tmp_path, "many.yaml", text)
    planset = load_plans(tmp_path)
    located = [split_located(e) for e in planset.errors]
    assert [(line, col) for _, line, col, _ in located] == [
        locate(text, "impact: 9", shift=8),
        locate(text, "later"),
        locate(text, "label.instance"),
    ]
    assert names(planset) == ["good"]
    assert planset.rejected == [path]  # once, however many errors


# -- whole-file failures ------------------------------------------------------------------------


def test_yaml_syntax_error_is_located_and_other_files_load(tmp_path: Path) -> None:
    good = write(tmp_path, "a.yaml", plan_doc("good"))
    text = plan_doc("broken") + "  oops: [1, 2\n"
    bad = write(tmp_path, "b.yaml", text)
    write(tmp_path, "c.yaml", plan_doc("also-good"))
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    path, line, column, message = split_located(planset.errors[0])
    assert path == str(bad)
    assert message.startswith("YAML syntax: ")
    assert 1 <= line <= text.count("\n") + 1 and column >= 1
    assert names(planset) == ["good", "also-good"]
    assert planset.files == [good, bad, tmp_path / "c.yaml"]
    assert planset.rejected == [bad]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        pytest.param('  summary: "never closed\n', '"never', id="quote"),
        pytest.param("engagements: [a, b\n", "[a, b", id="bracket"),
    ],
)
def test_unclosed_quote_or_bracket_points_at_the_opening(
    tmp_path: Path, line: str, needle: str
) -> None:
    text = plan_doc("open") + line + "runbook: r\nresolve: manual\n"
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    where_path, line_no, column, _ = split_located(planset.errors[0])
    assert (where_path, line_no, column) == (str(path), *locate(text, needle))


def test_yaml_syntax_error_points_at_the_offending_colon(tmp_path: Path) -> None:
    text = "kind: response-plan\nname: x\n  bad: 1\n"
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert planset.errors == [f"{path}:3:6: YAML syntax: mapping values are not allowed here"]


def test_yaml_syntax_error_keeps_the_documents_before_it(tmp_path: Path) -> None:
    text = join_docs(plan_doc("first"), plan_doc("second"), "kind: [\n")
    write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    assert names(planset) == ["first", "second"]


def test_non_utf8_file_is_rejected_and_others_load(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", plan_doc("good"))
    bad = tmp_path / "b.yaml"
    bad.write_bytes(plan_doc("latin").encode() + b"  summary: caf\xe9\n")
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    assert planset.errors[0].startswith(f"{bad}:")
    assert "not UTF-8 text" in planset.errors[0]
    assert names(planset) == ["good"]
    assert planset.rejected == [bad]


def test_non_utf8_error_has_the_bad_bytes_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_bytes(plan_doc("latin").encode() + b"  summary: caf\xe9\n")
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    path, line, column, _ = split_located(planset.errors[0])
    assert (path, line, column) == (str(bad), 7, len("  summary: caf") + 1)


@pytest.mark.parametrize("text", ["", "\n", "# nothing here yet\n", "# a\n\n# b\n"], ids=repr)
def test_empty_file_is_no_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.yaml", text)
    write(tmp_path, "z.yaml", plan_doc("good"))
    planset = load_plans(tmp_path)
    assert (planset.errors, planset.warnings, planset.rejected) == ([], [], [])
    assert planset.files == [path, tmp_path / "z.yaml"]
    assert names(planset) == ["good"]


def test_leading_separator_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "# header comment\n---\n" + plan_doc("y"))
    planset = load_plans(tmp_path)
    assert (planset.errors, names(planset)) == ([], ["y"])


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("---\n", id="only-separator"),
        pytest.param(plan_doc("y") + "---\n", id="trailing-separator"),
        pytest.param(join_docs(plan_doc("y"), "# retired plan\n", plan_doc("w")), id="middle"),
    ],
)
def test_empty_documents_are_skipped(tmp_path: Path, text: str) -> None:
    write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert planset.errors == []
    assert planset.rejected == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(plan_doc("x").replace("\n", "\n  ").replace("kind", "- kind", 1), id="list"),
        pytest.param("- 1\n- 2\n", id="list-of-numbers"),
    ],
)
def test_file_that_is_a_list_is_rejected(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "list.yaml", text)
    write(tmp_path, "z.yaml", plan_doc("good"))
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    assert planset.errors[0].startswith(f"{path}:1")
    assert "expected a mapping, got a list" in planset.errors[0]
    assert planset.rejected == [path]
    assert names(planset) == ["good"]


def test_file_that_is_a_list_has_a_column(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- 1\n- 2\n")
    planset = load_plans(tmp_path)
    assert planset.errors == [f"{path}:1:1: expected a mapping, got a list"]


def test_missing_directory_and_no_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    planset = load_plans(missing)
    assert planset.errors == [f"{missing}: plans directory not found"]
    assert planset.plans == []
    empty = load_plans(None)
    assert (empty.plans, empty.errors, empty.warnings, empty.files) == ([], [], [], [])


# -- names, kinds, sources ----------------------------------------------------------------------


def test_duplicate_name_across_files_is_an_error_at_the_second(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", plan_doc("dup", "First"))
    second_text = join_docs(plan_doc("other", "Other"), plan_doc("dup", "Second"))
    second = write(tmp_path, "b.yaml", second_text)
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    path, line, _, message = split_located(planset.errors[0])
    assert path == str(second)
    # at the second document's name, which is what the responder has to change
    assert line == locate(second_text, "dup", after="---\n")[0]
    first_at = ":".join(map(str, locate(plan_doc("dup", "First"), "dup")))
    assert message == f"duplicate plan name 'dup' (first at {first}:{first_at})"
    assert names(planset) == ["dup", "other"]
    kept = planset.plans[0]
    assert [str(m) for m in kept.matchers] == ['alertname="First"']  # the first one wins
    assert planset.rejected == [second]


def test_duplicate_name_in_one_file(tmp_path: Path) -> None:
    text = join_docs(plan_doc("same", "A"), plan_doc("same", "B"), plan_doc("third"))
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    first_line, first_col = locate(plan_doc("same", "A"), "same")
    second_line, second_col = locate(text, "same", after="---\n")
    assert planset.errors == [
        f"{path}:{second_line}:{second_col}: duplicate plan name 'same'"
        f" (first at {path}:{first_line}:{first_col})"
    ]
    assert names(planset) == ["same", "third"]


def test_duplicate_name_points_at_the_name(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", plan_doc("dup", "First"))
    text = "# the second copy\nkind: response-plan\nname: dup\n" + plan_doc("x").split("\n", 2)[2]
    second = write(tmp_path, "b.yaml", text)
    planset = load_plans(tmp_path)
    assert len(planset.errors) == 1
    path, line, column, _ = split_located(planset.errors[0])
    assert (path, line, column) == (str(second), *locate(text, "dup"))


@pytest.mark.parametrize("kind", ["later"])  # runbook is read since issue 11
def test_reserved_kind_is_skipped_with_a_warning(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warroom.plans import loader

    monkeypatch.setattr(loader, "RESERVED_KINDS", (kind,))
    reserved = f"kind: {kind}\nname: whatever\nanything: [goes, here]\n"
    text = join_docs(BEFORE, reserved, AFTER)
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert planset.errors == []
    assert planset.rejected == []
    line, _ = locate(text, f"kind: {kind}")
    assert planset.warnings == [f"{path}:{line}:1: kind {kind!r} is not supported yet; skipped"]
    assert names(planset) == ["before", "after"]


def test_unknown_source_is_an_error_when_sources_are_given(tmp_path: Path) -> None:
    bad = plan_doc("sourced", extra="").replace("match:\n", "match:\n  source: promethues\n")
    path, text, planset = _load_between(tmp_path, bad)
    line, column, message = only_error(planset, path)
    assert (line, column) == locate(text, "promethues")
    assert message == "no source named 'promethues' in the config (known: prom)"
    assert names(planset) == ["before", "after"]


def test_source_only_match_loads_when_the_source_exists(tmp_path: Path) -> None:
    text = "kind: response-plan\nname: all-cw\nmatch:\n  source: aws\nincident: {title: '{name}'}\n"
    write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path, {"aws", "prom"})
    assert planset.errors == []
    plan = planset.plans[0]
    assert (plan.source, plan.matchers) == ("aws", ())
    # without a config there is nothing to check the name against
    assert load_plans(tmp_path).errors == []
    # a config with no sources at all says so
    none = load_plans(tmp_path, set())
    assert len(none.errors) == 1
    assert none.errors[0].endswith("no source named 'aws' in the config (known: none)")


# -- order and files ------------------------------------------------------------------------------


def test_order_is_sorted_path_then_document_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", join_docs(plan_doc("b-1"), plan_doc("b-2")))
    write(tmp_path, "a.yaml", join_docs(plan_doc("a-2"), plan_doc("a-1")))
    write(tmp_path, "c.yml", plan_doc("c-1"))
    write(tmp_path, "sub/d.yaml", plan_doc("sub-d"))
    write(tmp_path, "README.md", "not a plan: [")
    write(tmp_path, "old.yaml.bak", "not a plan: [")
    write(tmp_path, "notes.txt", "not a plan: [")
    planset = load_plans(tmp_path)
    assert planset.errors == []
    assert [p.relative_to(tmp_path).as_posix() for p in planset.files] == [
        "a.yaml",
        "b.yaml",
        "c.yml",
        "sub/d.yaml",
    ]
    assert names(planset) == ["a-2", "a-1", "b-1", "b-2", "c-1", "sub-d"]


def test_every_field_of_a_full_plan(tmp_path: Path) -> None:
    text = """\
kind: response-plan
name: full.plan_1
display_name: The full plan
description: every key there is
match:
  source: prom
  alerts: '{alertname="Full", severity!="info"}'
incident:
  title: "{labels.service} on {source}"
  summary: "{annotations.description}"
  impact: {label: severity, critical: 1, warning: 4, default: 5}
  dedupe: "full/{labels.service}"
engagements: [a-team, b-team]
runbook: {name: full-runbook, start: auto}
links:
  - {title: "Dash {labels.service}", url: "https://dash/{labels.service}"}
  - title: Logs
    url: https://logs/
declare: {after: 1m30s}
resolve: manual
reopen_within: 2h
"""
    write(tmp_path, "full.yaml", text)
    write(
        tmp_path, "z.yaml", "kind: runbook\nname: full-runbook\nsteps: [{name: a, kind: approve}]\n"
    )
    planset = load_plans(tmp_path, {"prom"})
    assert planset.errors == []
    (plan,) = planset.plans
    assert plan.name == "full.plan_1"
    assert plan.display_name == "The full plan"
    assert plan.source == "prom"
    assert [str(m) for m in plan.matchers] == ['alertname="Full"', 'severity!="info"']
    assert plan.engagements == ("a-team", "b-team")
    assert (plan.runbook, plan.runbook_start) == ("full-runbook", "auto")
    assert plan.declare_after == timedelta(seconds=90)
    assert plan.resolve is ResolvePolicy.MANUAL
    assert plan.reopen_within == timedelta(hours=2)
    alert = make_alert("Full", service="api", annotations={"description": "d"})
    assert plan.title.render(alert, plan.name) == "api on prom"
    assert plan.summary is not None and plan.summary.render(alert, plan.name) == "d"
    assert plan.dedupe.render(alert, plan.name) == "full/api"
    assert plan.impact.default is Impact.NO_IMPACT
    assert [(link.title.render(alert), link.url.render(alert)) for link in plan.links] == [
        ("Dash api", "https://dash/api"),
        ("Logs", "https://logs/"),
    ]


def test_defaults_of_a_minimal_plan(tmp_path: Path) -> None:
    text = "kind: response-plan\nname: min\nmatch: {alerts: 'alertname=\"M\"'}\n"
    text += "incident: {title: T}\n"
    write(tmp_path, "min.yaml", text)
    (plan,) = load_plans(tmp_path).plans
    assert plan.display_name == "min"
    assert plan.source is None
    assert plan.summary is None
    assert plan.impact.fixed is Impact.MEDIUM
    assert plan.impact.for_alert(make_alert("M")) is Impact.MEDIUM
    assert plan.dedupe.render(make_alert("M"), plan.name) == "min"  # default dedupe is {plan}
    assert (plan.engagements, plan.runbook, plan.links) == ((), None, ())
    assert plan.declare_after == timedelta(0)
    assert plan.reopen_within == timedelta(0)
    assert plan.resolve is ResolvePolicy.WHEN_ALL_ALERTS_RESOLVE


def test_non_text_scalars_are_read_as_written(tmp_path: Path) -> None:
    """`name: 404` and `title: 3.10` keep the characters written, not Python's reading."""
    text = "kind: response-plan\nname: 404\nmatch: {alerts: 'a=\"b\"'}\nincident: {title: 3.10}\n"
    write(tmp_path, "n.yaml", text)
    planset = load_plans(tmp_path)
    assert planset.errors == []
    (plan,) = planset.plans
    assert plan.name == "404"
    assert plan.title.render(make_alert()) == "3.10"


def test_a_lone_surrogate_escape_is_an_error_at_its_scalar(tmp_path: Path) -> None:
    """`"\\ud800"` decodes to half a UTF-16 pair: no database or terminal takes it."""
    text = join_docs(
        plan_doc("first"),
        "kind: response-plan\nname: x\nmatch:\n  alerts: 'alertname=\"X\"'\n"
        'incident:\n  title: "bad \\ud800 title"\n',
    )
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    line, column = locate(text, '"bad \\ud800')
    assert planset.errors == [
        f"{path}:{line}:{column}: \\ud800 is half of a UTF-16 pair, not a character:"
        " write the character itself"
    ]
    assert names(planset) == ["first"]


def test_a_surrogate_pair_escape_names_the_yaml_spelling(tmp_path: Path) -> None:
    text = (
        "kind: response-plan\nname: x\nmatch:\n  alerts: 'alertname=\"X\"'\n"
        'incident:\n  title: "fire \\ud83d\\udd25"\n'
    )
    path = write(tmp_path, "p.yaml", text)
    planset = load_plans(tmp_path)
    assert planset.errors == [
        f"{path}:6:10: \\ud83d\\udd25 is a UTF-16 pair, which YAML keeps as two halves:"
        " write \\U0001f525 or the character itself"
    ]
    write(tmp_path, "p.yaml", text.replace("\\ud83d\\udd25", "\\U0001f525"))
    planset = load_plans(tmp_path)
    assert planset.errors == []
    assert planset.plans[0].title.text == "fire \U0001f525"


def test_a_control_character_is_one_located_error_and_others_load(tmp_path: Path) -> None:
    """ESC in a plan made PyYAML raise a ReaderError (no mark) that escaped as a
    traceback from `warroom check` and the console's start."""
    write(tmp_path, "a.yaml", plan_doc("good"))
    bad = tmp_path / "b.yaml"
    bad.write_text(plan_doc("escaped") + '  summary: "disk \x1b[2J full"\n', encoding="utf-8")
    planset = load_plans(tmp_path)
    assert names(planset) == ["good"]
    [error] = planset.errors
    line = plan_doc("escaped").count("\n") + 1
    assert error.startswith(f"{bad}:{line}:")
    assert "control character U+001B" in error and "\x1b" not in error
