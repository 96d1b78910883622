"""Real components started on loopback for end-to-end tests.

Each helper picks a free port, starts the Debian binary with a config in a temp
directory, waits until it answers `/-/ready`, and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import require_binary
from tests.support.waiting import wait_until

ALERTMANAGER_CONFIG = """
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: blackhole
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    seconds: float = 30,
    ready_path: str = "/-/ready",
) -> None:
    """Until GET `url + ready_path` answers 200; fails at once if the process exits."""

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{url}{ready_path}", timeout=1).status_code == 200
        return False

    wait_until(
        ready,
        seconds,
        lambda: f"{url}{ready_path} to answer:\n{log.read_text()[-2000:]}",
        interval=0.1,
    )


@contextlib.contextmanager
def running(
    args: Sequence[str], url: str, log: Path, ready_path: str = "/-/ready"
) -> Iterator[str]:
    with log.open("wb") as out:
        process = subprocess.Popen(list(args), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(url, process, log, ready_path=ready_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def alertmanager(tmp: Path, route_prefix: str = "") -> Iterator[str]:
    """A real Alertmanager; yields its base URL (with the route prefix, if any)."""
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG)
    port = free_port()
    args = [
        binary,
        f"--config.file={config}",
        f"--storage.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    if route_prefix:
        args.append(f"--web.route-prefix={route_prefix}")
    url = f"http://127.0.0.1:{port}{route_prefix}"
    with running(args, url, tmp / "alertmanager.log"):
        yield url


def am_alert(name: str, severity: str = "warning", **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": severity, **labels},
        "annotations": {"summary": f"{name} on {labels.get('instance', 'somewhere')}"},
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "generatorURL": f"http://prometheus.example/graph?g0.expr={name}",
    }


def post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    for start in range(0, len(alerts), 2000):
        resp = httpx.post(f"{url}/api/v2/alerts", json=alerts[start : start + 2000], timeout=60)
        resp.raise_for_status()


def wait_alert_count(url: str, count: int, seconds: float = 30) -> None:
    seen = -1

    def enough() -> bool:
        nonlocal seen
        seen = len(httpx.get(f"{url}/api/v2/alerts", timeout=30).json())
        return seen >= count

    wait_until(
        enough,
        seconds,
        lambda: f"Alertmanager to hold {count} alerts (it holds {seen})",
        interval=0.2,
    )


PROMETHEUS_RULES = """
groups:
  - name: warroom-e2e
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: critical, team: e2e}
        annotations: {summary: "always firing, for the end-to-end test"}
      - alert: PendingForever
        expr: vector(1)
        for: 1h
        labels: {severity: warning}
"""


@contextlib.contextmanager
def prometheus(
    tmp: Path, alertmanager_url: str | None = None, rules: str = PROMETHEUS_RULES
) -> Iterator[str]:
    """A real Prometheus scraping itself, evaluating `rules` every second."""
    binary = require_binary("prometheus", "prometheus")
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (tmp / "rules.yml").write_text(rules)
    alerting = ""
    if alertmanager_url:
        target = alertmanager_url.removeprefix("http://").split("/", 1)[0]
        alerting = f"""
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['{target}']
"""
    (tmp / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['{tmp / "rules.yml"}']
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:{port}']
{alerting}""")
    args = [
        binary,
        f"--config.file={tmp / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--rules.alert.resend-delay=1s",
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    with running(args, url, tmp / "prometheus.log"):
        yield url


@contextlib.contextmanager
def moto_server(tmp: Path) -> Iterator[str]:
    """moto's server standing in for the CloudWatch API (from the test extras)."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running(args, url, tmp / "moto.log", ready_path="/moto-api/"):
        yield url
