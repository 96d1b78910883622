"""Issue #4 end to end: a real Alertmanager, the CLI, the shipped example plans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count
from tests.support.cli import warroom

from warroom.config import SHIPPED_PLANS

pytestmark = pytest.mark.e2e

CLUSTERS = ("c1", "c2", "c3")
SERVICES = ("checkout", "search")


def storm() -> list[dict[str, object]]:
    alerts = []
    for i in range(120):  # disk-full: dedupe per cluster -> 3 incidents
        alerts.append(
            am_alert(
                "DiskFull",
                ("critical", "warning")[i % 2],
                instance=f"db-{i}",
                cluster=CLUSTERS[i % 3],
            )
        )
    for i in range(100):  # high-error-rate: dedupe per service -> 2 incidents
        alerts.append(
            am_alert("HighErrorRate", "warning", instance=f"web-{i}", service=SERVICES[i % 2])
        )
    for i in range(60):  # queue-backlog: one queue -> 1 incident
        alerts.append(
            am_alert(
                "QueueBacklogGrowing", "warning", instance=f"worker-{i}", queue="email-outbound"
            )
        )
    for i in range(40):  # unplanned
        alerts.append(am_alert("CertificateExpiringSoon", "info", instance=f"host-{i}"))
    for i in range(30):  # latency-slo waits 5m (declare.after); these fired 5m ago: at the edge
        alerts.append(am_alert("Watchdog", "none", instance=f"prom-{i}"))
    return alerts


@pytest.fixture(scope="module")
def am_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with alertmanager(tmp_path_factory.mktemp("am-triage")) as url:
        alerts = storm()
        post_alerts(url, alerts)
        wait_alert_count(url, len(alerts))
        yield url


def test_engine_once_declares_exactly_what_the_plans_imply(am_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"plans: {SHIPPED_PLANS}\nsources:\n  - name: am\n    type: alertmanager\n"
        f"    url: {am_url}\n"
    )
    db = str(tmp_path / "w.db")
    first = warroom("--config", str(config), "--db", db, "engine", "--once")
    assert first.returncode == 0, first.stderr
    assert "350 new" in first.stdout

    listed = warroom("--config", str(config), "--db", db, "incidents", "--json")
    incidents = [json.loads(line) for line in listed.stdout.splitlines()]
    got = {(i["plan"], i["dedupe_key"], i["alert_count"]) for i in incidents}
    assert got == {
        ("disk-full", "disk-full/c1", 40),
        ("disk-full", "disk-full/c2", 40),
        ("disk-full", "disk-full/c3", 40),
        ("high-error-rate", "errors/checkout", 50),
        ("high-error-rate", "errors/search", 50),
        ("queue-backlog", "queue/email-outbound", 60),
    }
    by_key = {i["dedupe_key"]: i for i in incidents}
    assert by_key["disk-full/c1"]["impact"] == 3  # the worst: critical -> 3 in the plan
    assert by_key["errors/checkout"]["impact"] == 3  # warning -> 3
    assert by_key["disk-full/c1"]["title"] == "Disk filling on c1"

    again = warroom("--config", str(config), "--db", db, "engine", "--once")
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stdout and "350 unchanged" in again.stdout
    relisted = warroom("--config", str(config), "--db", db, "incidents", "--json")
    assert len(relisted.stdout.splitlines()) == 6

    coverage = warroom("--config", str(config), "--db", db, "coverage", "--json")
    assert coverage.returncode == 0, coverage.stderr
    report = json.loads(coverage.stdout)
    unplanned = {(u["kind"], u["name"]) for u in report["unplanned"]}
    assert unplanned == {("alert", "CertificateExpiringSoon"), ("alert", "Watchdog")}
    assert (report["covered"], report["total"]) == (3, 5)
    assert report["percent"] == 60.0
