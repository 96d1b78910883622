"""`warroom coverage` reads alerting rules from a real Prometheus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.servers import prometheus

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


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
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "warroom",
                "--config",
                str(config),
                "--db",
                str(tmp_path / "w.db"),
                "coverage",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {(u["kind"], u["name"]) for u in report["unplanned"]} == {("rule", "PendingForever")}
    assert [(p["kind"], p["name"], p["plan"]) for p in report["planned"]] == [
        ("rule", "AlwaysFiring", "always")
    ]
    assert report["percent"] == 50.0
