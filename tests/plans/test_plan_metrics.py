"""A plan's `metrics:` is declared like every other key: `warroom check` reports its
mistakes at file:line:col, and the JSON Schema for editors lists it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from warroom.plans import load_plans
from warroom.plans.kinds import RESPONSE_PLAN
from warroom.plans.plan import promql_string
from warroom.schema.jsonschema import json_schema

PLAN = """\
kind: response-plan
name: errors
match:
  alerts: 'alertname="HighErrors"'
incident:
  title: "Errors on {labels.job}"
metrics:
  - title: Error rate
    promql: 'rate(errors_total{{job="{labels.job}"}}[5m]) > 0.1'
  - title: CPU
    source: aws
    cloudwatch:
      namespace: AWS/EC2
      metric: CPUUtilization
      dimensions: {InstanceId: "{labels.instance}"}
      period: 1m
"""

BROKEN = """\
kind: response-plan
name: broken
match:
  alerts: 'alertname="X"'
incident:
  title: x
metrics:
  - title: both
    promql: up
    cloudwatch: {namespace: A, metric: B}
  - title: bad template
    promql: 'up{{job="{labels.}"}}'
  - {title: neither}
  - {title: typo, promqll: up}
"""


def test_metrics_are_read_into_the_plan(tmp_path: Path) -> None:
    (tmp_path / "errors.yaml").write_text(PLAN)
    planset = load_plans(tmp_path)
    assert planset.errors == []
    (plan,) = planset.plans
    rate, cpu = plan.metrics
    assert rate.title == "Error rate" and rate.promql is not None
    assert rate.promql.text == 'rate(errors_total{{job="{labels.job}"}}[5m]) > 0.1'
    assert (cpu.namespace, cpu.metric, cpu.stat, cpu.period, cpu.source) == (
        "AWS/EC2",
        "CPUUtilization",
        "Average",
        timedelta(minutes=1),
        "aws",
    )
    assert [name for name, _ in cpu.dimensions] == ["InstanceId"]


def test_mistakes_are_reported_at_their_place(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN)
    errors = load_plans(tmp_path).errors
    assert [e.split(": ", 1)[0].rsplit("/", 1)[-1] for e in errors] == [
        "broken.yaml:8:5",
        "broken.yaml:12:24",
        "broken.yaml:13:5",
        "broken.yaml:14:19",
    ], errors
    assert "one of 'promql' or 'cloudwatch'" in errors[0]
    assert "unknown template field {labels.}" in errors[1]
    assert "promqll" in errors[3]


def test_the_editor_schema_lists_metrics() -> None:
    schema = json_schema(RESPONSE_PLAN)
    metrics = schema["properties"]["metrics"]
    assert metrics["type"] == "array"
    assert set(metrics["items"]["properties"]) == {"title", "promql", "cloudwatch", "source"}


def test_promql_string_keeps_a_value_inside_its_literal() -> None:
    assert promql_string('a"} or vector(1) #') == 'a\\"} or vector(1) #'
    assert promql_string("back\\slash") == "back\\\\slash"
    assert promql_string("line\nfeed\x7f") == "line\\x0afeed\\x7f"
