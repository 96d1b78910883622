"""`warroom coverage` reads alerting rules from a real Prometheus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.servers import prometheus
from tests.support.cli import warroom

pytestmark = pytest.mark.e2e


def test_coverage_lists_unplanned_prometheus_rules(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "always.yaml").write_text(
        "kind: response-plan\nname: always\nmatch: {alerts: 'alertname=\"AlwaysFiring\"'}\n"
        "incident: {title: always}\n"
    )
    with prometheus(tmp_path / "prom") as url:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"plans: {plans}\nsources:\n  - name: prom\n    type: prometheus\n    url: {url}\n"
        )
        result = warroom(
            "--config", str(config), "--db", str(tmp_path / "w.db"), "coverage", "--json"
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {(u["kind"], u["name"]) for u in report["unplanned"]} == {("rule", "PendingForever")}
    assert [(p["kind"], p["name"], p["plan"]) for p in report["planned"]] == [
        ("rule", "AlwaysFiring", "always")
    ]
    assert report["percent"] == 50.0
