"""Splitting real alerting rules on their comparison: the series to draw and its line."""

from __future__ import annotations

import pytest

from warroom.model.promql import expr_from_url, split_comparison

# (rule text as published, left side, operator, threshold or None)
RULES = [
    # Prometheus docs, alerting rules example
    (
        'job:request_latency_seconds:mean5m{job="myjob"} > 0.5',
        'job:request_latency_seconds:mean5m{job="myjob"}',
        ">",
        0.5,
    ),
    ("up == 0", "up", "==", 0.0),
    # awesome-prometheus-alerts (samber), node exporter
    (
        "(node_filesystem_avail_bytes * 100) / node_filesystem_size_bytes < 10"
        " and ON (instance, device, mountpoint) node_filesystem_readonly == 0",
        None,
        None,
        None,
    ),
    (
        '(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m]))) * 100 > 80',
        '(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m]))) * 100',
        ">",
        80.0,
    ),
    (
        "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le)) > 1",
        "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))",
        ">",
        1.0,
    ),
    (
        "increase(kube_pod_container_status_restarts_total[1h]) >= 5e0",
        "increase(kube_pod_container_status_restarts_total[1h])",
        ">=",
        5.0,
    ),
    ('absent(up{job="api"})', None, None, None),
    ("x > bool 3", None, None, None),
    ("a > on(job) group_left b", None, None, None),
    ('rate(errors{path=~"/a|/b>c"}[5m]) != 0', 'rate(errors{path=~"/a|/b>c"}[5m])', "!=", 0.0),
    ("sum(x) > (100)", "sum(x)", ">", 100.0),
    ("a < b", "a", "<", None),  # the right side is a series: no number to draw
    ("a > 3 > 2", None, None, None),
    ("vector(1) > 0  # always firing\n", "vector(1)", ">", 0.0),
    ('sum(x{a="("}) > 1', 'sum(x{a="("})', ">", 1.0),
    ("sum(x > 1", None, None, None),
    ("x >= -Inf", "x", ">=", None),
]


@pytest.mark.parametrize(("rule", "left", "op", "threshold"), RULES)
def test_split_real_rules(
    rule: str, left: str | None, op: str | None, threshold: float | None
) -> None:
    found = split_comparison(rule)
    if left is None:
        assert found is None
        return
    assert found is not None
    assert (found.left, found.operator, found.threshold) == (left, op, threshold)


def test_the_expression_comes_from_the_generator_url() -> None:
    url = (
        "http://prometheus:9090/graph?g0.expr=rate%28errors_total%7Bjob%3D%22api%22%7D%5B5m%5D%29"
        "+%3E+0.5&g0.tab=1"
    )
    assert expr_from_url(url) == 'rate(errors_total{job="api"}[5m]) > 0.5'
    assert expr_from_url("http://h/graph") == ""
    assert expr_from_url("") == ""
