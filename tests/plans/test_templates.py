"""Templates over alert fields: looked up, never evaluated; a missing label is visible."""

from __future__ import annotations

import pytest

from warroom.model import Alert
from warroom.plans.templates import Field, TemplateError, parse_template

from .helpers import make_alert

KNOWN = "known: labels.NAME, annotations.NAME, name, source, severity, fingerprint, plan"


@pytest.fixture
def alert() -> Alert:
    return make_alert(
        "DiskFull",
        source="prom-eu",
        annotations={"summary": "97% used", "runbook_url": "https://rb/disk"},
        cluster="eu-1",
        instance="db-3:9100",
        empty="",
        severity="crit",  # the label as the source spelled it
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Disk filling on {labels.cluster}", "Disk filling on eu-1"),
        ("{labels.alertname}@{labels.instance}", "DiskFull@db-3:9100"),
        ("{annotations.summary} ({annotations.runbook_url})", "97% used (https://rb/disk)"),
        ("{name}", "DiskFull"),
        ("{source}", "prom-eu"),
        ("{severity}", "critical"),  # the normalised severity
        ("{labels.severity}", "crit"),
        ("{plan}", "disk-full"),
        ("{plan}/{labels.cluster}/{name}", "disk-full/eu-1/DiskFull"),
        ("{ labels.cluster }", "eu-1"),  # spaces inside the braces are ignored
        ("[{labels.empty}]", "[]"),  # a label that is present but empty is not missing
        ("no fields at all", "no fields at all"),
        ("", ""),
        ("ünïcödé ‹{labels.cluster}›", "ünïcödé ‹eu-1›"),
    ],
)
def test_render(alert: Alert, text: str, expected: str) -> None:
    assert parse_template(text).render(alert, "disk-full") == expected


def test_fingerprint(alert: Alert) -> None:
    assert parse_template("fp={fingerprint}").render(alert) == f"fp={alert.fingerprint}"


def test_plan_defaults_to_empty(alert: Alert) -> None:
    assert parse_template("[{plan}]").render(alert) == "[]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{labels.service} is down", "‹labels.service?› is down"),
        ("{annotations.description}", "‹annotations.description?›"),
        ("{labels.a}/{labels.cluster}/{labels.b}", "‹labels.a?›/eu-1/‹labels.b?›"),
    ],
)
def test_missing_label_renders_a_visible_placeholder(
    alert: Alert, text: str, expected: str
) -> None:
    assert parse_template(text).render(alert, "p") == expected


def test_missing_labels_never_crash_on_a_bare_alert() -> None:
    bare = make_alert("X", annotations={})
    template = parse_template("{labels.x} {annotations.y} {name} {plan}")
    assert template.render(bare, "p") == "‹labels.x?› ‹annotations.y?› X p"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{literal}}", "{literal}"),
        ("{{{labels.cluster}}}", "{eu-1}"),
        ("{labels.cluster}}}", "eu-1}"),
        ("a {{ b }} c", "a { b } c"),
        ("{{", "{"),
        ("}}", "}"),
        ("{{labels.cluster}}", "{labels.cluster}"),  # escaped: not a field
    ],
)
def test_brace_escapes(alert: Alert, text: str, expected: str) -> None:
    template = parse_template(text)
    assert template.render(alert) == expected


def test_fields_and_parts() -> None:
    template = parse_template("x {labels.a} {{y}} {name}")
    assert template.fields == [Field("labels", "a"), Field("name")]
    assert template.parts == ("x ", Field("labels", "a"), " {y} ", Field("name"))
    assert str(Field("labels", "a")) == "labels.a"
    assert template.text == "x {labels.a} {{y}} {name}"


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("{bogus}", 1, f"unknown template field {{bogus}} ({KNOWN})"),
        ("Disk {lables.cluster} full", 6, "unknown template field {lables.cluster}"),
        ("{labels}", 1, "unknown template field {labels}"),
        ("{labels.}", 1, "unknown template field {labels.}"),
        ("{labels.a.b}", 1, "unknown template field {labels.a.b}"),
        ("{labels.1abc}", 1, "unknown template field {labels.1abc}"),
        ("{labels.a-b}", 1, "unknown template field {labels.a-b}"),
        ("{}", 1, "unknown template field {}"),
        ("{0}", 1, "unknown template field {0}"),
        ("ok {name} then {source.x}", 16, "unknown template field {source.x}"),
        ("a{b", 1, "'{' without a closing '}'"),
        ("{labels.cluster", 0, "'{' without a closing '}'"),
        ("{name} and {", 11, "'{' without a closing '}'"),
        ("{{{", 2, "'{' without a closing '}'"),
        ("a}b", 1, "single '}' (write '}}' for a literal brace)"),
        ("}}}", 2, "single '}'"),
        ("{name}}", 6, "single '}'"),
    ],
)
def test_errors_carry_the_offset(text: str, position: int, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert caught.value.position == position
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "{name.upper()}",
        "{name.__class__}",
        "{source.__len__}",
        "{__import__}",
        "{__import__('os').system('true')}",
        "{labels['cluster']}",
        "{labels[0]}",
        "{name!r}",
        "{name:>10}",
        "{severity.value}",
        "{plan.upper}",
        "{fingerprint[0]}",
        "{alert}",
        "{self}",
        "{labels.cluster.upper()}",
        "{eval}",
        "{annotations.__dict__.x}",
    ],
)
def test_expressions_are_errors_not_code(text: str) -> None:
    with pytest.raises(TemplateError, match="unknown template field"):
        parse_template(text)


def test_dunder_label_name_is_a_lookup_never_an_attribute(alert: Alert) -> None:
    """`{labels.__class__}` is syntactically a label name, so it is looked up as one.

    It must never reach Python attributes: rendered against an alert without
    such a label it is the placeholder, with one it is the label's value.
    """
    for text in ("{labels.__class__}", "{annotations.__init__}", "{labels.__dict__}"):
        assert parse_template(text).render(alert) == f"‹{text[1:-1]}?›"
    sneaky = make_alert("X", __class__="just-a-label")
    assert parse_template("{labels.__class__}").render(sneaky) == "just-a-label"


def test_rendered_values_are_not_reinterpreted() -> None:
    """A label value that looks like a template is text, not another template."""
    sneaky = make_alert("X", cluster="{labels.secret}", secret="s3cret")
    assert parse_template("{labels.cluster}").render(sneaky) == "{labels.secret}"
    assert parse_template("{labels.cluster}").render(make_alert("X", cluster="{{")) == "{{"
