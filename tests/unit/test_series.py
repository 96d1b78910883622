"""Choosing what to ask Prometheus for a chart: step, rule, and the alert's own series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.model.series import AlertRule, Series, rule_for, scoped, step_for

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_the_step_gives_one_sample_per_dot() -> None:
    assert step_for(T0, T0 + timedelta(minutes=90), 150) == 60.0  # 36 s, made round
    # the step holds while the window grows by a few minutes: the same samples come back
    assert step_for(T0, T0 + timedelta(minutes=100), 150) == 60.0
    assert step_for(T0, T0 + timedelta(seconds=30), 150) == 1.0  # never below a second
    assert step_for(T0, T0 + timedelta(minutes=10), 150, floor=15) == 15.0
    # a week at 100,000 dots would pass Prometheus' 11,000-point cap
    week = step_for(T0, T0 + timedelta(days=7), 100_000)
    assert 7 * 86400 / week <= 11_000


def test_the_rule_matches_by_name_and_its_own_labels() -> None:
    rules = [
        AlertRule("HighLatency", "p", query="a > 1", labels={"severity": "page"}),
        AlertRule("HighLatency", "p", query="a > 0.5", labels={"severity": "ticket"}),
    ]
    found = rule_for("HighLatency", {"severity": "ticket", "job": "api"}, rules)
    assert found is not None and found.query == "a > 0.5"
    assert rule_for("HighLatency", {"severity": "other"}, rules) is None
    assert rule_for("Other", {"severity": "page"}, rules) is None


def test_the_alerts_own_series_are_kept() -> None:
    series = [
        Series({"__name__": "up", "job": "api", "instance": "a"}, ()),
        Series({"__name__": "up", "job": "api", "instance": "b"}, ()),
    ]
    assert scoped(series, {"alertname": "Down", "instance": "b"}) == [series[1]]
    # the rule aggregated the labels away: all series are its own
    assert scoped(series, {"alertname": "Down", "cluster": "x"}) == series
    assert scoped([Series({}, ())], {"instance": "a"}) == [Series({}, ())]
